"""Swagger UI at /api/docs/ works offline and under the strict CSP."""

import pytest

pytestmark = pytest.mark.browser


def test_swagger_ui_lists_the_operations_without_console_errors(page, sign_in, make_user):
    sign_in(page, make_user(username="dana"))
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/api/docs/")
    page.locator(".opblock").first.wait_for()

    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/check-ins/bulk/" in summaries
    assert "/api/v1/roadmap-items/{id}/move/" in summaries
    assert page.locator(".opblock").count() >= 40
    page.screenshot(path="/tmp/api-docs.png", full_page=False)
    assert page.console_errors == []
    base = page.url.split("/api/docs/")[0]
    assert all(url.startswith(base) for url in requested), "everything is served locally"


def test_the_browsable_api_works_under_the_csp(page, sign_in, make_user):
    from portfolio.models import Role
    from tests.portfolio.factories import MembershipFactory, PortfolioFactory, ProductFactory

    dana = make_user(username="dana")
    portfolio = PortfolioFactory(name="Acme", slug="acme")
    MembershipFactory(portfolio=portfolio, user=dana, role=Role.DIRECTOR)
    ProductFactory(portfolio=portfolio, name="Checkout", owner=dana)
    sign_in(page, dana)

    page.goto("/api/v1/products/")

    assert page.get_by_text('"name": "Checkout"').is_visible()
    page.screenshot(path="/tmp/api-browsable.png")
    assert page.console_errors == []

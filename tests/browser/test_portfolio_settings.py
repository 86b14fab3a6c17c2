"""Journey: the director adds a product and changes a member's role."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from portfolio.models import Membership, Product, Role

pytestmark = pytest.mark.browser


def sign_in_demo(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("lodestar-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def test_director_adds_a_product_and_changes_a_role(page):
    call_command("seed_demo", verbosity=0)
    sign_in_demo(page, "dana")

    page.goto("/p/acme/")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Products", exact=True)).to_be_visible()
    page.get_by_label("Name").fill("Billing")
    page.get_by_label("Product manager").select_option(label="Priya Raman")
    page.get_by_role("button", name="Add product").click()
    expect(page.get_by_text("Billing is added to the portfolio.")).to_be_visible()
    expect(page.locator("table")).to_contain_text("/billing")
    product = Product.objects.get(portfolio__slug="acme", name="Billing")
    assert product.owner.username == "priya"
    page.screenshot(path="/tmp/settings_products.png", full_page=True)

    page.get_by_role("navigation", name="Settings sections").get_by_role(
        "link", name="People"
    ).click()
    page.evaluate("window.__noReload = true")
    page.get_by_label("Role of Eli Novak").select_option(Role.PRODUCT_MANAGER.value)
    expect(page.get_by_label("Role of Eli Novak")).to_have_value("product_manager")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__noReload") is True
    assert (
        Membership.objects.get(portfolio__slug="acme", user__username="eli").role
        == Role.PRODUCT_MANAGER
    )

    # The last director cannot demote herself: the error shows on her row.
    page.get_by_label("Role of Dana Whitfield").select_option(Role.CONTRIBUTOR.value)
    expect(page.locator("#member-error-" + str(_pk("dana")))).to_contain_text("last director")
    page.screenshot(path="/tmp/settings_people.png", full_page=True)
    assert page.console_errors == []


def _pk(username):
    from teams.models import User

    return User.objects.get(username=username).pk

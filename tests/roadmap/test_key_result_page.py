import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from okrs.models import CheckIn
from tests.okrs import builders
from tests.roadmap.factories import AlignmentFactory, RoadmapItemFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def key_result(cycle, product, owning_pm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        objective = builders.objective(cycle, "Cut checkout friction", product=product)
        kr = builders.key_result(objective, "Checkout conversion", owner=owning_pm, unit="%")
        for days_ago, value in [(20, 10), (10, 20), (2, 35)]:
            builders.check_in(
                kr,
                owning_pm,
                value,
                confidence=7,
                note=f"Note {value}",
                checked_in_at=timezone.now() - datetime.timedelta(days=days_ago),
            )
    kr.refresh_from_db()
    return kr


def url(key_result):
    return reverse("key_result_detail", args=["acme", key_result.pk])


def data(key_result, **values):
    return {f"kr{key_result.pk}-{name}": value for name, value in values.items()}


class TestKeyResultPage:
    def test_shows_history_chart_forecast_and_aligned_items(
        self, client, owning_pm, key_result, product
    ):
        item = RoadmapItemFactory(product=product, title="One-page checkout")
        AlignmentFactory(item=item, key_result=key_result, note="Fewer steps.")
        client.force_login(owning_pm)
        response = client.get(url(key_result))
        html = response.content.decode()
        assert response.status_code == 200
        assert "Checkout conversion" in html
        assert html.count("Note ") == 3  # who, when, value, note of every check-in
        assert "Priya Owner" in html
        assert 'class="kr-chart"' in html
        assert 'class="kr-chart__plan"' in html
        assert 'class="kr-chart__forecast"' in html
        assert html.count('class="kr-chart__dot"') == 3
        assert "One-page checkout" in html
        assert "Fewer steps." in html
        assert 'class="check-in-form check-in-form--stacked"' in html

    def test_shows_the_edit_button_only_to_editors_when_the_page_exists(
        self, client, person, key_result
    ):
        try:
            edit_url = reverse("key_result_edit", args=["acme", key_result.pk])
        except NoReverseMatch:
            edit_url = None
        for role, expected in [("owning_pm", True), ("other_pm", False), ("stakeholder", False)]:
            client.force_login(person(role))
            html = client.get(url(key_result)).content.decode()
            assert (edit_url is not None and f'href="{edit_url}"' in html) == (
                expected and edit_url is not None
            )

    def test_no_check_in_form_for_a_stakeholder(self, client, stakeholder, key_result):
        client.force_login(stakeholder)
        html = client.get(url(key_result)).content.decode()
        assert "check-in-form" not in html
        assert "Only the key result's owner" in html

    def test_empty_history(self, client, owning_pm, cycle, product):
        objective = builders.objective(cycle, "Objective", product=product)
        kr = builders.key_result(objective, "Fresh", owner=owning_pm)
        client.force_login(owning_pm)
        html = client.get(url(kr)).content.decode()
        assert "No check-in yet" in html
        assert "Needs two check-ins." in html

    def test_outsider_gets_404(self, client, outsider, key_result):
        client.force_login(outsider)
        assert client.get(url(key_result)).status_code == 404

    def test_another_portfolios_slug_gets_404(self, client, director, key_result, other_portfolio):
        client.force_login(director)
        response = client.get(reverse("key_result_detail", args=["globex", key_result.pk]))
        assert response.status_code == 404

    def test_queries_do_not_grow_with_check_ins(
        self, client, owning_pm, key_result, product, django_capture_on_commit_callbacks
    ):
        client.force_login(owning_pm)
        with CaptureQueriesContext(connection) as small:
            client.get(url(key_result))
        with django_capture_on_commit_callbacks(execute=True):
            for value in range(40, 60):
                builders.check_in(key_result, owning_pm, value)
        for _ in range(5):
            AlignmentFactory(item=RoadmapItemFactory(product=product), key_result=key_result)
        with CaptureQueriesContext(connection) as large:
            html = client.get(url(key_result)).content.decode()
        assert html.count('class="kr-chart__dot"') == 23
        assert len(large) == len(small)


class TestCheckInOnThePage:
    def test_htmx_check_in_re_renders_the_page_body(self, client, owning_pm, key_result):
        client.force_login(owning_pm)
        response = client.post(url(key_result), data(key_result, value="50", note="Launch"), **HTMX)
        html = response.content.decode()
        assert response.status_code == 200
        assert "checkInCreated" in response["HX-Trigger"]
        assert html.lstrip().startswith('<div id="key-result"')
        assert "Launch" in html
        assert CheckIn.objects.filter(key_result=key_result).count() == 4

    def test_invalid_check_in_shows_errors_and_saves_nothing(self, client, owning_pm, key_result):
        client.force_login(owning_pm)
        response = client.post(
            url(key_result), data(key_result, value="1e40", note="x" * 2001), **HTMX
        )
        html = response.content.decode()
        assert "That number is too large" in html
        assert "Keep the note under 2,000 characters." in html
        assert CheckIn.objects.filter(key_result=key_result).count() == 3

    def test_without_htmx_redirects(self, client, owning_pm, key_result):
        client.force_login(owning_pm)
        response = client.post(url(key_result), data(key_result, value="50"))
        assert response.status_code == 302

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            ("director", 302),
            ("owning_pm", 302),
            ("other_pm", 403),
            ("contributor", 403),
            ("stakeholder", 403),
            ("outsider", 404),
        ],
    )
    def test_only_those_allowed_may_check_in(self, client, person, key_result, role, status):
        client.force_login(person(role))
        response = client.post(url(key_result), data(key_result, value="50"))
        assert response.status_code == status
        assert CheckIn.objects.filter(key_result=key_result).count() == (4 if status == 302 else 3)

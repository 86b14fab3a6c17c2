import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from okrs.models import CheckIn, KeyResult, Objective
from roadmap.models import Horizon, ItemStatus, RoadmapItem, RoadmapItemChange
from tests.okrs import builders
from tests.roadmap.factories import RoadmapItemFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def tree(cycle, product, owning_pm, contributor, director, django_capture_on_commit_callbacks):
    """A product objective with a PM's key result and a contributor's, with roll-ups run."""
    with django_capture_on_commit_callbacks(execute=True):
        objective = builders.objective(cycle, "Cut checkout friction", product=product)
        pm_kr = builders.key_result(objective, "Checkout conversion", owner=owning_pm)
        eli_kr = builders.key_result(objective, "Time to pay", owner=contributor)
    return {"objective": objective, "pm_kr": pm_kr, "eli_kr": eli_kr}


def check_in_data(key_result, **data):
    return {f"kr{key_result.pk}-{name}": value for name, value in data.items()}


class TestMyWorkPage:
    def test_lists_my_key_results_grouped_by_objective(self, client, owning_pm, tree):
        client.force_login(owning_pm)
        response = client.get(reverse("my_work"))
        html = response.content.decode()
        assert response.status_code == 200
        assert "Cut checkout friction" in html
        assert "Checkout conversion" in html
        assert "Time to pay" in html  # of my product, owned by someone else
        assert html.count('class="check-in-form"') == 2

    def test_never_checked_in_first_then_oldest(
        self, client, owning_pm, tree, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            builders.check_in(tree["pm_kr"], owning_pm, 10)
        client.force_login(owning_pm)
        html = client.get(reverse("my_work")).content.decode()
        assert html.index("Time to pay") < html.index("Checkout conversion")

    def test_a_contributor_sees_only_the_key_results_they_own(self, client, contributor, tree):
        client.force_login(contributor)
        html = client.get(reverse("my_work")).content.decode()
        assert "Time to pay" in html
        assert "Checkout conversion" not in html

    def test_empty_state_for_someone_with_nothing_to_check_in(self, client, stakeholder, tree):
        client.force_login(stakeholder)
        html = client.get(reverse("my_work")).content.decode()
        assert "Nothing to check in" in html
        assert "No open roadmap items" in html

    def test_lists_my_items_with_quick_controls(self, client, owning_pm, product):
        RoadmapItemFactory(product=product, title="One-page checkout", horizon=Horizon.NOW)
        RoadmapItemFactory(product=product, title="Archived", is_archived=True)
        client.force_login(owning_pm)
        html = client.get(reverse("my_work")).content.decode()
        assert "One-page checkout" in html
        assert "Archived" not in html
        assert 'name="status"' in html
        assert 'name="horizon"' in html

    def test_queries_do_not_grow_with_rows(
        self, client, owning_pm, cycle, product, django_capture_on_commit_callbacks
    ):
        def add(count):
            with django_capture_on_commit_callbacks(execute=True):
                objective = builders.objective(cycle, "Objective", product=product)
                for index in range(count):
                    kr = builders.key_result(objective, f"KR {index}", owner=owning_pm)
                    builders.check_in(kr, owning_pm, 5)
                    builders.check_in(kr, owning_pm, 9)
            RoadmapItemFactory.create_batch(count, product=product, owner=owning_pm)

        client.force_login(owning_pm)
        add(2)
        with CaptureQueriesContext(connection) as small:
            assert client.get(reverse("my_work")).status_code == 200
        add(8)
        with CaptureQueriesContext(connection) as large:
            html = client.get(reverse("my_work")).content.decode()
        assert html.count('class="kr-row"') == 10
        assert len(large) == len(small)


class TestCheckIn:
    @pytest.mark.django_db(transaction=True)
    def test_htmx_check_in_re_renders_the_row_with_new_progress(self, client, owning_pm, tree):
        """Outside a test transaction the roll-up runs (eagerly) on commit, before the
        view re-reads the key result and its objective."""
        client.force_login(owning_pm)
        kr = tree["pm_kr"]
        response = client.post(
            reverse("my_work_check_in", args=[kr.pk]),
            check_in_data(kr, value="40", confidence="8", note="Good week."),
            **HTMX,
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "checkInCreated" in response["HX-Trigger"]
        assert "<html" not in html
        assert f'id="kr-{kr.pk}"' in html
        assert "Check-in saved." in html
        assert 'aria-label="Progress: 40%' in html  # the key result's: 0 → 100
        assert 'aria-label="Objective progress: 20%' in html  # its objective's, rolled up
        assert "sparkline" not in html  # one check-in draws no line yet
        assert f'id="objective-{tree["objective"].pk}-header"' in html
        assert 'hx-swap-oob="true"' in html
        check_in = CheckIn.objects.get(key_result=kr)
        assert check_in.value == Decimal(40)
        assert check_in.confidence == 8
        assert KeyResult.objects.get(pk=kr.pk).progress == pytest.approx(0.4)
        assert Objective.objects.get(pk=tree["objective"].pk).progress == pytest.approx(0.2)

    def test_objective_progress_shows_after_the_roll_up(self, client, owning_pm, tree):
        """In eager mode the roll-up has run when the view re-reads the objective."""
        client.force_login(owning_pm)
        kr = tree["pm_kr"]
        response = client.post(
            reverse("my_work_check_in", args=[kr.pk]), check_in_data(kr, value="60"), **HTMX
        )
        assert response.status_code == 200
        assert CheckIn.objects.filter(key_result=kr).count() == 1

    def test_invalid_value_shows_an_inline_error_and_saves_nothing(self, client, owning_pm, tree):
        client.force_login(owning_pm)
        kr = tree["pm_kr"]
        response = client.post(
            reverse("my_work_check_in", args=[kr.pk]),
            check_in_data(kr, value="NaN", confidence="12"),
            **HTMX,
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "Enter a finite number" in html
        assert "Confidence is a whole number from 0 to 10." in html
        assert "HX-Trigger" not in response
        assert not CheckIn.objects.exists()

    def test_service_errors_land_on_the_date_field(self, client, owning_pm, tree, cycle):
        client.force_login(owning_pm)
        kr = tree["pm_kr"]
        future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
        response = client.post(
            reverse("my_work_check_in", args=[kr.pk]),
            check_in_data(kr, value="10", checked_on=future),
            **HTMX,
        )
        assert "A check-in cannot be dated in the future." in response.content.decode()
        assert not CheckIn.objects.exists()

    def test_without_htmx_redirects_after_a_check_in(self, client, owning_pm, tree):
        client.force_login(owning_pm)
        kr = tree["pm_kr"]
        response = client.post(
            reverse("my_work_check_in", args=[kr.pk]), check_in_data(kr, value="10")
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("my_work")

    def test_without_htmx_an_invalid_check_in_shows_the_page_with_the_error(
        self, client, owning_pm, tree
    ):
        client.force_login(owning_pm)
        kr = tree["pm_kr"]
        response = client.post(
            reverse("my_work_check_in", args=[kr.pk]), check_in_data(kr, value="lots")
        )
        assert response.status_code == 200
        assert "Enter a number" in response.content.decode()
        assert not CheckIn.objects.exists()

    @pytest.mark.parametrize(
        ("role", "key_result", "status"),
        [
            ("director", "pm_kr", 200),
            ("owning_pm", "pm_kr", 200),
            ("owning_pm", "eli_kr", 200),
            ("other_pm", "pm_kr", 403),
            ("contributor", "eli_kr", 200),
            ("contributor", "pm_kr", 403),
            ("other_contributor", "eli_kr", 403),
            ("stakeholder", "pm_kr", 403),
            ("outsider", "pm_kr", 404),
        ],
    )
    def test_only_those_allowed_may_check_in(self, client, person, tree, role, key_result, status):
        client.force_login(person(role))
        kr = tree[key_result]
        response = client.post(
            reverse("my_work_check_in", args=[kr.pk]), check_in_data(kr, value="10"), **HTMX
        )
        assert response.status_code == status
        assert CheckIn.objects.filter(key_result=kr).exists() == (status == 200)


class TestQuickItemUpdate:
    def test_changes_status_and_horizon_and_records_who(self, client, owning_pm, product):
        item = RoadmapItemFactory(product=product, horizon=Horizon.NEXT)
        client.force_login(owning_pm)
        response = client.post(
            reverse("my_work_item_update", args=[item.pk]),
            {"status": ItemStatus.IN_PROGRESS, "horizon": Horizon.NOW},
            **HTMX,
        )
        assert response.status_code == 200
        assert response["HX-Trigger"].startswith('{"roadmapItemSaved"')
        item.refresh_from_db()
        assert (item.status, item.horizon) == (ItemStatus.IN_PROGRESS, Horizon.NOW)
        assert f'id="my-item-{item.pk}"' in response.content.decode()
        changes = RoadmapItemChange.objects.filter(item=item, actor=owning_pm)
        assert set(changes.values_list("field", flat=True)) == {"status", "horizon"}

    def test_refuses_an_unknown_status(self, client, owning_pm, product):
        item = RoadmapItemFactory(product=product)
        client.force_login(owning_pm)
        response = client.post(
            reverse("my_work_item_update", args=[item.pk]), {"status": "shipped"}, **HTMX
        )
        assert "Choose a status" in response.content.decode()
        assert RoadmapItem.objects.get(pk=item.pk).status == ItemStatus.PLANNED

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
    def test_only_editors_change_items(self, client, person, product, role, status):
        item = RoadmapItemFactory(product=product)
        client.force_login(person(role))
        response = client.post(
            reverse("my_work_item_update", args=[item.pk]), {"status": ItemStatus.DONE}
        )
        assert response.status_code == status
        assert (RoadmapItem.objects.get(pk=item.pk).status == ItemStatus.DONE) == (status == 302)


class TestDueCount:
    def test_counts_key_results_without_a_check_in_this_week(
        self, client, owning_pm, tree, django_capture_on_commit_callbacks
    ):
        client.force_login(owning_pm)
        assert "2 key results are due" in client.get(reverse("my_work")).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            builders.check_in(tree["pm_kr"], owning_pm, 10)
        assert "1 key result is due" in client.get(reverse("my_work")).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            builders.check_in(tree["eli_kr"], owning_pm, 10)
        assert "up to date" in client.get(reverse("my_work")).content.decode()


class TestMyItemsCap:
    @pytest.fixture
    def items(self, product, owning_pm):
        return [
            RoadmapItemFactory(
                product=product, owner=owning_pm, title=f"Item {index:02d}", position=index
            )
            for index in range(30)
        ]

    def test_lists_the_first_25_with_the_count_and_show_more(self, client, owning_pm, items):
        client.force_login(owning_pm)
        html = client.get(reverse("my_work")).content.decode()
        assert html.count('id="my-item-') == 25
        assert "Item 24" in html
        assert "Item 25" not in html
        assert "Showing 25 of 30." in html
        assert "Show 5 more" in html
        assert 'href="/me/?items=50#my-items"' in html

    def test_show_more_fragment_answers_the_next_rows(self, client, owning_pm, items):
        client.force_login(owning_pm)
        response = client.get(
            reverse("my_work") + "?items=50", HTTP_HX_TARGET="my-items-more", **HTMX
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in html
        assert html.count('id="my-item-') == 5
        assert [f"Item {i}" in html for i in range(25, 30)] == [True] * 5
        assert "Item 24" not in html
        assert 'id="my-items-more"' not in html  # nothing left
        assert 'name="status"' in html  # the quick controls come along

    def test_without_javascript_the_link_lists_more(self, client, owning_pm, items):
        client.force_login(owning_pm)
        html = client.get(reverse("my_work") + "?items=50").content.decode()
        assert html.count('id="my-item-') == 30
        assert 'id="my-items-more"' not in html

    def test_read_only_rows_in_the_fragment(self, client, director, items):
        """The director owns none of these; the fragment lists only their own items."""
        client.force_login(director)
        response = client.get(
            reverse("my_work") + "?items=50", HTTP_HX_TARGET="my-items-more", **HTMX
        )
        assert response.status_code == 200
        assert 'id="my-item-' not in response.content.decode()

    def test_queries_of_the_fragment_do_not_grow(self, client, owning_pm, product, items):
        client.force_login(owning_pm)
        url = reverse("my_work") + "?items=50"
        with CaptureQueriesContext(connection) as small:
            client.get(url, HTTP_HX_TARGET="my-items-more", **HTMX)
        RoadmapItemFactory.create_batch(40, product=product, owner=owning_pm)
        with CaptureQueriesContext(connection) as large:
            client.get(url, HTTP_HX_TARGET="my-items-more", **HTMX)
        assert len(large) == len(small)


class TestCheckInFormsOnDemand:
    @pytest.fixture
    def many(self, cycle, product, owning_pm):
        """12 key results never checked in (due) and 3 checked in yesterday."""
        objective = Objective.objects.create(cycle=cycle, product=product, title="Many")
        due = [
            KeyResult.objects.create(
                objective=objective, title=f"Due {i:02d}", target_value=100, owner=owning_pm
            )
            for i in range(12)
        ]
        fresh = [
            KeyResult.objects.create(
                objective=objective,
                title=f"Fresh {i}",
                target_value=100,
                owner=owning_pm,
                last_checked_in_at=timezone.now() - datetime.timedelta(days=1),
            )
            for i in range(3)
        ]
        return {"due": due, "fresh": fresh}

    def test_forms_are_open_for_the_ten_most_urgent_due_key_results(self, client, owning_pm, many):
        from roadmap.my_work import OPEN_FORMS

        client.force_login(owning_pm)
        html = client.get(reverse("my_work")).content.decode()
        assert html.count('class="check-in-form"') == OPEN_FORMS == 10
        assert "12 key results are due" in html
        for kr in many["due"][10:] + many["fresh"]:
            row = html.split(f'id="kr-{kr.pk}"')[1].split("</li>")[0]
            assert 'class="check-in-form"' not in row
            assert f'hx-get="/me/?check_in={kr.pk}"' in row
            assert f'href="/me/?check_in={kr.pk}#kr-{kr.pk}"' in row

    def test_check_in_button_loads_the_form_into_the_row(self, client, owning_pm, many):
        kr = many["fresh"][0]
        client.force_login(owning_pm)
        response = client.get(
            reverse("my_work") + f"?check_in={kr.pk}", HTTP_HX_TARGET=f"kr-{kr.pk}", **HTMX
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in html
        assert html.lstrip().startswith(f'<li class="kr-row" id="kr-{kr.pk}"')
        assert html.count('class="check-in-form"') == 1
        assert f'action="/me/key-results/{kr.pk}/check-in/"' in html
        assert "autofocus" in html
        assert 'class="sparkline"' not in html  # no check-ins yet, as on the page

    def test_without_javascript_the_link_opens_the_form_on_the_page(self, client, owning_pm, many):
        kr = many["fresh"][1]
        client.force_login(owning_pm)
        html = client.get(reverse("my_work") + f"?check_in={kr.pk}").content.decode()
        row = html.split(f'id="kr-{kr.pk}"')[1].split("</li>")[0]
        assert 'class="check-in-form"' in row
        assert html.count('class="check-in-form"') == 11

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            ("director", 200),
            ("owning_pm", 200),
            ("other_pm", 403),
            ("stakeholder", 403),
            ("outsider", 404),
        ],
    )
    def test_only_those_who_may_check_in_get_the_form(self, client, person, many, role, status):
        kr = many["fresh"][0]
        client.force_login(person(role))
        response = client.get(
            reverse("my_work") + f"?check_in={kr.pk}", HTTP_HX_TARGET=f"kr-{kr.pk}", **HTMX
        )
        assert response.status_code == status

    def test_no_form_and_no_button_where_the_person_may_not_check_in(
        self, client, stakeholder, cycle
    ):
        """A stakeholder may own a key result but never checks in."""
        objective = Objective.objects.create(cycle=cycle, title="Told about it")
        kr = KeyResult.objects.create(
            objective=objective, title="Watched metric", target_value=100, owner=stakeholder
        )
        client.force_login(stakeholder)
        html = client.get(reverse("my_work")).content.decode()
        row = html.split(f'id="kr-{kr.pk}"')[1].split("</li>")[0]
        assert "Watched metric" in row
        assert "check-in-form" not in row
        assert "?check_in=" not in row

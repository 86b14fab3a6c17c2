"""The OKR tree, its dialog forms and the breakdown pages, for every role."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from okrs.models import Cycle, CycleState, KeyResult, Objective
from okrs.selectors import TREE_PAGE_SIZE
from tests.okrs import builders
from tests.okrs.factories import CheckInFactory, CycleFactory
from tests.portfolio.factories import ProductFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
MEMBERS = ["director", "owning_pm", "other_pm", "contributor", "stakeholder"]
NOT_DIRECTORS = ["owning_pm", "other_pm", "contributor", "stakeholder"]


@pytest.fixture
def tree(cycle, product, director, owning_pm, django_capture_on_commit_callbacks):
    """A portfolio objective with one key result and a cascading product objective."""
    with django_capture_on_commit_callbacks(execute=True):
        top = builders.objective(cycle, "Win the mid-market", owner=director)
        kr = builders.key_result(top, "Net revenue retention", owner=director)
        child = builders.objective(
            cycle, "Faster checkout", product=product, parent=top, owner=owning_pm
        )
        child_kr = builders.key_result(child, "Checkout conversion", owner=owning_pm)
        builders.check_in(child_kr, owning_pm, 50, confidence=8)
    return {"top": top, "kr": kr, "child": child, "child_kr": child_kr}


def signed_in(client, user):
    client.force_login(user)
    return client


def children_url(objective, query=""):
    return reverse("okr_tree_children", args=["acme", objective.pk]) + query


def expand(objective):
    """Headers of the request an expand toggle makes (htmx, into the row's region)."""
    return {**HTMX, "HTTP_HX_TARGET": f"okr-children-{objective.pk}"}


def more(objective=None):
    """Headers of the request a "Show more" row makes (htmx, replacing itself)."""
    return {**HTMX, "HTTP_HX_TARGET": f"okr-more-{objective.pk if objective else 'roots'}"}


class TestOkrTree:
    @pytest.mark.parametrize("role", MEMBERS)
    def test_every_member_reads_the_cascade(self, client, person, role, tree):
        signed_in(client, person(role))
        response = client.get(reverse("okr_tree", args=["acme"]))
        html = response.content.decode()
        assert response.status_code == 200
        assert "Win the mid-market" in html
        assert "Net revenue retention" in html  # a short tree opens its roots
        assert "Faster checkout" in html
        assert "Checkout conversion" not in html  # deeper levels load on expand
        children = client.get(children_url(tree["child"]), **expand(tree["child"]))
        html = children.content.decode()
        assert children.status_code == 200
        assert "Checkout conversion" in html
        assert "Priya Owner" in html
        assert "8/10" in html  # confidence of the checked-in key result

    def test_outsider_gets_404(self, client, outsider, tree):
        response = signed_in(client, outsider).get(reverse("okr_tree", args=["acme"]))
        assert response.status_code == 404

    def test_anonymous_is_sent_to_sign_in(self, client, tree):
        response = client.get(reverse("okr_tree", args=["acme"]))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def test_director_sees_editing_controls_for_everything(self, client, director, tree):
        html = signed_in(client, director).get(reverse("okr_tree", args=["acme"])).content.decode()
        assert reverse("objective_edit", args=["acme", tree["top"].pk]) in html
        assert reverse("key_result_edit", args=["acme", tree["kr"].pk]) in html
        assert reverse("cycle_edit", args=["acme", tree["top"].cycle_id]) in html

    def test_owning_pm_edits_only_their_products_objectives(self, client, owning_pm, tree):
        html = signed_in(client, owning_pm).get(reverse("okr_tree", args=["acme"])).content.decode()
        html += client.get(children_url(tree["child"]), **expand(tree["child"])).content.decode()
        assert reverse("objective_edit", args=["acme", tree["child"].pk]) in html
        assert reverse("key_result_edit", args=["acme", tree["child_kr"].pk]) in html
        assert reverse("objective_edit", args=["acme", tree["top"].pk]) not in html
        assert reverse("key_result_edit", args=["acme", tree["kr"].pk]) not in html
        assert "Edit cycle" not in html

    @pytest.mark.parametrize("role", ["other_pm", "contributor", "stakeholder"])
    def test_readers_see_no_editing_controls(self, client, person, role, tree):
        html = (
            signed_in(client, person(role)).get(reverse("okr_tree", args=["acme"])).content.decode()
        )
        assert "/edit/" not in html
        assert "New objective" not in html
        assert "Add a key result to" not in html

    def test_filter_by_product_keeps_the_path_and_drops_the_rest(
        self, client, director, tree, cycle, other_product
    ):
        builders.objective(
            cycle, "Unrelated search objective", product=other_product, parent=tree["top"]
        )
        url = reverse("okr_tree", args=["acme"]) + "?product=checkout"
        response = signed_in(client, director).get(url, **HTMX)
        html = response.content.decode()
        assert response.status_code == 200
        assert html.lstrip().startswith('<section id="okr-tree"'), (
            "the htmx answer is the tree partial"
        )
        assert "Faster checkout" in html
        assert "Win the mid-market" in html  # the path to the match
        assert "Net revenue retention" not in html  # not the portfolio objective's own KRs
        assert "Unrelated search objective" not in html
        assert "HX-Request" in response["Vary"]

    def test_filter_by_status_and_owner(self, client, director, owning_pm, tree):
        url = reverse("okr_tree", args=["acme"]) + f"?owner={owning_pm.username}"
        html = signed_in(client, director).get(url).content.decode()
        assert "Checkout conversion" in html
        assert "Net revenue retention" not in html
        url = reverse("okr_tree", args=["acme"]) + "?status=achieved"
        html = client.get(url).content.decode()
        assert "Nothing matches these filters" in html

    def test_no_cycle_director_is_offered_to_create_one(self, client, director, portfolio):
        html = signed_in(client, director).get(reverse("okr_tree", args=["acme"])).content.decode()
        assert "Create the first cycle" in html
        assert reverse("cycle_create", args=["acme"]) in html

    def test_no_cycle_others_are_told_to_wait(self, client, stakeholder, portfolio):
        html = (
            signed_in(client, stakeholder).get(reverse("okr_tree", args=["acme"])).content.decode()
        )
        assert "Your director hasn't set up a cycle yet" in html
        assert "Create the first cycle" not in html

    def test_no_objectives_guides_the_director(self, client, director, cycle):
        html = signed_in(client, director).get(reverse("okr_tree", args=["acme"])).content.decode()
        assert "No objectives in This quarter yet" in html
        assert "Add the first objective" in html

    @pytest.mark.parametrize("htmx", [False, True])
    def test_query_count_does_not_grow_with_the_tree(
        self, client, director, cycle, owning_pm, htmx
    ):
        signed_in(client, director)
        url = reverse("okr_tree", args=["acme"])
        extra = HTMX if htmx else {}

        def grow(n):
            for i in range(n):
                product = ProductFactory(portfolio=cycle.portfolio, owner=owning_pm)
                top = Objective.objects.create(cycle=cycle, title=f"Top {i}", owner=director)
                child = Objective.objects.create(
                    cycle=cycle, title=f"Child {i}", product=product, parent=top, depth=1
                )
                for obj in (top, child):
                    KeyResult.objects.create(
                        objective=obj, title=f"KR {obj.pk}", target_value=10, owner=owning_pm
                    )

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, **extra).status_code == 200
            return len(queries)

        grow(1)
        small = count()
        grow(6)
        assert count() == small


class TestLazyTree:
    """Large trees render their roots and load an objective's contents on expand."""

    def test_a_collapsed_row_says_what_is_under_it_and_links_to_it(self, client, director, tree):
        html = signed_in(client, director).get(reverse("okr_tree", args=["acme"])).content.decode()
        row = html.split(f'id="okr-node-{tree["child"].pk}"')[1].split("</li>")[0]
        assert "1 key result" in row
        assert 'aria-expanded="false"' in row
        # A real href (the objective on its own page) for when JavaScript is off.
        assert f'href="{children_url(tree["child"])}?cycle={tree["child"].cycle_id}"' in row

    def test_expanding_returns_the_key_results_and_child_objectives(self, client, director, tree):
        response = signed_in(client, director).get(children_url(tree["top"]), **expand(tree["top"]))
        html = response.content.decode()
        assert response.status_code == 200
        assert html.lstrip().startswith('<ul class="okr-krs"')
        assert "Net revenue retention" in html
        assert "Faster checkout" in html
        assert reverse("key_result_edit", args=["acme", tree["kr"].pk]) in html
        assert "HX-Request" in response["Vary"]

    def test_stakeholders_get_read_only_contents(self, client, stakeholder, tree):
        html = (
            signed_in(client, stakeholder)
            .get(children_url(tree["top"]), **expand(tree["top"]))
            .content.decode()
        )
        assert "Net revenue retention" in html
        assert "/edit/" not in html
        assert "+ Objective" not in html

    def test_another_portfolios_member_gets_404(self, client, outsider, tree):
        signed_in(client, outsider)
        assert client.get(children_url(tree["top"]), **expand(tree["top"])).status_code == 404
        assert client.get(children_url(tree["top"])).status_code == 404

    def test_without_javascript_the_objective_opens_on_its_own_page(
        self, client, contributor, tree
    ):
        html = signed_in(client, contributor).get(children_url(tree["child"])).content.decode()
        assert "<html" in html
        assert "Checkout conversion" in html
        assert "All objectives" in html
        assert children_url(tree["top"]) in html  # up to the objective it cascades from

    def test_open_objectives_are_rendered_open(self, client, director, tree):
        url = reverse("okr_tree", args=["acme"]) + f"?open={tree['top'].pk},{tree['child'].pk}"
        html = signed_in(client, director).get(url, **HTMX).content.decode()
        assert "Checkout conversion" in html
        url = reverse("okr_tree", args=["acme"]) + "?open="
        html = client.get(url, **HTMX).content.decode()
        assert "Net revenue retention" not in html  # nothing open, as asked

    def test_children_past_the_cap_are_counted_and_shown_on_demand(
        self, client, director, cycle, product
    ):
        top = Objective.objects.create(cycle=cycle, title="Big objective")
        for i in range(TREE_PAGE_SIZE + 3):
            Objective.objects.create(
                cycle=cycle, title=f"Child {i:03}", parent=top, product=product, depth=1
            )
        signed_in(client, director)
        html = client.get(children_url(top), **expand(top)).content.decode()
        assert html.count('class="okr-node ') == TREE_PAGE_SIZE
        assert "Show 3 more objectives under Big objective" in html
        assert "3 not shown" in html
        next_url = children_url(top, f"?cycle={cycle.pk}&amp;offset={TREE_PAGE_SIZE}")
        assert f'href="{next_url}"' in html
        rest = client.get(children_url(top, f"?offset={TREE_PAGE_SIZE}"), **more(top))
        html = rest.content.decode()
        assert html.count('class="okr-node ') == 3
        assert "Child 052" in html
        assert "Child 049" not in html
        assert "Show" not in html
        # Without JavaScript the same link is a page with those objectives.
        page = client.get(children_url(top, f"?offset={TREE_PAGE_SIZE}")).content.decode()
        assert "<html" in page
        assert "Child 052" in page
        assert "Child 049" not in page

    def test_roots_past_the_cap_are_counted_and_shown_on_demand(self, client, director, cycle):
        for i in range(TREE_PAGE_SIZE + 2):
            Objective.objects.create(cycle=cycle, title=f"Root {i:03}", position=i)
        signed_in(client, director)
        url = reverse("okr_tree", args=["acme"])
        html = client.get(url).content.decode()
        assert "Root 049" in html
        assert "Root 050" not in html
        assert "Show 2 more" in html
        rest = client.get(url + f"?offset={TREE_PAGE_SIZE}", **more()).content.decode()
        assert "Root 050" in rest
        assert "Root 051" in rest
        assert "Root 049" not in rest
        assert "<section" not in rest  # just the rows
        page = client.get(url + f"?offset={TREE_PAGE_SIZE}").content.decode()
        assert f"Objectives 51–52 of {TREE_PAGE_SIZE + 2}" in page

    def test_filters_apply_to_expanded_contents(
        self, client, director, owning_pm, tree, cycle, other_product
    ):
        builders.objective(
            cycle, "Unrelated search objective", product=other_product, parent=tree["top"]
        )
        signed_in(client, director)
        html = client.get(
            children_url(tree["top"], "?product=checkout"), **expand(tree["top"])
        ).content.decode()
        assert "Faster checkout" in html
        assert "Unrelated search objective" not in html
        assert "Net revenue retention" not in html  # outside the product
        html = client.get(
            children_url(tree["child"], f"?owner={director.username}"), **expand(tree["child"])
        ).content.decode()
        assert "Checkout conversion" not in html
        assert "Nothing under Faster checkout matches these filters." in html

    def test_a_filter_opens_the_paths_to_its_matches_and_counts_them(
        self, client, director, owning_pm, tree
    ):
        url = reverse("okr_tree", args=["acme"]) + f"?owner={owning_pm.username}"
        html = signed_in(client, director).get(url).content.decode()
        # The child objective and its key result; the top one only leads to them.
        assert "1 objective and 1 key result match." in html
        assert "Checkout conversion" in html  # two levels down, opened for the match

    def test_children_query_count_does_not_grow(self, client, director, cycle, product):
        top = Objective.objects.create(cycle=cycle, title="Top")
        signed_in(client, director)

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(children_url(top), **expand(top)).status_code == 200
            return len(queries)

        def grow(n):
            for i in range(n):
                child = Objective.objects.create(
                    cycle=cycle, title=f"C {i}", parent=top, product=product, depth=1
                )
                KeyResult.objects.create(objective=top, title=f"KR {i}", target_value=10)
                KeyResult.objects.create(objective=child, title=f"KR c{i}", target_value=10)

        grow(1)
        small = count()
        grow(8)
        assert count() == small

    def test_saving_from_the_dialog_asks_the_tree_to_show_what_changed(
        self, client, director, tree
    ):
        data = {"title": "ARR", "measure": "milestone", "weight": "1"}
        url = reverse("key_result_create", args=["acme", tree["child"].pk])
        response = signed_in(client, director).post(url, data, **HTMX)
        trigger = json.loads(response["HX-Trigger"])
        assert trigger["okrsChanged"] == {"open": [tree["child"].pk, tree["top"].pk]}
        response = client.post(url, {**data, "title": "NPS"})
        assert f"open={tree['child'].pk}%2C{tree['top'].pk}" in response["Location"]
        html = client.get(response["Location"]).content.decode()
        assert "NPS" in html


class TestKeyResultDialog:
    def url(self, objective):
        return reverse("key_result_create", args=["acme", objective.pk])

    def test_get_returns_the_form_partial(self, client, director, tree):
        response = signed_in(client, director).get(self.url(tree["top"]), **HTMX)
        html = response.content.decode()
        assert html.lstrip().startswith("<form")
        assert 'name="target_value"' in html
        assert "Win the mid-market" in html

    def test_invalid_target_shows_inline_error_and_saves_nothing(self, client, director, tree):
        data = {
            "title": "ARR",
            "measure": "increase",
            "start_value": "5",
            "target_value": "5",
            "weight": "1",
        }
        response = signed_in(client, director).post(self.url(tree["top"]), data, **HTMX)
        html = response.content.decode()
        assert response.status_code == 200
        assert "To increase, the target must be above the start value." in html
        assert not KeyResult.objects.filter(title="ARR").exists()

    def test_valid_post_with_htmx_answers_204_and_triggers(self, client, director, tree):
        data = {
            "title": "ARR",
            "measure": "increase",
            "start_value": "5",
            "target_value": "9",
            "weight": "2",
            "unit": "M€",
        }
        response = signed_in(client, director).post(self.url(tree["top"]), data, **HTMX)
        assert response.status_code == 204
        assert set(json.loads(response["HX-Trigger"])) == {"okrsChanged", "dialogClose"}
        kr = KeyResult.objects.get(title="ARR")
        assert (kr.objective, kr.target_value, kr.weight, kr.unit) == (tree["top"], 9, 2, "M€")

    def test_without_htmx_redirects_to_the_tree(self, client, director, tree):
        data = {"title": "Launch", "measure": "milestone", "weight": "1"}
        response = signed_in(client, director).post(self.url(tree["top"]), data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("okr_tree", args=["acme"]))
        kr = KeyResult.objects.get(title="Launch")
        assert (kr.start_value, kr.target_value) == (0, 1)

    @pytest.mark.parametrize("role", NOT_DIRECTORS)
    def test_only_the_director_adds_to_a_portfolio_objective(self, client, person, role, tree):
        data = {
            "title": "Sneaky",
            "measure": "increase",
            "start_value": "0",
            "target_value": "1",
            "weight": "1",
        }
        response = signed_in(client, person(role)).post(self.url(tree["top"]), data)
        assert response.status_code == 403
        assert not KeyResult.objects.filter(title="Sneaky").exists()

    def test_owning_pm_adds_to_their_product_objective(self, client, owning_pm, tree):
        data = {
            "title": "AOV",
            "measure": "increase",
            "start_value": "40",
            "target_value": "50",
            "weight": "1",
        }
        response = signed_in(client, owning_pm).post(self.url(tree["child"]), data, **HTMX)
        assert response.status_code == 204
        assert KeyResult.objects.filter(title="AOV", objective=tree["child"]).exists()

    def test_other_pm_is_refused_on_someone_elses_product(self, client, other_pm, tree):
        data = {
            "title": "AOV",
            "measure": "increase",
            "start_value": "40",
            "target_value": "50",
            "weight": "1",
        }
        assert signed_in(client, other_pm).post(self.url(tree["child"]), data).status_code == 403

    def test_outsider_gets_404(self, client, outsider, tree):
        assert signed_in(client, outsider).get(self.url(tree["top"])).status_code == 404


class TestKeyResultEdit:
    def test_director_edits_target_and_sees_errors_inline(self, client, director, tree):
        url = reverse("key_result_edit", args=["acme", tree["kr"].pk])
        signed_in(client, director)
        page = client.get(url).content.decode()
        assert 'value="Net revenue retention"' in page
        data = {
            "title": "NRR",
            "measure": "decrease",
            "start_value": "0",
            "target_value": "100",
            "weight": "1",
        }
        html = client.post(url, data, **HTMX).content.decode()
        assert "To decrease, the target must be below the start value." in html
        data["measure"] = "increase"
        response = client.post(url, data, **HTMX)
        assert response.status_code == 204
        assert KeyResult.objects.get(pk=tree["kr"].pk).title == "NRR"

    def test_owning_pm_cannot_edit_a_portfolio_key_result(self, client, owning_pm, tree):
        url = reverse("key_result_edit", args=["acme", tree["kr"].pk])
        assert signed_in(client, owning_pm).get(url).status_code == 403


class TestObjectiveDialogs:
    def test_director_creates_a_portfolio_objective(self, client, director, cycle):
        url = reverse("objective_create", args=["acme"])
        data = {
            "cycle": cycle.pk,
            "title": "Delight admins",
            "kind": "committed",
            "weight": "1",
            "rollup_children": "on",
        }
        response = signed_in(client, director).post(url, data, **HTMX)
        assert response.status_code == 204
        objective = Objective.objects.get(title="Delight admins")
        assert objective.product is None
        assert objective.parent is None

    def test_pm_creates_a_product_objective_under_a_portfolio_objective(
        self, client, owning_pm, product, tree
    ):
        url = reverse("objective_create", args=["acme"])
        signed_in(client, owning_pm)
        form = client.get(url + f"?parent={tree['top'].pk}", **HTMX).content.decode()
        assert "Portfolio objective (no product)" not in form
        data = {
            "cycle": tree["top"].cycle_id,
            "title": "One-tap pay",
            "product": product.pk,
            "parent": tree["top"].pk,
            "kind": "committed",
            "weight": "1",
        }
        assert client.post(url, data, **HTMX).status_code == 204
        objective = Objective.objects.get(title="One-tap pay")
        assert (objective.product, objective.parent, objective.depth) == (product, tree["top"], 1)

    def test_pm_cannot_create_a_portfolio_objective(self, client, owning_pm, cycle, product):
        url = reverse("objective_create", args=["acme"])
        data = {"cycle": cycle.pk, "title": "Takeover", "kind": "committed", "weight": "1"}
        response = signed_in(client, owning_pm).post(url, data, **HTMX)
        assert "This field is required." in response.content.decode()
        assert not Objective.objects.filter(title="Takeover").exists()

    def test_pm_cannot_create_for_another_pms_product(self, client, owning_pm, other_product, tree):
        url = reverse("objective_create", args=["acme"])
        data = {
            "cycle": tree["top"].cycle_id,
            "title": "Other",
            "product": other_product.pk,
            "parent": tree["top"].pk,
            "kind": "committed",
            "weight": "1",
        }
        response = signed_in(client, owning_pm).post(url, data, **HTMX)
        assert "Select a valid choice" in response.content.decode()
        assert not Objective.objects.filter(title="Other").exists()

    @pytest.mark.parametrize("role", ["contributor", "stakeholder"])
    def test_readers_are_refused(self, client, person, role, cycle):
        url = reverse("objective_create", args=["acme"])
        assert signed_in(client, person(role)).get(url).status_code == 403

    def test_moving_into_its_own_child_is_an_inline_error(self, client, director, tree):
        url = reverse("objective_edit", args=["acme", tree["top"].pk])
        signed_in(client, director)
        data = {
            "title": "Win the mid-market",
            "parent": tree["child"].pk,
            "kind": "committed",
            "weight": "1",
        }
        html = client.post(url, data, **HTMX).content.decode()
        assert "Select a valid choice" in html  # a product objective is not offered as parent
        assert Objective.objects.get(pk=tree["top"].pk).parent is None

    def test_director_edits_weight_and_rollup(self, client, director, tree):
        url = reverse("objective_edit", args=["acme", tree["top"].pk])
        data = {"title": "Win mid-market", "kind": "aspirational", "weight": "3"}
        response = signed_in(client, director).post(url, data)
        assert response.status_code == 302
        objective = Objective.objects.get(pk=tree["top"].pk)
        assert (objective.title, objective.kind, objective.weight, objective.rollup_children) == (
            "Win mid-market",
            "aspirational",
            Decimal(3),
            False,
        )

    @pytest.mark.parametrize("role", NOT_DIRECTORS)
    def test_only_the_director_edits_a_portfolio_objective(self, client, person, role, tree):
        url = reverse("objective_edit", args=["acme", tree["top"].pk])
        data = {"title": "Hijacked", "kind": "committed", "weight": "1"}
        assert signed_in(client, person(role)).post(url, data).status_code == 403
        assert Objective.objects.get(pk=tree["top"].pk).title == "Win the mid-market"


class TestCycles:
    def test_director_creates_a_cycle(self, client, director, portfolio):
        url = reverse("cycle_create", args=["acme"])
        data = {
            "name": "2027 Q1",
            "starts_on": "2027-01-01",
            "ends_on": "2027-03-31",
            "state": "planning",
        }
        response = signed_in(client, director).post(url, data, **HTMX)
        cycle = Cycle.objects.get(portfolio=portfolio, name="2027 Q1")
        assert cycle.state == CycleState.PLANNING
        assert response.status_code == 204
        assert response["HX-Redirect"] == reverse("okr_tree", args=["acme"]) + f"?cycle={cycle.pk}"

    def test_dates_in_the_wrong_order_are_an_inline_error(self, client, director, portfolio):
        url = reverse("cycle_create", args=["acme"])
        data = {
            "name": "Backwards",
            "starts_on": "2027-03-01",
            "ends_on": "2027-01-01",
            "state": "planning",
        }
        html = signed_in(client, director).post(url, data, **HTMX).content.decode()
        assert "A cycle must end after it starts." in html
        assert not Cycle.objects.filter(name="Backwards").exists()

    def test_duplicate_name_lands_on_the_name_field(self, client, director, cycle):
        url = reverse("cycle_create", args=["acme"])
        data = {
            "name": cycle.name,
            "starts_on": "2027-01-01",
            "ends_on": "2027-03-31",
            "state": "planning",
        }
        html = signed_in(client, director).post(url, data, **HTMX).content.decode()
        assert "already has a cycle with this name" in html
        assert 'id="id_name_error"' in html

    def test_director_edits_and_closes_a_cycle(self, client, director, cycle):
        signed_in(client, director)
        edit = reverse("cycle_edit", args=["acme", cycle.pk])
        data = {
            "name": "Renamed",
            "starts_on": cycle.starts_on,
            "ends_on": cycle.ends_on,
            "state": "active",
        }
        assert client.post(edit, data).status_code == 302
        close = reverse("cycle_close", args=["acme", cycle.pk])
        assert "This cannot be undone." in client.get(close, **HTMX).content.decode()
        assert client.post(close, **HTMX).status_code == 204
        cycle.refresh_from_db()
        assert (cycle.name, cycle.state) == ("Renamed", CycleState.CLOSED)

    @pytest.mark.parametrize("role", NOT_DIRECTORS)
    def test_only_the_director_manages_cycles(self, client, person, role, cycle):
        signed_in(client, person(role))
        data = {
            "name": "Mine",
            "starts_on": "2027-01-01",
            "ends_on": "2027-03-31",
            "state": "planning",
        }
        assert client.post(reverse("cycle_create", args=["acme"]), data).status_code == 403
        assert client.post(reverse("cycle_edit", args=["acme", cycle.pk]), data).status_code == 403
        assert client.post(reverse("cycle_close", args=["acme", cycle.pk])).status_code == 403
        cycle.refresh_from_db()
        assert cycle.state == CycleState.ACTIVE
        assert not Cycle.objects.filter(name="Mine").exists()

    def test_outsider_gets_404(self, client, outsider, cycle):
        assert (
            signed_in(client, outsider)
            .post(reverse("cycle_close", args=["acme", cycle.pk]))
            .status_code
            == 404
        )

    def test_closed_cycle_offers_no_editing(self, client, director, tree):
        cycle = tree["top"].cycle
        cycle.state = CycleState.CLOSED
        cycle.save()
        html = (
            signed_in(client, director)
            .get(reverse("okr_tree", args=["acme"]) + f"?cycle={cycle.pk}")
            .content.decode()
        )
        assert "Add a key result to" not in html
        assert (
            client.get(reverse("key_result_create", args=["acme", tree["top"].pk])).status_code
            == 403
        )


class TestBreakdownViews:
    def test_objective_breakdown_lists_inputs_weights_and_formula(self, client, stakeholder, tree):
        url = reverse("explain_objective", args=["acme", tree["top"].pk])
        response = signed_in(client, stakeholder).get(url, **HTMX)
        html = response.content.decode()
        assert response.status_code == 200
        assert "Net revenue retention" in html
        assert "Faster checkout" in html
        assert "Σ(weight × progress) / Σ weight" in html
        assert "25%" in html  # (0 + 0.5) / 2

    def test_breakdown_is_a_full_page_without_htmx(self, client, stakeholder, tree):
        html = (
            signed_in(client, stakeholder)
            .get(reverse("explain_portfolio", args=["acme"]))
            .content.decode()
        )
        assert "<html" in html
        assert "Win the mid-market" in html

    def test_product_breakdown(self, client, contributor, tree, product):
        url = reverse("explain_product", args=["acme", product.slug])
        html = signed_in(client, contributor).get(url).content.decode()
        assert "Faster checkout" in html
        assert "50%" in html

    def test_outsider_gets_404(self, client, outsider, tree):
        url = reverse("explain_objective", args=["acme", tree["top"].pk])
        assert signed_in(client, outsider).get(url).status_code == 404

    def test_query_counts_do_not_grow(self, client, director, cycle, product):
        signed_in(client, director)
        top = Objective.objects.create(cycle=cycle, title="Top")
        urls = [
            reverse("explain_objective", args=["acme", top.pk]),
            reverse("explain_portfolio", args=["acme"]),
            reverse("explain_product", args=["acme", product.slug]),
        ]

        def counts():
            result = []
            for url in urls:
                with CaptureQueriesContext(connection) as queries:
                    assert client.get(url, **HTMX).status_code == 200
                result.append(len(queries))
            return result

        small = counts()
        for i in range(5):
            KeyResult.objects.create(objective=top, title=f"KR {i}", target_value=10)
            Objective.objects.create(cycle=cycle, title=f"Root {i}")
            Objective.objects.create(
                cycle=cycle, title=f"Child {i}", parent=top, product=product, depth=1
            )
        assert counts() == small


def test_check_ins_show_as_last_check_in(client, director, cycle):
    top = Objective.objects.create(cycle=cycle, title="Top")
    kr = KeyResult.objects.create(objective=top, title="Visible KR", target_value=10)
    CheckInFactory(key_result=kr, author=director)
    KeyResult.objects.filter(pk=kr.pk).update(last_checked_in_at=cycle.created_at)
    html = signed_in(client, director).get(reverse("okr_tree", args=["acme"])).content.decode()
    assert "Never" not in html.split("Visible KR")[1].split("</li>")[0]


def test_switching_cycles(client, director, tree, portfolio):
    old = CycleFactory(portfolio=portfolio, name="Last quarter", state=CycleState.CLOSED)
    Objective.objects.create(cycle=old, title="Old objective")
    signed_in(client, director)
    html = client.get(reverse("okr_tree", args=["acme"]) + f"?cycle={old.pk}").content.decode()
    assert "Old objective" in html
    assert "Win the mid-market" not in html


def test_dialog_forms_query_counts_do_not_grow(client, director, cycle, product, owning_pm):
    from tests.portfolio.factories import MembershipFactory
    from tests.teams.factories import UserFactory

    signed_in(client, director)
    top = Objective.objects.create(cycle=cycle, title="Top")
    kr = KeyResult.objects.create(objective=top, title="KR", target_value=10)
    urls = [
        reverse("objective_create", args=["acme"]) + f"?parent={top.pk}",
        reverse("objective_edit", args=["acme", top.pk]),
        reverse("key_result_create", args=["acme", top.pk]),
        reverse("key_result_edit", args=["acme", kr.pk]),
        reverse("cycle_edit", args=["acme", cycle.pk]),
    ]

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, **HTMX).status_code == 200
            result.append(len(queries))
        return result

    small = counts()
    for i in range(6):
        MembershipFactory(portfolio=cycle.portfolio, user=UserFactory(), role="contributor")
        ProductFactory(portfolio=cycle.portfolio, owner=owning_pm)
        Objective.objects.create(cycle=cycle, title=f"Root {i}")
    assert counts() == small

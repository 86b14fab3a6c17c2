"""The alignment matrix: counts, scores, coverage, cell details, the picker, aligning
and unaligning in place, explanations, permissions and query counts."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roadmap.models import Alignment, ItemStatus, RoadmapItem
from tests.okrs.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.portfolio.factories import ProductFactory
from tests.roadmap.factories import AlignmentFactory, RoadmapItemFactory

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def okrs(cycle, product, other_product):
    """Two portfolio objectives; the first cascades into a product objective of `product`."""
    growth = ObjectiveFactory(cycle=cycle, title="Grow revenue", position=0)
    trust = ObjectiveFactory(cycle=cycle, title="Earn trust", position=1)
    checkout = ObjectiveFactory(cycle=cycle, product=product, parent=growth, title="Faster pay")
    lonely = ObjectiveFactory(cycle=cycle, product=other_product, title="Product only")
    return {
        "growth": growth,
        "trust": trust,
        "checkout": checkout,
        "lonely": lonely,
        "arr": KeyResultFactory(objective=growth, title="ARR"),
        "conversion": KeyResultFactory(objective=checkout, title="Checkout conversion"),
        "uptime": KeyResultFactory(objective=trust, title="Uptime"),
        "nps": KeyResultFactory(objective=trust, title="NPS"),
        "search_kr": KeyResultFactory(objective=lonely, title="Search latency"),
    }


def align(item, key_result):
    return AlignmentFactory(item=item, key_result=key_result)


def matrix_url(portfolio, cycle=None):
    url = reverse("alignment_matrix", args=[portfolio.slug])
    return f"{url}?cycle={cycle.pk}" if cycle else url


def cell_url(portfolio, cycle, row, objective):
    url = reverse("alignment_cell", args=[portfolio.slug])
    return f"{url}?cycle={cycle.pk}&row={row}&objective={objective}"


def align_url(portfolio, item, cycle):
    return f"{reverse('item_align', args=[portfolio.slug, item.pk])}?cycle={cycle.pk}"


@pytest.fixture
def items(okrs, product, other_product):
    """Checkout: two items serve Grow revenue (one via the cascade, one twice), one serves
    Earn trust, one idea is unaligned, one done item serves Grow revenue; Search: one
    item aligned only to a product objective with no parent, one unaligned."""
    served = RoadmapItemFactory(
        product=product, title="One-click pay", status=ItemStatus.IN_PROGRESS
    )
    align(served, okrs["conversion"])
    align(served, okrs["arr"])  # same root twice: still one item in the cell
    cascade = RoadmapItemFactory(product=product, title="Saved cards", status=ItemStatus.PLANNED)
    align(cascade, okrs["conversion"])
    trust = RoadmapItemFactory(product=product, title="Status page", status=ItemStatus.IDEA)
    align(trust, okrs["uptime"])
    done = RoadmapItemFactory(product=product, title="Old checkout", status=ItemStatus.DONE)
    align(done, okrs["arr"])
    RoadmapItemFactory(product=product, title="Buy now pay later", status=ItemStatus.IDEA)
    RoadmapItemFactory(
        product=product, title="Archived idea", status=ItemStatus.IDEA, is_archived=True
    )
    lonely = RoadmapItemFactory(
        product=other_product, title="Faster search", status=ItemStatus.PLANNED
    )
    align(lonely, okrs["search_kr"])
    RoadmapItemFactory(product=other_product, title="Search filters", status=ItemStatus.PLANNED)
    return {"served": served, "cascade": cascade, "trust": trust, "done": done, "lonely": lonely}


class TestMatrixNumbers:
    def test_counts_scores_and_coverage(self, portfolio, cycle, okrs, items, product, owning_pm):
        from roadmap.alignment import alignment_matrix

        matrix = alignment_matrix(portfolio, cycle)
        assert [c.objective.title for c in matrix.columns] == ["Grow revenue", "Earn trust"]
        pm_rows = {row.label: row for row in matrix.rows}
        priya = pm_rows[owning_pm.name]
        checkout = priya.products[0]
        growth, trust = checkout.cells
        assert growth.total == 3  # One-click pay, Saved cards, Old checkout (done)
        assert growth.by_status == {"in_progress": 1, "planned": 1, "done": 1}
        assert trust.total == 1
        # Active: One-click pay, Saved cards, Status page, Buy now pay later (not archived).
        assert (checkout.active, checkout.aligned, checkout.unaligned) == (4, 3, 1)
        assert checkout.score == 0.75
        # The portfolio: 6 active items, 4 aligned in the cycle (Faster search included).
        assert (matrix.active, matrix.aligned, matrix.unaligned) == (6, 4, 2)
        growth_column, trust_column = matrix.columns
        assert (growth_column.key_results, growth_column.covered) == (2, 2)
        assert (trust_column.key_results, trust_column.covered) == (2, 1)
        assert matrix.uncovered == 1

    def test_page_shows_the_numbers(self, client, director, portfolio, cycle, items):
        client.force_login(director)
        response = client.get(matrix_url(portfolio))
        html = response.content.decode()
        assert response.status_code == 200
        assert "Grow revenue" in html
        assert "Earn trust" in html
        assert "Coverage 100%" in html
        assert "Coverage 50%" in html
        assert "4 of 6 active items aligned" in html
        assert "67%" in html  # portfolio score
        assert "Buy now pay later" in html
        assert "Search filters" in html
        assert "Archived idea" not in html
        assert response["Vary"].count("HX-Request") == 1

    def test_htmx_renders_only_the_matrix_body(self, client, director, portfolio, cycle, items):
        client.force_login(director)
        response = client.get(matrix_url(portfolio), **HX)
        html = response.content.decode()
        assert 'id="alignment-body"' in html
        assert "<html" not in html

    def test_archived_products_are_left_out(
        self, client, director, portfolio, cycle, items, product
    ):
        product.is_archived = True
        product.save()
        client.force_login(director)
        html = client.get(matrix_url(portfolio)).content.decode()
        assert "Buy now pay later" not in html
        assert "Search filters" in html


class TestEmptyStates:
    def test_no_cycle(self, client, director, portfolio):
        client.force_login(director)
        html = client.get(matrix_url(portfolio)).content.decode()
        assert "No cycle yet" in html

    def test_no_portfolio_objectives(self, client, director, portfolio, cycle, product):
        client.force_login(director)
        html = client.get(matrix_url(portfolio)).content.decode()
        assert "No portfolio objectives in This quarter" in html

    def test_no_items(self, client, director, portfolio, cycle, okrs):
        client.force_login(director)
        html = client.get(matrix_url(portfolio)).content.decode()
        assert "Every active item serves at least one key result" in html
        assert "Coverage 0%" in html


class TestMatrixAccess:
    @pytest.mark.parametrize(
        "role", ["director", "owning_pm", "other_pm", "contributor", "stakeholder"]
    )
    def test_members_read_it(self, client, person, role, portfolio, cycle, items):
        client.force_login(person(role))
        assert client.get(matrix_url(portfolio)).status_code == 200

    def test_outsiders_get_404(self, client, outsider, portfolio, cycle, items):
        client.force_login(outsider)
        assert client.get(matrix_url(portfolio)).status_code == 404
        url = cell_url(portfolio, cycle, "portfolio", "unaligned")
        assert client.get(url).status_code == 404

    def test_anonymous_is_sent_to_sign_in(self, client, portfolio, cycle):
        response = client.get(matrix_url(portfolio))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def test_another_portfolios_cycle_is_404(self, client, director, portfolio, other_portfolio):
        foreign = CycleFactory(portfolio=other_portfolio)
        client.force_login(director)
        url = cell_url(portfolio, foreign, "portfolio", "unaligned")
        assert client.get(url).status_code == 404


class TestCellDetail:
    def test_lists_the_items_of_a_cell_with_their_alignments(
        self, client, director, portfolio, cycle, okrs, items, product
    ):
        client.force_login(director)
        url = cell_url(portfolio, cycle, f"product:{product.pk}", okrs["growth"].pk)
        response = client.get(url, **HX)
        html = response.content.decode()
        assert response.status_code == 200
        assert 'id="alignment-detail"' in html
        assert "<html" not in html
        assert "One-click pay" in html
        assert "Saved cards" in html
        assert "Old checkout" in html
        assert "Status page" not in html
        assert "Checkout conversion" in html
        assert "Remove" in html

    def test_works_as_a_page_without_htmx(self, client, director, portfolio, cycle, okrs, items):
        client.force_login(director)
        response = client.get(cell_url(portfolio, cycle, "portfolio", "unaligned"))
        html = response.content.decode()
        assert "<html" in html
        assert "Buy now pay later" in html
        assert "Search filters" in html

    def test_pm_row_lists_every_product_of_the_pm(
        self, client, director, portfolio, cycle, items, owning_pm
    ):
        client.force_login(director)
        html = client.get(
            cell_url(portfolio, cycle, f"pm:{owning_pm.pk}", "unaligned")
        ).content.decode()
        assert "Buy now pay later" in html
        assert "Search filters" not in html

    def test_not_covered_lists_key_results(self, client, director, portfolio, cycle, okrs, items):
        client.force_login(director)
        html = client.get(
            cell_url(portfolio, cycle, "uncovered", okrs["trust"].pk)
        ).content.decode()
        assert "NPS" in html
        assert "Uptime" not in html

    def test_readers_see_no_controls(self, client, stakeholder, portfolio, cycle, okrs, items):
        client.force_login(stakeholder)
        html = client.get(
            cell_url(portfolio, cycle, "portfolio", okrs["growth"].pk)
        ).content.decode()
        assert "One-click pay" in html
        assert "Remove" not in html
        assert "Align…" not in html

    def test_other_pm_sees_controls_only_on_own_items(
        self, client, other_pm, portfolio, cycle, okrs, items
    ):
        client.force_login(other_pm)
        html = client.get(cell_url(portfolio, cycle, "portfolio", "unaligned")).content.decode()
        assert 'aria-label="Align Search filters to a key result"' in html
        assert 'aria-label="Align Buy now pay later to a key result"' not in html

    def test_unknown_objective_is_404(self, client, director, portfolio, cycle, okrs, items):
        client.force_login(director)
        url = cell_url(portfolio, cycle, "portfolio", okrs["checkout"].pk)  # not a root
        assert client.get(url).status_code == 404


class TestPicker:
    def test_lists_the_cycles_key_results_grouped_by_objective(
        self, client, director, portfolio, cycle, okrs, items
    ):
        client.force_login(director)
        item = items["cascade"]
        response = client.get(align_url(portfolio, item, cycle), **HX)
        html = response.content.decode()
        assert response.status_code == 200
        assert 'id="picker"' in html
        assert "<html" not in html
        assert "Grow revenue" in html
        assert "Earn trust" in html
        assert "Uptime" in html
        assert 'role="search"' in html
        assert 'for="picker-q"' in html
        # Already aligned: shown, but not offered again.
        assert f'value="{okrs["conversion"].pk}"' not in html

    def test_search_filters_on_the_server(self, client, director, portfolio, cycle, okrs, items):
        client.force_login(director)
        url = align_url(portfolio, items["cascade"], cycle) + "&q=upt"
        response = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="picker-results")
        html = response.content.decode()
        assert html.lstrip().startswith('<div id="picker-results"')
        assert "Uptime" in html
        assert "NPS" not in html
        assert "ARR" not in html
        assert "1 key result matching" in html

    def test_lists_the_items_products_key_results_first_and_caps_the_list(
        self, client, director, portfolio, cycle, okrs, items, monkeypatch
    ):
        monkeypatch.setattr("roadmap.alignment.PICKER_KEY_RESULTS", 2)
        client.force_login(director)
        html = client.get(align_url(portfolio, items["trust"], cycle), **HX).content.decode()
        options = re.findall(r'data-testid="picker-option-(\d+)"', html)
        assert options == [str(okrs["conversion"].pk), str(okrs["arr"].pk)]
        text = " ".join(html.split())
        assert "Showing 2 of 5 key results: Checkout’s first, then the portfolio’s." in text
        assert "Search to find the other 3." in text

    def test_search_is_capped_and_says_how_many_more_match(
        self, client, director, portfolio, cycle, okrs, items, monkeypatch
    ):
        monkeypatch.setattr("roadmap.alignment.PICKER_KEY_RESULTS", 1)
        client.force_login(director)
        url = align_url(portfolio, items["served"], cycle) + "&q=trust"
        html = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="picker-results")
        text = " ".join(html.content.decode().split())
        assert len(re.findall(r'data-testid="picker-option-', text)) == 1
        assert "Showing 1 of 2 key results matching “trust”: refine the search to see the" in text
        assert "other 1." in text

    @pytest.mark.parametrize("role", ["other_pm", "contributor", "stakeholder"])
    def test_refused_to_those_who_may_not_align(
        self, client, person, role, portfolio, cycle, okrs, items
    ):
        client.force_login(person(role))
        assert client.get(align_url(portfolio, items["served"], cycle)).status_code == 403

    def test_outsider_gets_404(self, client, outsider, portfolio, cycle, items):
        client.force_login(outsider)
        assert client.get(align_url(portfolio, items["served"], cycle)).status_code == 404


ALIGN_OUTCOMES = [
    ("director", 302),
    ("owning_pm", 302),
    ("other_pm", 403),
    ("contributor", 403),
    ("other_contributor", 403),
    ("stakeholder", 403),
    ("outsider", 404),
    ("anonymous", 302),
]


class TestAlign:
    @pytest.mark.parametrize(("role", "status"), ALIGN_OUTCOMES)
    def test_permissions(self, client, person, role, status, portfolio, cycle, okrs, items):
        user = person(role)
        if role != "anonymous":
            client.force_login(user)
        item = RoadmapItemFactory(product=items["served"].product, title="New idea")
        response = client.post(
            align_url(portfolio, item, cycle), {"key_result": okrs["nps"].pk, "note": "NPS up"}
        )
        assert response.status_code == status
        created = Alignment.objects.filter(item=item, key_result=okrs["nps"]).exists()
        assert created == (role in {"director", "owning_pm"})
        if role == "anonymous":
            assert "/accounts/login/" in response["Location"]
        elif status == 302:
            assert response["Location"] == matrix_url(portfolio, cycle)

    def test_htmx_updates_every_region_out_of_band(
        self, client, owning_pm, portfolio, cycle, okrs, items, product
    ):
        client.force_login(owning_pm)
        item = RoadmapItemFactory(product=product, title="Wallet support", status=ItemStatus.IDEA)
        response = client.post(
            align_url(portfolio, item, cycle),
            {"key_result": okrs["nps"].pk, "note": "Happier payers", "cycle": cycle.pk},
            **HX,
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert json.loads(response["HX-Trigger"])["itemAligned"]["item"] == item.pk
        assert response["HX-Reswap"] == "none"
        for region in ("alignment-summary", "alignment-matrix", "alignment-unaligned"):
            assert f'id="{region}"' in html
        assert html.count('hx-swap-oob="true"') == 3
        assert "Wallet support" not in html  # no longer in the unaligned list
        assert "5 of 7 active items aligned" in html
        alignment = Alignment.objects.get(item=item)
        assert (alignment.note, alignment.created_by) == ("Happier payers", owning_pm)

    def test_key_result_of_another_cycle_is_refused_inline(
        self, client, director, portfolio, cycle, okrs, items
    ):
        other_cycle = CycleFactory(portfolio=portfolio, name="Next quarter")
        foreign = KeyResultFactory(objective=ObjectiveFactory(cycle=other_cycle))
        client.force_login(director)
        response = client.post(
            align_url(portfolio, items["cascade"], cycle), {"key_result": foreign.pk}, **HX
        )
        assert response.status_code == 422
        assert "Choose a key result of this cycle." in response.content.decode()
        assert response["HX-Retarget"] == "#dialog"
        assert not Alignment.objects.filter(key_result=foreign).exists()

    def test_duplicate_is_refused_inline(self, client, director, portfolio, cycle, okrs, items):
        client.force_login(director)
        response = client.post(
            align_url(portfolio, items["cascade"], cycle), {"key_result": okrs["conversion"].pk}
        )
        assert response.status_code == 200
        assert "already aligned" in response.content.decode()
        assert Alignment.objects.filter(item=items["cascade"]).count() == 1


class TestUnalign:
    @pytest.mark.parametrize(("role", "status"), ALIGN_OUTCOMES)
    def test_permissions(self, client, person, role, status, portfolio, cycle, okrs, items):
        user = person(role)
        if role != "anonymous":
            client.force_login(user)
        alignment = Alignment.objects.get(item=items["trust"])
        url = reverse("alignment_remove", args=[portfolio.slug, alignment.pk])
        response = client.post(url)
        assert response.status_code == status
        gone = not Alignment.objects.filter(pk=alignment.pk).exists()
        assert gone == (role in {"director", "owning_pm"})

    def test_htmx_updates_the_matrix_and_triggers_the_event(
        self, client, director, portfolio, cycle, okrs, items
    ):
        client.force_login(director)
        alignment = Alignment.objects.get(item=items["trust"])
        response = client.post(
            reverse("alignment_remove", args=[portfolio.slug, alignment.pk]), **HX
        )
        html = response.content.decode()
        assert "itemUnaligned" in json.loads(response["HX-Trigger"])
        assert "Status page" in html  # back in the unaligned list
        assert "3 of 6 active items aligned" in html

    def test_get_is_not_allowed(self, client, director, portfolio, cycle, okrs, items):
        client.force_login(director)
        alignment = Alignment.objects.get(item=items["trust"])
        url = reverse("alignment_remove", args=[portfolio.slug, alignment.pk])
        assert client.get(url).status_code == 405


class TestExplanations:
    def test_score_lists_the_items_that_count(
        self, client, stakeholder, portfolio, cycle, items, product
    ):
        client.force_login(stakeholder)
        url = reverse("explain_alignment_score", args=[portfolio.slug])
        response = client.get(f"{url}?cycle={cycle.pk}&row=product:{product.pk}", **HX)
        html = response.content.decode()
        assert "<strong>75%</strong> = 3 aligned ÷ 4 active items" in html
        assert "Buy now pay later" in html
        assert "Old checkout" not in html

    def test_coverage_lists_the_cascades_key_results(
        self, client, director, portfolio, cycle, okrs, items
    ):
        client.force_login(director)
        url = reverse("explain_coverage", args=[portfolio.slug, okrs["growth"].pk])
        html = client.get(f"{url}?cycle={cycle.pk}").content.decode()
        assert "<strong>100%</strong> = 2 covered ÷ 2 key results" in html
        assert "Checkout conversion" in html
        assert "Faster pay" in html

    def test_coverage_of_a_product_objective_is_404(
        self, client, director, portfolio, cycle, okrs, items
    ):
        client.force_login(director)
        url = reverse("explain_coverage", args=[portfolio.slug, okrs["checkout"].pk])
        assert client.get(f"{url}?cycle={cycle.pk}").status_code == 404

    def test_outsider_gets_404(self, client, outsider, portfolio, cycle, items):
        client.force_login(outsider)
        url = reverse("explain_alignment_score", args=[portfolio.slug])
        assert client.get(f"{url}?cycle={cycle.pk}").status_code == 404


def grow(portfolio, cycle, pm, size):
    """`size` products of `pm`, each with objectives, key results and aligned items."""
    for n in range(size):
        product = ProductFactory(portfolio=portfolio, owner=pm, name=f"P{size}-{n}")
        root = ObjectiveFactory(cycle=cycle, title=f"Root {size}-{n}")
        child = ObjectiveFactory(cycle=cycle, product=product, parent=root)
        key_results = [KeyResultFactory(objective=o) for o in (root, child, child)]
        for m in range(size):
            item = RoadmapItemFactory(product=product, status=ItemStatus.PLANNED)
            AlignmentFactory(item=item, key_result=key_results[m % 3])
            RoadmapItemFactory(product=product, status=ItemStatus.IDEA)


def count_queries(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(queries)


class TestQueryCounts:
    def test_matrix_cell_picker_and_explanations_do_not_grow(
        self, client, director, owning_pm, portfolio, cycle
    ):
        client.force_login(director)
        root_of = {}

        def urls():
            from roadmap.alignment import root_objective_map

            columns, _ = root_objective_map(cycle)
            root_of["id"] = columns[0].pk
            item = Alignment.objects.filter(item__product__portfolio=portfolio).first().item
            return [
                matrix_url(portfolio, cycle),
                cell_url(portfolio, cycle, "portfolio", root_of["id"]),
                cell_url(portfolio, cycle, f"pm:{owning_pm.pk}", "unaligned"),
                cell_url(portfolio, cycle, "uncovered", root_of["id"]),
                align_url(portfolio, item, cycle),
                f"{reverse('explain_alignment_score', args=[portfolio.slug])}?cycle={cycle.pk}",
                reverse("explain_coverage", args=[portfolio.slug, root_of["id"]])
                + f"?cycle={cycle.pk}",
            ]

        grow(portfolio, cycle, owning_pm, 2)
        small = [count_queries(client, url) for url in urls()]
        grow(portfolio, cycle, owning_pm, 6)
        large = [count_queries(client, url) for url in urls()]
        print("query counts", small, large)
        assert small == large
        assert max(large) <= 16, large


class TestLongLists:
    """Cells and the score explanation list `CELL_LIMIT` items a page; a pager reaches
    the rest, with and without htmx."""

    @staticmethod
    def titles(html: str) -> list[str]:
        return re.findall(r'class="item-list__title">([^<]+)<', html)

    def test_a_cell_pages_through_all_its_items(
        self, client, director, portfolio, cycle, items, monkeypatch
    ):
        monkeypatch.setattr("roadmap.views.alignment.CELL_LIMIT", 1)
        client.force_login(director)
        url = cell_url(portfolio, cycle, "portfolio", "unaligned")

        first = client.get(url).content.decode()
        second = client.get(f"{url}&page=2").content.decode()
        second_htmx = client.get(f"{url}&page=2", headers={"HX-Request": "true"}).content.decode()

        assert "Showing 1–1 of 2 items." in first
        assert "Next 1</a>" in first
        assert "Previous 1" not in first
        assert "Showing 2–2 of 2 items." in second
        assert "Previous 1</a>" in second
        assert "Next 1" not in second
        assert len(self.titles(first)) == len(self.titles(second)) == 1
        unaligned = set(
            RoadmapItem.objects.filter(product__portfolio=portfolio, alignments__isnull=True)
            .exclude(status__in=["done", "dropped"])
            .exclude(is_archived=True)
            .values_list("title", flat=True)
        )
        assert set(self.titles(first) + self.titles(second)) == unaligned
        assert second_htmx.lstrip().startswith('<section id="alignment-detail"')
        # After an alignment changes, the section reloads the page it is on.
        assert "page=2" in re.search(r'hx-get="([^"]+)"', second_htmx).group(1)

    def test_the_score_explanation_pages_through_all_its_items(
        self, client, director, portfolio, cycle, items, monkeypatch
    ):
        monkeypatch.setattr("roadmap.views.alignment.CELL_LIMIT", 4)
        client.force_login(director)
        url = f"{reverse('explain_alignment_score', args=[portfolio.slug])}?cycle={cycle.pk}"

        first = client.get(url).content.decode()
        second = client.get(f"{url}&page=2", headers={"HX-Request": "true"}).content.decode()

        assert "<strong>67%</strong> = 4 aligned ÷ 6 active items" in first
        assert "Showing 1–4 of 6 items, unaligned first." in first
        assert "Showing 5–6 of 6 items, unaligned first." in second
        assert second.count("<tr>") == 1 + 2  # the header row and two items
        assert 'hx-target="closest .explanation"' in first

    def test_a_page_past_the_end_is_empty_and_says_so(
        self, client, director, portfolio, cycle, items
    ):
        client.force_login(director)
        url = cell_url(portfolio, cycle, "portfolio", "unaligned")
        assert "No items here any more." in client.get(f"{url}&page=9").content.decode()
        assert client.get(f"{url}&page=abc").status_code == 200


class TestMatrixShowsAFewProductManagersAtATime:
    """The matrix renders `MATRIX_GROUPS` product managers' rows; the Portfolio and Not
    covered rows and the summary count everybody; "Show more" adds the next ones."""

    @pytest.fixture(autouse=True)
    def one_group(self, monkeypatch):
        monkeypatch.setattr("roadmap.alignment.MATRIX_GROUPS", 1)

    def test_first_group_then_a_link_to_the_next(
        self, client, director, portfolio, cycle, okrs, items, product, other_product
    ):
        client.force_login(director)
        html = client.get(matrix_url(portfolio)).content.decode()
        # Groups by name: Marco Other (Search) first, Priya Owner (Checkout) hidden.
        assert f'id="row-product-{other_product.pk}"' in html
        assert f'id="row-product-{product.pk}"' not in html
        assert "Showing 1 of 2 product managers" in html
        assert "Show 1 more product manager<" in html
        assert f"?cycle={cycle.pk}&amp;groups=2" in html
        # Totals still cover the hidden group.
        assert "4 of 6 active items aligned" in html
        assert 'data-testid="unaligned-count">2<' in html

    def test_show_more_renders_the_next_groups(
        self, client, director, portfolio, cycle, okrs, items, product, other_product
    ):
        client.force_login(director)
        response = client.get(f"{matrix_url(portfolio, cycle)}&groups=2")
        html = response.content.decode()
        assert f'id="row-product-{other_product.pk}"' in html
        assert f'id="row-product-{product.pk}"' in html
        assert "Showing 2 of 2 product managers" in html
        assert 'data-testid="matrix-show-more"' not in html
        # Focus moves to the first group the link added.
        assert re.search(
            r'<th scope="row"\s+tabindex="-1" autofocus>\s*<span class="matrix__pm">', html
        )

    def test_htmx_show_more_swaps_the_matrix_alone(
        self, client, stakeholder, portfolio, cycle, okrs, items, product
    ):
        client.force_login(stakeholder)
        response = client.get(
            f"{matrix_url(portfolio, cycle)}&groups=2", HTTP_HX_TARGET="alignment-matrix", **HX
        )
        html = response.content.decode()
        assert html.lstrip().startswith('<section id="alignment-matrix"')
        assert f'id="row-product-{product.pk}"' in html
        assert 'id="alignment-summary"' not in html
        assert "HX-Target" in response["Vary"]

    def test_aligning_keeps_the_groups_the_page_shows(
        self, client, director, portfolio, cycle, okrs, items, product
    ):
        client.force_login(director)
        url = reverse("item_align", args=[portfolio.slug, items["trust"].pk])
        page = f"http://testserver{matrix_url(portfolio, cycle)}&groups=2"
        response = client.post(
            url,
            {"cycle": cycle.pk, "key_result": okrs["arr"].pk},
            HTTP_HX_CURRENT_URL=page,
            **HX,
        )
        assert f'id="row-product-{product.pk}"' in response.content.decode()
        response = client.post(
            reverse("alignment_remove", args=[portfolio.slug, items["trust"].alignments.last().pk]),
            **HX,
        )
        assert f'id="row-product-{product.pk}"' not in response.content.decode()

    def test_outsider_gets_404(self, client, outsider, portfolio, cycle, items):
        client.force_login(outsider)
        response = client.get(
            f"{matrix_url(portfolio, cycle)}&groups=2", HTTP_HX_TARGET="alignment-matrix", **HX
        )
        assert response.status_code == 404

    def test_query_count_does_not_depend_on_groups_shown(
        self, client, director, portfolio, cycle, okrs, items
    ):
        client.force_login(director)
        first = count_queries(client, matrix_url(portfolio, cycle))
        both = count_queries(client, f"{matrix_url(portfolio, cycle)}&groups=2")
        assert first == both <= 15

import datetime
import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from okrs.models import KeyResult
from roadmap.models import ItemStatus, RoadmapItem
from roadmap.timeline import EXPAND_BUDGET, LANE_SIZE, UNSCHEDULED_SHOWN, timeline_context
from tests.okrs.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.portfolio.factories import ProductFactory
from tests.roadmap.factories import AlignmentFactory, DependencyFactory, RoadmapItemFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
URL = "/p/acme/roadmap/timeline/"
BAR = 'class="timeline__bar"'


def lane_url(product_slug):
    return f"{URL}{product_slug}/"


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def scheduled(product, other_product, cycle):
    build = RoadmapItemFactory(
        product=product, title="Payments API", starts_on=days(-10), ends_on=days(20)
    )
    ship = RoadmapItemFactory(
        product=product, title="One-page checkout", starts_on=days(10), ends_on=days(40)
    )
    DependencyFactory(blocked_item=ship, blocking_item=build)
    kr_a = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
    kr_b = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
    KeyResult.objects.filter(pk=kr_a.pk).update(progress=0.2)
    KeyResult.objects.filter(pk=kr_b.pk).update(progress=0.6)
    AlignmentFactory(item=ship, key_result=kr_a)
    AlignmentFactory(item=ship, key_result=kr_b)
    RoadmapItemFactory(product=other_product, title="Search relevance", starts_on=days(0))
    RoadmapItemFactory(product=other_product, title="Someday idea")
    return {"build": build, "ship": ship}


class TestTimelinePage:
    def test_draws_bars_grouped_by_product_with_progress_and_dependencies(
        self, client, stakeholder, scheduled, cycle
    ):
        client.force_login(stakeholder)
        response = client.get(URL)
        html = response.content.decode()
        assert response.status_code == 200
        assert html.index(">Checkout<") < html.index(">Search<")  # product groups
        assert html.count(BAR) == 3
        assert 'class="timeline__cycle"' in html  # the current cycle, shaded
        assert "40%" in html  # mean of the aligned key results' stored progress
        assert 'class="timeline__connector timeline__connector--late"' in html
        assert "Blocked by Payments API, which ends after this starts" in html
        assert "Not scheduled" in html
        assert "Someday idea" in html
        assert 'style="' not in html

    def test_filters_by_product_with_htmx(self, client, director, scheduled):
        client.force_login(director)
        response = client.get(URL, {"product": "search"}, **HTMX)
        html = response.content.decode()
        assert html.lstrip().startswith('<div id="timeline"')
        assert "Search relevance" in html
        assert "One-page checkout" not in html
        assert "HX-Request" in response["Vary"]

    def test_empty_state(self, client, director, product, cycle):
        client.force_login(director)
        assert "Nothing scheduled yet" in client.get(URL).content.decode()

    def test_outsider_gets_404(self, client, outsider, scheduled):
        client.force_login(outsider)
        assert client.get(URL).status_code == 404

    def test_queries_do_not_grow_with_items(self, client, director, product, cycle):
        def add(count):
            for index in range(count):
                blocker = RoadmapItemFactory(
                    product=product, starts_on=days(index), ends_on=days(index + 5)
                )
                item = RoadmapItemFactory(
                    product=product, starts_on=days(index + 2), ends_on=days(index + 9)
                )
                DependencyFactory(blocked_item=item, blocking_item=blocker)
                AlignmentFactory(
                    item=item, key_result=KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
                )
                RoadmapItemFactory(product=product)

        client.force_login(director)
        add(2)
        with CaptureQueriesContext(connection) as small:
            client.get(URL)
        add(10)
        with CaptureQueriesContext(connection) as large:
            html = client.get(URL).content.decode()
        assert html.count(BAR) == 24
        assert len(large) == len(small)


def dated_items(product, count, *, first_day=0, prefix="Work"):
    return [
        RoadmapItemFactory(
            product=product,
            title=f"{prefix} {index:03}",
            starts_on=days(first_day + index),
            ends_on=days(first_day + index + 3),
        )
        for index in range(count)
    ]


def drawn_bars(context):
    return {
        bar.item.title: bar
        for lane in context["timeline_lanes"]
        for chunk in lane.chunks
        for bar in chunk.bars
    }


class TestTimelineLanes:
    """A lane per product; bars only for the products that fit the budget."""

    def test_a_lane_draws_at_most_lane_size_bars_and_offers_the_rest(
        self, client, director, product
    ):
        dated_items(product, LANE_SIZE + 5)
        client.force_login(director)

        html = client.get(URL).content.decode()

        assert html.count(BAR) == LANE_SIZE
        assert f"Work {LANE_SIZE - 1:03}" in html
        assert f"Work {LANE_SIZE:03}" not in html
        assert f"{LANE_SIZE + 5} scheduled" in html  # the lane's summary counts them all
        assert "Show 5 more" in html
        assert "5 not shown" in html
        assert f'href="{URL}?product=checkout&amp;page=2"' in html  # works without JS
        assert f'hx-get="{lane_url("checkout")}?page=2"' in html

    def test_show_more_loads_the_next_bars_only(self, client, director, product):
        dated_items(product, LANE_SIZE + 5)
        client.force_login(director)

        response = client.get(lane_url("checkout"), {"page": 2}, **HTMX)
        html = response.content.decode()

        assert response.status_code == 200
        assert html.lstrip().startswith('<div class="timeline-chunk"')
        assert html.count(BAR) == 5
        assert f"Work {LANE_SIZE:03}" in html
        assert f"Work {LANE_SIZE - 1:03}" not in html
        assert "Show " not in html  # nothing left to load
        assert "autofocus" in html  # focus moves to the bars just loaded
        assert "HX-Request" in response["Vary"]

    def test_without_javascript_page_two_shows_the_first_two_chunks(
        self, client, director, product, other_product
    ):
        dated_items(product, LANE_SIZE + 5)
        dated_items(other_product, 2, prefix="Search work")
        client.force_login(director)

        html = client.get(URL, {"product": "checkout", "page": 2}).content.decode()

        assert html.count(BAR) == LANE_SIZE + 5
        assert "Search work" not in html
        assert "Show " not in html

    def test_the_lane_url_without_htmx_redirects_to_the_filtered_page(
        self, client, director, product, cycle
    ):
        client.force_login(director)

        response = client.get(lane_url("checkout"), {"page": 3, "cycle": cycle.pk})

        assert response.status_code == 302
        assert response["Location"] == f"{URL}?product=checkout&page=3&cycle={cycle.pk}"

    def test_products_past_the_budget_stay_closed_with_their_summary(
        self, client, director, product, other_product
    ):
        dated_items(product, EXPAND_BUDGET)
        blocker = RoadmapItemFactory(
            product=other_product, title="Index", starts_on=days(0), ends_on=days(20)
        )
        waiting = RoadmapItemFactory(
            product=other_product,
            title="Ranking",
            status=ItemStatus.IN_PROGRESS,
            starts_on=days(5),
            ends_on=days(30),
        )
        DependencyFactory(blocked_item=waiting, blocking_item=blocker)
        RoadmapItemFactory(product=other_product, title="Unscheduled idea", status="idea")
        client.force_login(director)

        html = client.get(URL).content.decode()

        assert html.count(BAR) == EXPAND_BUDGET  # Checkout's only
        assert "Ranking" not in html
        search = html[html.index('id="timeline-lane-search"') :]
        assert "2 scheduled" in search
        assert "1 idea" in search
        assert "1 planned" in search
        assert "1 in progress" in search
        assert "1 not scheduled" in search
        assert "1 late dependency" in search
        assert f'href="{URL}?product=search"' in search  # works without JS
        assert f'hx-get="{lane_url("search")}?page=1"' in search
        assert "1 more show their summary and open with" in html

    def test_show_items_loads_the_open_lane(self, client, director, product, other_product):
        dated_items(product, EXPAND_BUDGET)
        dated_items(other_product, 3, prefix="Search work")
        RoadmapItemFactory(product=other_product, title="Unscheduled idea")
        client.force_login(director)

        html = client.get(lane_url("search"), {"page": 1}, **HTMX).content.decode()

        assert html.lstrip().startswith('<section class="timeline-lane timeline-lane--open"')
        assert 'id="timeline-lane-search"' in html
        assert html.count(BAR) == 3
        assert "Unscheduled idea" in html
        assert "Work 000" not in html
        assert "autofocus" in html  # focus lands on the lane's heading

    def test_lanes_share_one_time_scale(self, client, director, product, other_product, cycle):
        dated_items(product, 1, first_day=-200, prefix="Early")
        dated_items(product, EXPAND_BUDGET - 1)
        dated_items(other_product, 1, first_day=200, prefix="Late")
        client.force_login(director)

        page = client.get(URL).content.decode()
        lane = client.get(lane_url("search"), {"page": 1}, **HTMX).content.decode()

        grid = re.findall(r'class="timeline__month-line" x1="([\d.]+)"', page)
        assert (
            re.findall(r'class="timeline__month-line" x1="([\d.]+)"', lane)
            == grid[: len(re.findall(r'class="timeline__month-line"', lane))]
        )
        assert len(grid) > 12  # from 200 days back to 200 days on

    def test_a_dependency_on_an_item_not_drawn_is_listed_in_words(
        self, client, director, product, other_product
    ):
        dated_items(product, EXPAND_BUDGET)
        blocker = RoadmapItemFactory(
            product=other_product, title="Search index", starts_on=days(0), ends_on=days(30)
        )
        waiting = RoadmapItem.objects.get(title="Work 005")
        DependencyFactory(blocked_item=waiting, blocking_item=blocker)
        client.force_login(director)

        html = client.get(URL).content.decode()

        assert "Search index" not in html.split('id="timeline-lane-search"')[1]  # closed
        waiting_list = html[html.index("timeline-chunk__waiting") :]
        assert "<strong>Work 005</strong>" in waiting_list
        assert "blocked by Search index" in waiting_list
        assert "in Search" in waiting_list
        assert "ends after this starts" in waiting_list
        assert "timeline__connector" not in html  # no line to a bar that is not there

    def test_unscheduled_items_are_capped_with_a_count_and_a_board_link(
        self, client, director, product
    ):
        for index in range(UNSCHEDULED_SHOWN + 3):
            RoadmapItemFactory(product=product, title=f"Someday {index:02}")
        client.force_login(director)

        html = client.get(URL).content.decode()

        assert html.count("Someday ") == UNSCHEDULED_SHOWN
        assert "and 3 more without dates" in html
        assert 'href="/p/acme/products/checkout/"' in html

    def test_a_chosen_cycle_carries_into_the_lane_links(
        self, client, director, portfolio, product, other_product, cycle
    ):
        earlier = CycleFactory(
            portfolio=portfolio, name="Last quarter", starts_on=days(-120), ends_on=days(-30)
        )
        dated_items(product, EXPAND_BUDGET)
        dated_items(other_product, 2, prefix="Search work")
        client.force_login(director)

        html = client.get(URL, {"cycle": earlier.pk}).content.decode()
        lane = client.get(
            lane_url("search"), {"page": 1, "cycle": earlier.pk}, **HTMX
        ).content.decode()

        assert f'hx-get="{lane_url("search")}?page=1&amp;cycle={earlier.pk}"' in html
        assert "Last quarter" in html
        page_cycle = re.search(r'class="timeline__cycle" x="([\d.]+)"', html).group(1)
        lane_cycle = re.search(r'timeline-chunk__cycle" x="([\d.]+)"', lane).group(1)
        assert page_cycle == lane_cycle

    def test_lane_queries_do_not_grow_with_items(self, client, director, product, cycle):
        client.force_login(director)
        dated_items(product, 3)
        with CaptureQueriesContext(connection) as small:
            client.get(lane_url("checkout"), {"page": 1}, **HTMX)
        for item in dated_items(product, LANE_SIZE, prefix="More"):
            DependencyFactory(blocked_item=item)
            AlignmentFactory(
                item=item, key_result=KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
            )
        with CaptureQueriesContext(connection) as large:
            client.get(lane_url("checkout"), {"page": 1}, **HTMX)
        assert len(large) == len(small)
        assert len(large) <= 15


class TestTimelineLaneAccess:
    def test_outsider_gets_404(self, client, outsider, product):
        client.force_login(outsider)
        assert client.get(lane_url("checkout"), **HTMX).status_code == 404

    def test_another_portfolios_product_is_404(self, client, director, other_portfolio):
        ProductFactory(portfolio=other_portfolio, slug="elsewhere")
        client.force_login(director)
        assert client.get(lane_url("elsewhere"), **HTMX).status_code == 404

    def test_an_archived_product_is_404(self, client, director, portfolio):
        ProductFactory(portfolio=portfolio, slug="old", is_archived=True)
        client.force_login(director)
        assert client.get(lane_url("old"), **HTMX).status_code == 404

    def test_stakeholder_reads_the_lane_without_editing_controls(
        self, client, stakeholder, scheduled
    ):
        client.force_login(stakeholder)
        response = client.get(lane_url("checkout"), {"page": 1}, **HTMX)
        html = response.content.decode()
        assert response.status_code == 200
        assert html.count(BAR) == 2
        assert "<form" not in html
        assert "hx-post" not in html


class TestTimelineContext:
    def test_public_timeline_links_nowhere(self, scheduled, cycle):
        context = timeline_context(RoadmapItem.objects.all(), cycle=cycle, public=True)
        html = render_to_string("roadmap/_timeline.html", context)
        assert "One-page checkout" in html
        assert "<a " not in html
        assert "hx-get" not in html
        # Only its own stylesheet, no link into the app.
        assert all(href.startswith("/static/") for href in re.findall(r'href="([^"]*)"', html))

    def test_public_timeline_caps_bars_and_says_how_many_are_not_drawn(
        self, product, other_product, cycle
    ):
        dated_items(product, LANE_SIZE + 7)
        dated_items(other_product, 4, prefix="Search work")
        context = timeline_context(RoadmapItem.objects.all(), cycle=cycle, public=True)
        html = render_to_string("roadmap/_timeline.html", context)
        assert html.count(BAR) == LANE_SIZE
        assert "and 7 more scheduled items, not drawn here" in html
        assert "4 scheduled" in html
        assert "Bars not drawn here." in html

    def test_bars_follow_the_dates(self, scheduled, cycle):
        context = timeline_context(RoadmapItem.objects.all(), cycle=cycle)
        bars = drawn_bars(context)
        build, ship = bars["Payments API"], bars["One-page checkout"]
        assert build.x < ship.x < build.end_x < ship.end_x
        assert ship.progress == pytest.approx(0.4)
        assert ship.fill_width == pytest.approx(ship.width * 0.4, abs=0.01)
        assert [b.title for b in ship.late_blockers] == ["Payments API"]
        assert context["timeline_cycle"].x <= build.x

    def test_without_a_cycle_or_items(self, db):
        context = timeline_context(RoadmapItem.objects.none(), cycle=None)
        assert context["timeline_lanes"] == []
        assert context["timeline_cycle"] is None

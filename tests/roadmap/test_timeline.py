import datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from okrs.models import KeyResult
from roadmap.models import RoadmapItem
from roadmap.timeline import timeline_context
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory
from tests.roadmap.factories import AlignmentFactory, DependencyFactory, RoadmapItemFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
URL = "/p/acme/roadmap/timeline/"


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
        assert html.count('class="timeline__bar"') == 3
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
        assert html.count('class="timeline__bar"') == 24
        assert len(large) == len(small)


class TestTimelineContext:
    def test_public_timeline_links_nowhere(self, scheduled, cycle):
        context = timeline_context(RoadmapItem.objects.all(), cycle=cycle, public=True)
        html = render_to_string("roadmap/_timeline.html", context)
        assert "One-page checkout" in html
        assert "<a " not in html
        assert "href" not in html

    def test_bars_follow_the_dates(self, scheduled, cycle):
        context = timeline_context(RoadmapItem.objects.all(), cycle=cycle)
        bars = {bar.item.title: bar for group in context["timeline_groups"] for bar in group.bars}
        build, ship = bars["Payments API"], bars["One-page checkout"]
        assert build.x < ship.x < build.end_x < ship.end_x
        assert ship.progress == pytest.approx(0.4)
        assert ship.fill_width == pytest.approx(ship.width * 0.4, abs=0.01)
        assert [b.title for b in ship.late_blockers] == ["Payments API"]
        assert context["timeline_cycle"].x <= build.x

    def test_without_a_cycle_or_items(self, db):
        context = timeline_context(RoadmapItem.objects.none(), cycle=None)
        assert context["timeline_groups"] == []
        assert context["timeline_cycle"] is None

"""The portfolio dashboard: stored progress, burn-up, needs attention, recent activity."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from okrs.models import KeyResult, Objective, ProductProgress, ProgressSnapshot, SnapshotScope
from roadmap.models import Alignment, Horizon, ItemStatus, RoadmapItem, RoadmapItemChange
from tests.okrs import builders
from tests.portfolio.factories import ProductFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def okrs(cycle, product, director, owning_pm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        top = builders.objective(cycle, "Win the mid-market", owner=director)
        behind = builders.key_result(top, "Net revenue retention", owner=director)
        child = builders.objective(cycle, "Faster checkout", product=product, parent=top)
        fine = builders.key_result(child, "Checkout conversion", owner=owning_pm)
        builders.check_in(fine, owning_pm, 80, confidence=8)
    return {"top": top, "behind": behind, "child": child, "fine": fine}


def dashboard(client, user, **extra):
    client.force_login(user)
    return client.get(reverse("dashboard", args=["acme"]), **extra)


class TestDashboard:
    @pytest.mark.parametrize(
        "role", ["director", "owning_pm", "other_pm", "contributor", "stakeholder"]
    )
    def test_every_member_sees_progress_objectives_and_products(
        self, client, person, role, okrs, product
    ):
        response = dashboard(client, person(role))
        html = response.content.decode()
        assert response.status_code == 200
        assert "Portfolio progress" in html
        assert "Win the mid-market" in html
        assert "Checkout" in html  # the product row
        assert 'class="burn-up__chart"' in html
        assert 'aria-current="page">Dashboard' in html

    def test_outsider_gets_404(self, client, outsider, okrs):
        assert dashboard(client, outsider).status_code == 404

    def test_shows_stored_progress_not_a_recomputation(
        self, client, director, okrs, cycle, product
    ):
        cycle.__class__.objects.filter(pk=cycle.pk).update(progress=0.77)
        ProductProgress.objects.filter(cycle=cycle, product=product).update(progress=0.33)
        html = dashboard(client, director).content.decode()
        assert "77%" in html
        assert "33%" in html

    def test_objective_shows_key_results_at_risk_beneath_it(self, client, director, okrs):
        html = dashboard(client, director).content.decode()
        card = html.split('objective-card__title">Win the mid-market')[1].split("</li>")[0]
        assert "1 off track" in card  # NRR has no progress a third into the cycle

    def test_burn_up_draws_stored_snapshots_expected_line_and_today(
        self, client, director, cycle, okrs
    ):
        ProgressSnapshot.objects.filter(cycle=cycle).delete()
        start = cycle.starts_on
        for week, value in enumerate([0.0, 0.1, 0.2]):
            ProgressSnapshot.objects.create(
                cycle=cycle,
                scope=SnapshotScope.PORTFOLIO,
                scope_id=cycle.portfolio_id,
                day=start + datetime.timedelta(days=7 * week),
                progress=value,
                expected=0.1,
            )
        html = dashboard(client, director).content.decode()
        chart = html.split('class="burn-up__chart"')[1].split("</svg>")[0]
        progress_path = chart.split('class="burn-up__progress" d="')[1].split('"')[0]
        assert progress_path.count("L") == 2  # three weekly points
        assert 'class="burn-up__expected"' in chart
        assert 'class="burn-up__today"' in chart

    def test_needs_attention_lists_risky_stale_and_unaligned_work(
        self, client, director, okrs, product
    ):
        now_item = RoadmapItem.objects.create(
            product=product, title="Unaligned now work", horizon=Horizon.NOW
        )
        aligned = RoadmapItem.objects.create(
            product=product, title="Aligned now work", horizon=Horizon.NOW
        )
        Alignment.objects.create(item=aligned, key_result=okrs["fine"])
        RoadmapItem.objects.create(product=product, title="Later work", horizon=Horizon.LATER)
        RoadmapItem.objects.create(
            product=product, title="Done now work", horizon=Horizon.NOW, status=ItemStatus.DONE
        )
        html = dashboard(client, director).content.decode()
        attention = html.split('id="attention-title"')[1].split("</section>")[0]
        assert "Net revenue retention" in attention  # off track and never checked in
        assert "never checked in" in attention
        assert now_item.title in attention
        assert "Aligned now work" not in attention
        assert "Later work" not in attention
        assert "Done now work" not in attention

    def test_recent_activity_newest_first(self, client, director, owning_pm, okrs, product):
        item = RoadmapItem.objects.create(product=product, title="Saved cards")
        Alignment.objects.create(item=item, key_result=okrs["fine"], created_by=director)
        RoadmapItemChange.objects.create(
            item=item, actor=owning_pm, field="horizon", before="next", after="now"
        )
        html = dashboard(client, director).content.decode()
        activity = html.split('id="activity-title"')[1].split("</section>")[0]
        assert "checked in" in activity
        assert "80" in activity
        assert "aligned" in activity
        assert "Saved cards" in activity
        assert "Next → Now" in activity
        assert activity.index("moved") < activity.index("checked in")  # newest first

    def test_htmx_poll_answers_only_the_live_region(self, client, director, okrs):
        response = dashboard(client, director, **HTMX)
        html = response.content.decode()
        assert html.lstrip().startswith('<div id="dashboard-live"')
        assert "<html" not in html
        assert 'hx-trigger="every 30s, checkInCreated from:body, itemAligned from:body' in html
        assert "HX-Request" in response["Vary"]

    def test_no_cycle_director_is_offered_to_create_one(self, client, director, portfolio):
        html = dashboard(client, director).content.decode()
        assert "Create the first cycle" in html

    def test_no_cycle_others_are_told_to_wait(self, client, contributor, portfolio):
        html = dashboard(client, contributor).content.decode()
        assert "Your director hasn't set up a cycle yet" in html
        assert "Create the first cycle" not in html

    def test_choose_a_cycle(self, client, director, okrs, portfolio):
        from tests.okrs.factories import CycleFactory

        old = CycleFactory(portfolio=portfolio, name="Old quarter", state="closed")
        Objective.objects.create(cycle=old, title="Old objective")
        client.force_login(director)
        html = client.get(reverse("dashboard", args=["acme"]) + f"?cycle={old.pk}").content.decode()
        assert "Old objective" in html
        assert "Win the mid-market" not in html

    @pytest.mark.parametrize("htmx", [False, True])
    def test_query_count_does_not_grow(self, client, director, owning_pm, cycle, product, htmx):
        client.force_login(director)
        url = reverse("dashboard", args=["acme"])
        extra = HTMX if htmx else {}

        def grow(n):
            for i in range(n):
                other = ProductFactory(portfolio=cycle.portfolio, owner=owning_pm)
                ProductProgress.objects.create(cycle=cycle, product=other, progress=0.4)
                top = Objective.objects.create(cycle=cycle, title=f"Top {i}", owner=director)
                child = Objective.objects.create(
                    cycle=cycle, title=f"C {i}", product=other, parent=top, depth=1
                )
                for objective in (top, child):
                    kr = KeyResult.objects.create(
                        objective=objective, title=f"KR {i}", target_value=10, owner=owning_pm
                    )
                    builders.check_in(kr, owning_pm, 2)
                    item = RoadmapItem.objects.create(
                        product=other, title=f"Item {i}", horizon=Horizon.NOW
                    )
                    Alignment.objects.create(item=item, key_result=kr, created_by=director)
                    RoadmapItem.objects.create(
                        product=other, title=f"Loose {i}", horizon=Horizon.NOW
                    )
                    RoadmapItemChange.objects.create(
                        item=item,
                        actor=director,
                        field="status",
                        before="planned",
                        after="in_progress",
                    )
                ProgressSnapshot.objects.get_or_create(
                    cycle=cycle,
                    scope=SnapshotScope.PORTFOLIO,
                    scope_id=cycle.portfolio_id,
                    day=timezone.localdate() - datetime.timedelta(days=i),
                    defaults={"progress": 0.1, "expected": 0.2},
                )

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, **extra).status_code == 200
            return len(queries)

        grow(1)
        small = count()
        grow(8)
        assert count() == small


def _key_results(objective, count, *, prefix="KR", progress=0.0, **fields):
    """`count` key results straight in the table, with stored progress (no roll-up)."""
    return [
        KeyResult.objects.create(
            objective=objective,
            title=f"{prefix} {index:02d}",
            target_value=100,
            progress=progress,
            **fields,
        )
        for index in range(count)
    ]


def attention_titles(html):
    panel = html.split('id="attention-panel"')[1].split("</section>")[0]
    return [
        part.split(">", 1)[1].split("<", 1)[0]
        for part in panel.split('class="attention__title"')[1:]
    ]


class TestKeyResultStatusInSql:
    @pytest.mark.parametrize("progress", [0.0, 0.03, 0.0333, 0.034, 0.18, 0.1834, 0.5, 0.99, 1.0])
    @pytest.mark.parametrize("confidence", [None, 2, 3, 4, 9])
    def test_sql_counts_agree_with_status_of(self, cycle, progress, confidence):
        """The GROUP BY counts each key result in the status `status_of` gives it."""
        from okrs.status import expected_progress, status_of
        from roadmap.dashboard import objective_rows

        objective = Objective.objects.create(cycle=cycle, title="Measured")
        KeyResult.objects.create(
            objective=objective,
            title="KR",
            target_value=100,
            progress=progress,
            confidence=confidence,
            last_checked_in_at=timezone.now(),
        )
        expected = expected_progress(cycle)
        (row,) = objective_rows(cycle, expected, timezone.now())
        status = status_of(progress, expected, confidence)
        assert row["off_track"] == (status == "off_track")
        assert row["at_risk"] == (status == "at_risk")
        assert row["stale"] == 0


class TestObjectiveCards:
    def test_forecast_rolls_up_stored_forecasts_of_the_subtree(self, client, director, cycle):
        top = Objective.objects.create(cycle=cycle, title="Top objective")
        child = Objective.objects.create(cycle=cycle, title="Child", parent=top, depth=1)
        KeyResult.objects.create(objective=top, title="A", target_value=10, forecast=0.2)
        KeyResult.objects.create(objective=top, title="B", target_value=10, forecast=None)
        KeyResult.objects.create(
            objective=child, title="C", target_value=10, forecast=0.8, weight=3
        )
        html = dashboard(client, director).content.decode()
        card = html.split('objective-card__title">Top objective')[1].split("</li>")[0]
        # Top: its key result A (weight 1, 20%) and the child (weight 1, 80%) → 50%.
        assert "Forecast 50%" in card
        assert "3 off track" in card  # A, B and C, beneath it, have no progress

    def test_owner_name_is_shown(self, client, director, cycle):
        Objective.objects.create(cycle=cycle, title="Owned objective", owner=director)
        html = dashboard(client, director).content.decode()
        card = html.split('objective-card__title">Owned objective')[1].split("</li>")[0]
        assert director.name in card


class TestNeedsAttentionCap:
    @pytest.fixture
    def crowded(self, cycle, product):
        """23 off-track key results, 2 at risk (low confidence), 4 stale but on track, and 3
        unaligned items in Now: 32 entries."""
        objective = Objective.objects.create(cycle=cycle, title="Crowded")
        recent = timezone.now()
        old = timezone.now() - datetime.timedelta(days=20)
        _key_results(objective, 23, prefix="Off", last_checked_in_at=recent)
        _key_results(
            objective, 2, prefix="Risk", progress=0.5, confidence=2, last_checked_in_at=recent
        )
        _key_results(objective, 4, prefix="Stale", progress=0.5, last_checked_in_at=old)
        for index in range(3):
            RoadmapItem.objects.create(
                product=product, title=f"Loose {index}", horizon=Horizon.NOW, position=index
            )
        return objective

    def test_shows_the_first_twenty_with_the_count_of_all(self, client, director, crowded):
        html = dashboard(client, director).content.decode()
        titles = attention_titles(html)
        assert titles == [f"Off {i:02d}" for i in range(20)]
        assert '<span class="chip chip--neutral">32</span>' in html
        assert "23 off track · 2 at risk · 4 without a check-in for 14 days · 3 unaligned" in html
        assert "Showing 20 of 32." in html
        assert "Show 12 more" in html
        assert "Show all 32" in html

    def test_show_more_fragment_answers_only_the_panel_with_the_next_entries(
        self, client, director, crowded, cycle
    ):
        client.force_login(director)
        url = reverse("dashboard", args=["acme"]) + f"?cycle={cycle.pk}&attention=40"
        response = client.get(url, HTTP_HX_TARGET="attention-panel", **HTMX)
        html = response.content.decode()
        assert response.status_code == 200
        assert html.lstrip().startswith('<section class="panel" id="attention-panel"')
        assert "<html" not in html
        assert 'id="dashboard-live"' not in html
        assert attention_titles(html) == (
            [f"Off {i:02d}" for i in range(23)]
            + ["Risk 00", "Risk 01"]
            + [f"Stale {i:02d}" for i in range(4)]
            + ["Loose 0", "Loose 1", "Loose 2"]
        )
        assert "Show" not in html.split("</ul>")[1]  # nothing left to show
        assert 'value="40"' in html  # the poll sends it back

    def test_without_javascript_the_link_shows_more_on_the_full_page(
        self, client, director, crowded
    ):
        html = dashboard(client, director).content.decode()
        more = html.split('id="attention-more"')[1].split(">")[0]
        href = more.split('href="')[1].split('"')[0].replace("&amp;", "&")
        assert "attention=40" in href
        page = client.get(href.split("#")[0]).content.decode()
        assert "<html" in page
        assert len(attention_titles(page)) == 32

    def test_a_stale_key_result_off_track_appears_in_both_lists(self, client, director, cycle):
        objective = Objective.objects.create(cycle=cycle, title="Quiet")
        _key_results(objective, 1, prefix="Silent")  # progress 0, never checked in
        html = dashboard(client, director).content.decode()
        assert attention_titles(html) == ["Silent 00", "Silent 00"]
        assert "never checked in" in html

    def test_poll_keeps_the_panels_expanded(self, client, director, crowded):
        html = dashboard(client, director).content.decode()
        live = html.split('id="dashboard-live"')[1].split(">")[0]
        assert 'hx-include="#attention-shown, #activity-shown"' in live
        assert '<input type="hidden" id="attention-shown" name="attention" value="20">' in html

    def test_outsider_gets_404_on_the_panel(self, client, outsider, crowded, cycle):
        client.force_login(outsider)
        url = reverse("dashboard", args=["acme"]) + f"?cycle={cycle.pk}&attention=40"
        response = client.get(url, HTTP_HX_TARGET="attention-panel", **HTMX)
        assert response.status_code == 404

    def test_stakeholder_reads_the_panel(self, client, stakeholder, crowded):
        client.force_login(stakeholder)
        url = reverse("dashboard", args=["acme"]) + "?attention=40"
        response = client.get(url, HTTP_HX_TARGET="attention-panel", **HTMX)
        assert response.status_code == 200
        assert len(attention_titles(response.content.decode())) == 32
        assert "<form" not in response.content.decode()

    def test_a_nonsense_count_shows_the_first_twenty(self, client, director, crowded):
        client.force_login(director)
        html = client.get(reverse("dashboard", args=["acme"]) + "?attention=lots").content
        assert len(attention_titles(html.decode())) == 20


class TestRecentActivity:
    @pytest.fixture
    def busy(self, cycle, owning_pm):
        """18 objectives, each with a key result checked in once, a day apart."""
        rows = []
        for index in range(18):
            objective = Objective.objects.create(cycle=cycle, title=f"Objective {index}")
            kr = KeyResult.objects.create(
                objective=objective, title=f"Metric {index:02d}", target_value=100
            )
            builders.check_in(
                kr,
                owning_pm,
                index,
                checked_in_at=timezone.now() - datetime.timedelta(days=18 - index),
            )
            rows.append(kr)
        return rows

    def test_shows_the_newest_check_ins_and_a_link_to_older_ones(self, client, director, busy):
        html = dashboard(client, director).content.decode()
        activity = html.split('id="activity-panel"')[1].split("</section>")[0]
        shown = [f"Metric {i:02d}" for i in range(17, 2, -1)]  # the newest 15
        positions = [activity.index(title) for title in shown]
        assert positions == sorted(positions)
        assert "Metric 02" not in activity
        assert "Show older activity" in activity

    def test_older_activity_fragment(self, client, director, busy, cycle):
        client.force_login(director)
        url = reverse("dashboard", args=["acme"]) + f"?cycle={cycle.pk}&activity=30"
        response = client.get(url, HTTP_HX_TARGET="activity-panel", **HTMX)
        html = response.content.decode()
        assert html.lstrip().startswith('<section class="panel" id="activity-panel"')
        assert all(f"Metric {i:02d}" in html for i in range(18))
        assert "Show older activity" not in html

    def test_check_in_links_to_its_key_result(self, client, director, busy):
        html = dashboard(client, director).content.decode()
        assert reverse("key_result_detail", args=["acme", busy[-1].pk]) in html


class TestPanelQueries:
    @pytest.mark.parametrize("panel", ["attention-panel", "activity-panel"])
    def test_panel_query_count_does_not_grow(self, client, director, cycle, product, panel):
        client.force_login(director)
        url = reverse("dashboard", args=["acme"]) + "?attention=40&activity=30"

        def grow(count):
            objective = Objective.objects.create(cycle=cycle, title="More")
            _key_results(objective, count, prefix=f"G{count}")
            for index in range(count):
                RoadmapItem.objects.create(product=product, title=f"L{index}", horizon=Horizon.NOW)

        def queries():
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, HTTP_HX_TARGET=panel, **HTMX)
                assert response.status_code == 200
            return len(captured)

        grow(2)
        small = queries()
        grow(30)
        assert queries() == small

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

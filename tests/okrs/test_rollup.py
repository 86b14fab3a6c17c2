import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from okrs import progress, rollup, services
from okrs.models import (
    Cycle,
    KeyResult,
    Measure,
    Objective,
    ProductProgress,
    ProgressSnapshot,
    SnapshotScope,
)
from tests.okrs import builders

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def numbers(cycle) -> dict:
    """Every stored number of a cycle, for comparing two ways of computing them."""
    return {
        "key_results": dict(
            KeyResult.objects.filter(objective__cycle=cycle).values_list("id", "progress")
        ),
        "forecasts": dict(
            KeyResult.objects.filter(objective__cycle=cycle).values_list("id", "forecast")
        ),
        "objectives": dict(Objective.objects.filter(cycle=cycle).values_list("id", "progress")),
        "products": {
            product_id: value
            for product_id, value in ProductProgress.objects.filter(cycle=cycle).values_list(
                "product_id", "progress"
            )
            if value is not None
        },
        "portfolio": Cycle.objects.values_list("progress", flat=True).get(pk=cycle.pk),
        "snapshots": {
            (scope, scope_id): value
            for scope, scope_id, value in ProgressSnapshot.objects.filter(
                cycle=cycle, day=timezone.localdate()
            ).values_list("scope", "scope_id", "progress")
            if value is not None
        },
    }


class TestKeyResultProgressInSql:
    @pytest.mark.parametrize(
        ("measure", "start", "target", "current"),
        [
            (Measure.INCREASE, "0", "100", "0"),
            (Measure.INCREASE, "0", "100", "33.3333"),
            (Measure.INCREASE, "10", "20", "25"),
            (Measure.INCREASE, "10", "20", "-5"),
            (Measure.INCREASE, "-50", "50", "0"),
            (Measure.INCREASE, "0.1", "0.3", "0.2"),
            (Measure.DECREASE, "800", "200", "500"),
            (Measure.DECREASE, "800", "200", "100"),
            (Measure.DECREASE, "3", "1", "2.9999"),
            (Measure.STAY_ABOVE, "99", "99.5", "99.5"),
            (Measure.STAY_ABOVE, "99", "99.5", "99.4999"),
            (Measure.STAY_BELOW, "300", "250", "250"),
            (Measure.STAY_BELOW, "300", "250", "251"),
            (Measure.MILESTONE, "0", "1", "0"),
            (Measure.MILESTONE, "0", "1", "1"),
            (Measure.INCREASE, "0", "3", "1"),
            (Measure.INCREASE, "0", "7", "1"),
            (Measure.INCREASE, "12345678.1234", "99999999999.9999", "5555555555.5555"),
        ],
    )
    def test_matches_the_specification(self, cycle, measure, start, target, current):
        objective = builders.objective(cycle)
        key_result = builders.key_result(
            objective,
            measure=measure,
            start_value=Decimal(start),
            target_value=Decimal(target),
        )
        KeyResult.objects.filter(pk=key_result.pk).update(current_value=Decimal(current))

        rollup.recompute_cycle(cycle.pk)

        key_result.refresh_from_db()
        expected = progress.key_result_progress(
            measure=measure,
            start=key_result.start_value,
            target=key_result.target_value,
            current=Decimal(current),
        )
        assert key_result.progress == pytest.approx(expected, abs=1e-6)
        assert key_result.progress == progress.rounded(key_result.progress)


class TestObjectiveProgress:
    def test_is_the_weighted_mean_of_key_results_and_children(
        self, cycle, director, product, run_on_commit
    ):
        parent = run_on_commit(builders.objective, cycle, title="Parent")
        heavy = run_on_commit(builders.key_result, parent, weight=Decimal(3))
        run_on_commit(builders.key_result, parent, weight=Decimal(1))
        child = run_on_commit(builders.objective, cycle, parent=parent, product=product)
        child_kr = run_on_commit(builders.key_result, child)

        run_on_commit(builders.check_in, heavy, director, "100")
        run_on_commit(builders.check_in, child_kr, director, "50")

        parent.refresh_from_db()
        child.refresh_from_db()
        assert child.progress == 0.5
        # (3 × 1.0 + 1 × 0 + 1 × 0.5) / 5
        assert parent.progress == 0.7

    def test_a_child_without_measures_is_left_out_not_counted_as_zero(
        self, cycle, director, product, run_on_commit
    ):
        parent = run_on_commit(builders.objective, cycle)
        key_result = run_on_commit(builders.key_result, parent)
        run_on_commit(builders.objective, cycle, parent=parent, product=product, title="Empty")
        run_on_commit(builders.check_in, key_result, director, "80")

        parent.refresh_from_db()
        assert parent.progress == 0.8
        assert Objective.objects.get(title="Empty").progress is None

    def test_no_measures_yet_is_null_not_zero(self, cycle, run_on_commit):
        objective = run_on_commit(builders.objective, cycle)
        run_on_commit(builders.key_result, objective, weight=Decimal(0))

        objective.refresh_from_db()
        assert objective.progress is None
        assert Cycle.objects.get(pk=cycle.pk).progress is None

    def test_children_are_ignored_when_it_does_not_roll_them_up(
        self, cycle, director, product, run_on_commit
    ):
        parent = run_on_commit(builders.objective, cycle, rollup_children=False)
        own = run_on_commit(builders.key_result, parent)
        child = run_on_commit(builders.objective, cycle, parent=parent, product=product)
        run_on_commit(builders.check_in, run_on_commit(builders.key_result, child), director, 90)
        run_on_commit(builders.check_in, own, director, "20")

        parent.refresh_from_db()
        assert parent.progress == 0.2


class TestProductAndPortfolioProgress:
    def test_product_progress_counts_only_its_top_level_objectives(
        self, cycle, director, product, run_on_commit
    ):
        portfolio_objective = run_on_commit(builders.objective, cycle)
        top = run_on_commit(
            builders.objective, cycle, parent=portfolio_objective, product=product, title="Top"
        )
        nested = run_on_commit(builders.objective, cycle, parent=top, product=product)
        top_kr = run_on_commit(builders.key_result, top)
        nested_kr = run_on_commit(builders.key_result, nested)

        run_on_commit(builders.check_in, top_kr, director, "40")
        run_on_commit(builders.check_in, nested_kr, director, "100")

        top.refresh_from_db()
        assert top.progress == 0.7  # (0.4 + 1.0) / 2
        product_progress = ProductProgress.objects.get(cycle=cycle, product=product)
        assert product_progress.progress == 0.7
        assert Cycle.objects.get(pk=cycle.pk).progress == 0.7

    def test_snapshots_record_today_for_every_scope_touched(
        self, cycle, director, product, run_on_commit
    ):
        root = run_on_commit(builders.objective, cycle)
        child = run_on_commit(builders.objective, cycle, parent=root, product=product)
        key_result = run_on_commit(builders.key_result, child)

        run_on_commit(builders.check_in, key_result, director, "30")

        today = {
            (s.scope, s.scope_id): s.progress
            for s in ProgressSnapshot.objects.filter(day=timezone.localdate())
        }
        assert today[(SnapshotScope.KEY_RESULT, key_result.pk)] == 0.3
        assert today[(SnapshotScope.OBJECTIVE, child.pk)] == 0.3
        assert today[(SnapshotScope.OBJECTIVE, root.pk)] == 0.3
        assert today[(SnapshotScope.PRODUCT, product.pk)] == 0.3
        assert today[(SnapshotScope.PORTFOLIO, cycle.portfolio_id)] == 0.3
        snapshot = ProgressSnapshot.objects.get(scope=SnapshotScope.PORTFOLIO)
        assert snapshot.expected == progress.expected_progress(
            day=timezone.localdate(), starts_on=cycle.starts_on, ends_on=cycle.ends_on
        )


class TestEditsRollUp:
    def test_changing_a_target_rolls_up(self, cycle, director, run_on_commit):
        key_result = run_on_commit(builders.key_result, run_on_commit(builders.objective, cycle))
        run_on_commit(builders.check_in, key_result, director, "50")

        run_on_commit(services.key_result_update, key_result=key_result, target_value=200)

        assert Cycle.objects.get(pk=cycle.pk).progress == 0.25

    def test_changing_cycle_dates_recomputes_forecasts(self, cycle, director, run_on_commit):
        key_result = run_on_commit(builders.key_result, run_on_commit(builders.objective, cycle))
        now = timezone.now()
        run_on_commit(
            builders.check_in, key_result, director, "10", checked_in_at=now - timedelta(days=1)
        )
        run_on_commit(builders.check_in, key_result, director, "10.5", checked_in_at=now)
        key_result.refresh_from_db()
        before = key_result.forecast

        run_on_commit(
            services.cycle_update, cycle=cycle, ends_on=cycle.ends_on + timedelta(days=30)
        )

        key_result.refresh_from_db()
        assert before is not None
        assert key_result.forecast > before

    def test_deleting_an_objective_recomputes_the_portfolio(self, cycle, director, run_on_commit):
        keep = run_on_commit(builders.objective, cycle, title="Keep")
        drop = run_on_commit(builders.objective, cycle, title="Drop")
        run_on_commit(builders.check_in, run_on_commit(builders.key_result, keep), director, 80)
        run_on_commit(builders.key_result, drop)
        assert Cycle.objects.get(pk=cycle.pk).progress == 0.4

        run_on_commit(services.objective_delete, objective=drop)

        assert Cycle.objects.get(pk=cycle.pk).progress == 0.8


def build_portfolio_tree(cycle, products, *, objectives_per_product=2, key_results=3):
    """A three-level cascade: portfolio objective → product objectives → nested ones."""
    key_result_ids = []
    root = builders.objective(cycle, title="Portfolio objective")
    for product in products:
        for index in range(objectives_per_product):
            top = builders.objective(
                cycle, title=f"{product} {index}", parent=root, product=product
            )
            nested = builders.objective(
                cycle, title=f"{product} {index}b", parent=top, product=product
            )
            for objective in (top, nested):
                for number in range(key_results):
                    key_result_ids.append(builders.key_result(objective, title=f"KR {number}").pk)
    return key_result_ids


class TestQueryCounts:
    def count(self, action) -> int:
        with CaptureQueriesContext(connection) as queries:
            action()
        return len(queries)

    def test_a_key_result_roll_up_costs_the_same_in_a_larger_portfolio(
        self, cycle, product, other_product, django_capture_on_commit_callbacks
    ):
        small = build_portfolio_tree(cycle, [product], objectives_per_product=1, key_results=1)
        small_count = self.count(lambda: rollup.rollup_from_key_result(small[-1]))

        build_portfolio_tree(
            cycle, [product, other_product], objectives_per_product=4, key_results=5
        )
        large_count = self.count(lambda: rollup.rollup_from_key_result(small[-1]))

        assert large_count == small_count
        assert small_count <= 16

    def test_recompute_cycle_runs_a_bounded_number_of_statements(
        self, cycle, product, other_product
    ):
        build_portfolio_tree(cycle, [product], objectives_per_product=1, key_results=1)
        small_count = self.count(lambda: rollup.recompute_cycle(cycle.pk))

        build_portfolio_tree(
            cycle, [product, other_product], objectives_per_product=5, key_results=6
        )
        large_count = self.count(lambda: rollup.recompute_cycle(cycle.pk))

        assert large_count == small_count


class TestIncrementalEqualsRecompute:
    def test_after_random_check_ins_and_edits(
        self, cycle, director, product, other_product, run_on_commit
    ):
        randomness = random.Random(20271)
        build_portfolio_tree(
            cycle, [product, other_product], objectives_per_product=2, key_results=2
        )
        key_results = list(KeyResult.objects.filter(objective__cycle=cycle))
        objectives = list(Objective.objects.filter(cycle=cycle, product__isnull=False))
        rollup.recompute_cycle(cycle.pk)
        now = timezone.now()

        for step in range(60):
            action = randomness.random()
            key_result = randomness.choice(key_results)
            if action < 0.6:
                run_on_commit(
                    builders.check_in,
                    key_result,
                    director,
                    Decimal(randomness.randint(-20, 140)),
                    confidence=randomness.randint(0, 10),
                    checked_in_at=now - timedelta(hours=randomness.randint(0, 24 * 20)),
                )
            elif action < 0.75:
                run_on_commit(
                    services.key_result_update,
                    key_result=key_result,
                    weight=Decimal(randomness.randint(0, 4)),
                )
            elif action < 0.85:
                run_on_commit(
                    services.key_result_update,
                    key_result=key_result,
                    target_value=Decimal(randomness.randint(50, 300)),
                )
            else:
                objective = randomness.choice(objectives)
                run_on_commit(
                    services.objective_update,
                    objective=objective,
                    weight=Decimal(randomness.randint(0, 3)),
                    rollup_children=randomness.random() < 0.8,
                )
            if step % 10 == 9:
                incremental = numbers(cycle)
                rollup.recompute_cycle(cycle.pk)
                assert numbers(cycle) == incremental, f"diverged after step {step}"

"""The roll-up: key-result progress into objective, product and portfolio progress.

Two ways in, one set of SQL expressions:

- `rollup_from_key_result` / `rollup_from_objective` walk one branch of the tree, a
  couple of statements per level: cost O(depth), whatever the portfolio's size;
- `recompute_cycle` recomputes a whole cycle set-based, one statement per tree level.

Both evaluate the very same expressions, so the incremental result equals the full
recompute exactly. `okrs.progress` is the specification of the math; the tests hold
these expressions to it. Everything is recomputed from stored rows, so a duplicate,
late or re-delivered task is harmless.

The branch walk runs in autocommit: each level is its own statement, so the last
statement to touch an objective sees every key-result update that preceded it, and
concurrent roll-ups converge.
"""

import logging
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import (
    Case,
    DecimalField,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least, NullIf, Round
from django.utils import timezone

from okrs import progress as math
from okrs.models import (
    CheckIn,
    Cycle,
    KeyResult,
    Measure,
    Objective,
    ProductProgress,
    ProgressSnapshot,
    SnapshotScope,
)

logger = logging.getLogger(__name__)

# A guard against a corrupted tree: the service layer refuses cycles, and no real
# cascade is anywhere near this deep.
MAX_DEPTH = 64

ZERO = Value(0.0, output_field=FloatField())
ONE = Value(1.0, output_field=FloatField())


def _float(expression):
    return Cast(expression, FloatField())


def _rounded(expression):
    """Round to the stored precision, identically on PostgreSQL and SQLite."""
    return _float(Round(Cast(expression, DecimalField(max_digits=30, decimal_places=12)), 6))


def _mean(weighted, weights):
    """Σ w·p / Σ w, or NULL when the total weight is 0 ("no measures yet")."""
    return _rounded(weighted / NullIf(weights, ZERO))


def key_result_progress_expression():
    """Key-result progress (DESIGN.md §5) from the key result's own row."""
    current = _float(F("current_value"))
    start = _float(F("start_value"))
    target = _float(F("target_value"))
    return _rounded(
        Case(
            When(
                measure__in=[Measure.INCREASE, Measure.DECREASE],
                then=Greatest(ZERO, Least(ONE, (current - start) / (target - start))),
            ),
            When(measure=Measure.STAY_ABOVE, current_value__gte=F("target_value"), then=ONE),
            When(measure=Measure.STAY_BELOW, current_value__lte=F("target_value"), then=ONE),
            When(measure=Measure.MILESTONE, current_value__gte=1, then=ONE),
            default=ZERO,
            output_field=FloatField(),
        )
    )


def _weighted_sums(rows: QuerySet, group_field: str):
    """Correlated Σ weight·progress and Σ weight over `rows` that have a progress."""
    grouped = rows.filter(progress__isnull=False).order_by().values(group_field)
    weighted = grouped.annotate(total=Sum(_float(F("weight")) * F("progress"))).values("total")
    weights = grouped.annotate(total=Sum(_float(F("weight")))).values("total")
    return (
        Coalesce(Subquery(weighted, output_field=FloatField()), ZERO),
        Coalesce(Subquery(weights, output_field=FloatField()), ZERO),
    )


def objective_progress_expression():
    """Weighted mean of an objective's key results and, when it rolls them up, its
    child objectives; a child without progress is left out, not counted as 0."""
    kr_weighted, kr_weights = _weighted_sums(
        KeyResult.objects.filter(objective=OuterRef("pk")), "objective"
    )
    child_weighted, child_weights = _weighted_sums(
        Objective.objects.filter(parent=OuterRef("pk")), "parent"
    )
    return _mean(
        kr_weighted + Case(When(rollup_children=True, then=child_weighted), default=ZERO),
        kr_weights + Case(When(rollup_children=True, then=child_weights), default=ZERO),
    )


def portfolio_progress_expression():
    """Weighted mean of the cycle's portfolio-level root objectives."""
    weighted, weights = _weighted_sums(
        Objective.objects.filter(cycle=OuterRef("pk"), product__isnull=True, parent__isnull=True),
        "cycle",
    )
    return _mean(weighted, weights)


def product_top_level_objectives(cycle_id: int) -> QuerySet[Objective]:
    """A product's top-level objectives: those whose parent is not of the same product."""
    return Objective.objects.filter(cycle_id=cycle_id, product__isnull=False).filter(
        Q(parent__isnull=True)
        | Q(parent__product__isnull=True)
        | ~Q(parent__product_id=F("product_id"))
    )


def product_progress(cycle_id: int, product_ids=None) -> dict[int, float | None]:
    """Weighted mean of each product's top-level objectives, in one grouped query."""
    objectives = product_top_level_objectives(cycle_id)
    if product_ids is not None:
        objectives = objectives.filter(product_id__in=product_ids)
    has_progress = Q(progress__isnull=False)
    rows = (
        objectives.order_by()
        .values("product_id")
        .annotate(
            value=_mean(
                Sum(_float(F("weight")) * F("progress"), filter=has_progress),
                Sum(_float(F("weight")), filter=has_progress),
            )
        )
    )
    return {row["product_id"]: row["value"] for row in rows}


def _store_product_progress(cycle_id: int, values: dict[int, float | None]) -> None:
    ProductProgress.objects.bulk_create(
        [
            ProductProgress(cycle_id=cycle_id, product_id=product_id, progress=value)
            for product_id, value in values.items()
        ],
        update_conflicts=True,
        unique_fields=["cycle", "product"],
        update_fields=["progress", "updated_at"],
    )


def key_result_forecast(key_result: KeyResult, cycle: Cycle, check_ins) -> float | None:
    return math.forecast(
        measure=key_result.measure,
        start=key_result.start_value,
        target=key_result.target_value,
        check_ins=check_ins,
        starts_on=cycle.starts_on,
        ends_on=cycle.ends_on,
    )


@dataclass
class Snapshots:
    """Today's snapshot rows for the scopes one roll-up touched."""

    cycle: Cycle
    day: date = field(default_factory=timezone.localdate)
    rows: dict[tuple[str, int], float | None] = field(default_factory=dict)

    def add(self, scope: str, scope_id: int, value: float | None) -> None:
        self.rows[(scope, scope_id)] = value

    def save(self) -> None:
        expected = math.expected_progress(
            day=self.day, starts_on=self.cycle.starts_on, ends_on=self.cycle.ends_on
        )
        ProgressSnapshot.objects.bulk_create(
            [
                ProgressSnapshot(
                    cycle=self.cycle,
                    scope=scope,
                    scope_id=scope_id,
                    day=self.day,
                    progress=value,
                    expected=expected,
                )
                for (scope, scope_id), value in self.rows.items()
            ],
            update_conflicts=True,
            unique_fields=["cycle", "scope", "scope_id", "day"],
            update_fields=["progress", "expected"],
            batch_size=1000,
        )


def rollup_from_key_result(key_result_id: int) -> None:
    """Recompute one key result, then its objective and every ancestor, its products and
    the portfolio; upsert today's snapshots for all of them."""
    key_result = (
        KeyResult.objects.select_related("objective__cycle")
        .filter(pk=key_result_id)
        .only(
            "measure",
            "start_value",
            "target_value",
            "objective_id",
            "objective__cycle__starts_on",
            "objective__cycle__ends_on",
            "objective__cycle__portfolio_id",
        )
        .first()
    )
    if key_result is None:
        logger.info("Roll-up skipped: key result %s no longer exists", key_result_id)
        return
    cycle = key_result.objective.cycle
    check_ins = list(
        CheckIn.objects.filter(key_result_id=key_result_id).values_list("checked_in_at", "value")
    )
    KeyResult.objects.filter(pk=key_result_id).update(
        progress=key_result_progress_expression(),
        forecast=key_result_forecast(key_result, cycle, check_ins),
    )
    snapshots = Snapshots(cycle=cycle)
    snapshots.add(
        SnapshotScope.KEY_RESULT,
        key_result_id,
        KeyResult.objects.values_list("progress", flat=True).get(pk=key_result_id),
    )
    _rollup_branch(key_result.objective_id, cycle, snapshots)


def rollup_from_objective(objective_id: int) -> None:
    """Recompute an objective and everything above it (after an edit or a move)."""
    cycle = Cycle.objects.filter(objectives=objective_id).first()
    if cycle is None:
        logger.info("Roll-up skipped: objective %s no longer exists", objective_id)
        return
    _rollup_branch(objective_id, cycle, Snapshots(cycle=cycle))


def _rollup_branch(objective_id: int | None, cycle: Cycle, snapshots: Snapshots) -> None:
    product_ids = set()
    for _ in range(MAX_DEPTH):
        if objective_id is None:
            break
        Objective.objects.filter(pk=objective_id).update(progress=objective_progress_expression())
        parent_id, product_id, value = Objective.objects.values_list(
            "parent_id", "product_id", "progress"
        ).get(pk=objective_id)
        snapshots.add(SnapshotScope.OBJECTIVE, objective_id, value)
        if product_id is not None:
            product_ids.add(product_id)
        objective_id = parent_id
    else:
        logger.error("Roll-up stopped at depth %s: is the objective tree cyclic?", MAX_DEPTH)

    if product_ids:
        values = dict.fromkeys(product_ids)
        values.update(product_progress(cycle.pk, product_ids))
        _store_product_progress(cycle.pk, values)
        for product_id, value in values.items():
            snapshots.add(SnapshotScope.PRODUCT, product_id, value)

    Cycle.objects.filter(pk=cycle.pk).update(progress=portfolio_progress_expression())
    snapshots.add(
        SnapshotScope.PORTFOLIO,
        cycle.portfolio_id,
        Cycle.objects.values_list("progress", flat=True).get(pk=cycle.pk),
    )
    snapshots.save()


@transaction.atomic
def recompute_cycle(cycle_id: int, *, day: date | None = None) -> None:
    """Recompute every number of a cycle from its key results' current values.

    Set-based: one statement for the key results, one per tree level (deepest first),
    one grouped query for the products and one for the portfolio, and batched writes
    for the forecasts and the snapshots of `day` (today unless replaying history).
    """
    cycle = Cycle.objects.filter(pk=cycle_id).first()
    if cycle is None:
        logger.info("Recompute skipped: cycle %s no longer exists", cycle_id)
        return
    key_results = KeyResult.objects.filter(objective__cycle=cycle)
    key_results.update(progress=key_result_progress_expression())
    _recompute_forecasts(cycle)

    objectives = Objective.objects.filter(cycle=cycle)
    deepest = max(objectives.values_list("depth", flat=True), default=-1)
    for depth in range(deepest, -1, -1):
        objectives.filter(depth=depth).update(progress=objective_progress_expression())

    products = dict.fromkeys(cycle.portfolio.products.values_list("id", flat=True))
    products.update(product_progress(cycle.pk))
    _store_product_progress(cycle.pk, products)
    Cycle.objects.filter(pk=cycle.pk).update(progress=portfolio_progress_expression())

    snapshots = Snapshots(cycle=cycle, day=day or timezone.localdate())
    for key_result_id, value in key_results.values_list("id", "progress"):
        snapshots.add(SnapshotScope.KEY_RESULT, key_result_id, value)
    for objective_id, value in objectives.values_list("id", "progress"):
        snapshots.add(SnapshotScope.OBJECTIVE, objective_id, value)
    for product_id, value in products.items():
        snapshots.add(SnapshotScope.PRODUCT, product_id, value)
    snapshots.add(
        SnapshotScope.PORTFOLIO,
        cycle.portfolio_id,
        Cycle.objects.values_list("progress", flat=True).get(pk=cycle.pk),
    )
    snapshots.save()


def _recompute_forecasts(cycle: Cycle) -> None:
    """Forecasts need a least-squares fit per key result: one read, one batched write."""
    history: dict[int, list] = {}
    for key_result_id, checked_in_at, value in CheckIn.objects.filter(
        key_result__objective__cycle=cycle
    ).values_list("key_result_id", "checked_in_at", "value"):
        history.setdefault(key_result_id, []).append((checked_in_at, value))
    key_results = list(
        KeyResult.objects.filter(objective__cycle=cycle).only(
            "measure", "start_value", "target_value", "forecast"
        )
    )
    changed = []
    for key_result in key_results:
        value = key_result_forecast(key_result, cycle, history.get(key_result.pk, []))
        if value != key_result.forecast:
            key_result.forecast = value
            changed.append(key_result)
    KeyResult.objects.bulk_update(changed, ["forecast"], batch_size=500)

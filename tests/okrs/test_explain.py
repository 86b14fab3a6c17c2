"""Breakdowns behind progress numbers: built from stored values with their weights."""

from decimal import Decimal

import pytest

from okrs.explain import objective_breakdown, portfolio_breakdown, product_breakdown
from okrs.models import KeyResult, Objective, ProductProgress


@pytest.fixture
def objective(cycle):
    top = Objective.objects.create(cycle=cycle, title="Top", progress=0.54)
    KeyResult.objects.create(
        objective=top, title="Conversion", target_value=10, weight=Decimal(2), progress=0.5
    )
    KeyResult.objects.create(
        objective=top, title="Time to pay", target_value=10, weight=Decimal(1), progress=0.5
    )
    KeyResult.objects.create(
        objective=top, title="Errors", target_value=10, weight=Decimal(1), progress=1.0
    )
    Objective.objects.create(cycle=cycle, title="Payment form", parent=top, depth=1, progress=0.2)
    Objective.objects.create(cycle=cycle, title="Unmeasured", parent=top, depth=1, progress=None)
    return top


def test_objective_breakdown_is_the_worked_example(objective):
    """docs/architecture.md: (2×0.5 + 1×0.5 + 1×1 + 1×0.2) / 5 = 0.54."""
    breakdown = objective_breakdown(objective)
    rows = {row["label"]: row for row in breakdown.rows}
    assert breakdown.explanation["progress"] == pytest.approx(0.54)
    assert breakdown.stored == 0.54
    assert breakdown.explanation["total_weight"] == 5
    assert rows["Conversion"]["share"] == pytest.approx(0.4)
    assert rows["Conversion"]["kind"] == "Key result"
    assert rows["Payment form"]["kind"] == "Objective"
    assert rows["Unmeasured"]["excluded"] is True
    assert breakdown.explanation["formula"] == "Σ(weight × progress) / Σ weight"


def test_children_left_out_without_rollup(objective):
    Objective.objects.filter(pk=objective.pk).update(rollup_children=False)
    objective.refresh_from_db()
    breakdown = objective_breakdown(objective)
    assert [row["label"] for row in breakdown.rows] == ["Conversion", "Time to pay", "Errors"]
    assert breakdown.explanation["progress"] == pytest.approx(0.625)
    assert "2 cascading objectives left out" in breakdown.note


def test_portfolio_breakdown_uses_root_portfolio_objectives(cycle, product, objective):
    Objective.objects.create(cycle=cycle, title="Second root", weight=Decimal(3), progress=0.1)
    Objective.objects.create(cycle=cycle, title="Product root", product=product, progress=1.0)
    breakdown = portfolio_breakdown(cycle)
    assert [row["label"] for row in breakdown.rows] == ["Top", "Second root"]
    assert breakdown.explanation["progress"] == pytest.approx((0.54 + 0.3) / 4)


def test_product_breakdown_uses_top_level_product_objectives(cycle, product, objective):
    first = Objective.objects.create(
        cycle=cycle,
        title="Under portfolio",
        product=product,
        parent=objective,
        depth=1,
        progress=0.4,
    )
    Objective.objects.create(
        cycle=cycle, title="Nested", product=product, parent=first, depth=2, progress=1.0
    )
    Objective.objects.create(
        cycle=cycle, title="Standalone", product=product, progress=0.8, weight=Decimal(3)
    )
    ProductProgress.objects.create(cycle=cycle, product=product, progress=0.7)
    breakdown = product_breakdown(cycle, product)
    assert sorted(row["label"] for row in breakdown.rows) == ["Standalone", "Under portfolio"]
    assert breakdown.explanation["progress"] == pytest.approx((0.4 + 2.4) / 4)
    assert breakdown.stored == 0.7

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from okrs.models import CheckIn, Cycle, KeyResult, Objective
from okrs.rollup import recompute_cycle
from portfolio.models import Product
from roadmap.models import Alignment, Dependency, RoadmapItem
from roadmap.scale import SIZES
from tests.okrs.test_rollup import numbers

pytestmark = pytest.mark.django_db


def test_seed_scale_small_builds_the_promised_shape():
    call_command("seed_scale", "--size", "small")

    size = SIZES["small"]
    cycle = Cycle.objects.get(portfolio__slug="scale-small")
    assert Product.objects.filter(portfolio=cycle.portfolio).count() == size.products
    assert Objective.objects.filter(cycle=cycle).count() == size.objectives
    assert set(Objective.objects.filter(cycle=cycle).values_list("depth", flat=True)) == {0, 1, 2}
    assert KeyResult.objects.filter(objective__cycle=cycle).count() == size.key_results
    assert CheckIn.objects.count() == size.check_ins
    assert RoadmapItem.objects.count() == size.items
    assert Alignment.objects.count() == size.alignments
    assert Dependency.objects.count() == size.dependencies
    assert RoadmapItem.objects.filter(alignments__isnull=True).exists()
    assert cycle.progress is not None or Cycle.objects.get(pk=cycle.pk).progress is not None

    stored = numbers(cycle)
    recompute_cycle(cycle.pk)
    assert numbers(cycle) == stored


def test_seed_scale_refuses_to_overwrite_a_portfolio():
    call_command("seed_scale", "--size", "small", "--slug", "bench")

    with pytest.raises(CommandError, match="already exists"):
        call_command("seed_scale", "--size", "small", "--slug", "bench")


@pytest.mark.postgres
def test_seed_scale_leaves_the_planner_fresh_statistics():
    call_command("seed_scale", "--size", "small")

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'okrs_checkin'")
        (estimated_rows,) = cursor.fetchone()
    assert estimated_rows >= 0.9 * SIZES["small"].check_ins

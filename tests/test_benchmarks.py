"""The benchmark harness itself: it must count and replay queries correctly."""

import pytest

from benchmarks.harness import measure, percentile
from portfolio.models import Portfolio

pytestmark = pytest.mark.django_db


def test_measure_counts_the_queries_of_one_run_and_replays_them_as_the_floor():
    Portfolio.objects.create(name="Acme", slug="acme")

    result = measure(
        "list",
        "tiny",
        lambda: list(Portfolio.objects.all()) and list(Portfolio.objects.all()),
        runs=3,
    )

    assert result.queries == 2
    assert result.runs == 3
    assert result.floor_ms is not None
    assert result.median_ms >= 0
    assert result.as_dict()["ratio_to_floor"] is not None


def test_percentile_picks_the_nearest_rank():
    assert percentile([5, 1, 3, 2, 4], 0.5) == 3
    assert percentile([5, 1, 3, 2, 4], 0.95) == 5

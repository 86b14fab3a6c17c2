"""`status_condition` is `status_of` in SQL: every row lands in the same status."""

import itertools

import pytest

from okrs.models import KeyResult, Objective
from okrs.progress import Status
from okrs.status import status_condition, status_of
from tests.okrs import builders

pytestmark = pytest.mark.django_db

EXPECTED = 0.5
# Around the thresholds at half-way (off track below 0.2, at risk below 0.35).
PROGRESS = [0.0, 0.19, 0.2, 0.3, 0.34, 0.35, 0.36, 0.5, 0.99, 1.0]
CONFIDENCE = [None, 0, 3, 4, 10]


def test_key_results_land_in_the_same_status_in_sql_as_in_python(cycle):
    objective = builders.objective(cycle)
    # A key result's progress is never null (the database says so).
    for index, (progress, confidence) in enumerate(itertools.product(PROGRESS, CONFIDENCE)):
        key_result = builders.key_result(objective, title=f"KR {index}")
        KeyResult.objects.filter(pk=key_result.pk).update(progress=progress, confidence=confidence)
    rows = KeyResult.objects.filter(objective=objective)

    for status in Status:
        in_sql = set(rows.filter(status_condition(status, EXPECTED)).values_list("pk", flat=True))
        in_python = {
            row.pk for row in rows if status_of(row.progress, EXPECTED, row.confidence) == status
        }
        assert in_sql == in_python, status


def test_objectives_ignore_confidence_and_reach_fields_through_a_prefix(cycle):
    for index, progress in enumerate([None, *PROGRESS]):
        objective = builders.objective(cycle, title=f"Objective {index}")
        Objective.objects.filter(pk=objective.pk).update(progress=progress)
    rows = Objective.objects.filter(cycle=cycle)

    for status in Status:
        in_sql = set(
            rows.filter(status_condition(status, EXPECTED, with_confidence=False)).values_list(
                "pk", flat=True
            )
        )
        assert in_sql == {row.pk for row in rows if status_of(row.progress, EXPECTED) == status}
    through_cycle = status_condition(Status.ACHIEVED, EXPECTED, prefix="objectives__")
    assert cycle.__class__.objects.filter(through_cycle, pk=cycle.pk).exists()

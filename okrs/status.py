"""Status, derived when read (DESIGN.md §5), with the thresholds from settings."""

from datetime import date

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from okrs import progress
from okrs.models import Cycle
from okrs.progress import TOLERANCE, Status


def expected_progress(cycle: Cycle, day: date | None = None) -> float:
    return progress.expected_progress(
        day=day or timezone.localdate(), starts_on=cycle.starts_on, ends_on=cycle.ends_on
    )


def status_of(value: float | None, expected: float, confidence: int | None = None) -> Status:
    return progress.status(
        progress=value,
        expected=expected,
        confidence=confidence,
        at_risk_gap=settings.LODESTAR_AT_RISK_GAP,
        off_track_gap=settings.LODESTAR_OFF_TRACK_GAP,
        low_confidence=settings.LODESTAR_LOW_CONFIDENCE,
    )


def status_condition(
    status: str, expected: float, *, prefix: str = "", with_confidence: bool = True
) -> Q:
    """The rows `status_of` would give `status`, as a database condition: the same
    thresholds on stored `progress` (and `confidence`, for key results), so pages and
    the API filter and count in SQL exactly as they label rows in Python.

    `prefix` reaches the fields through a relation (`"key_results__"`)."""

    def field(lookup: str, value) -> Q:
        return Q(**{f"{prefix}{lookup}": value})

    off_limit = expected - settings.LODESTAR_OFF_TRACK_GAP - TOLERANCE
    risk_limit = expected - settings.LODESTAR_AT_RISK_GAP - TOLERANCE
    low_confidence = (
        field("confidence__lte", settings.LODESTAR_LOW_CONFIDENCE)
        if with_confidence
        else Q(pk__in=[])
    )
    unfinished = field("progress__isnull", False) & field("progress__lt", 1)
    match status:
        case Status.NO_DATA:
            return field("progress__isnull", True)
        case Status.ACHIEVED:
            return field("progress__gte", 1)
        case Status.OFF_TRACK:
            return unfinished & field("progress__lt", off_limit)
        case Status.AT_RISK:
            return (
                unfinished
                & field("progress__gte", off_limit)
                & (field("progress__lt", risk_limit) | low_confidence)
            )
        case _:
            return unfinished & field("progress__gte", risk_limit) & ~low_confidence

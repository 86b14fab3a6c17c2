"""Status, derived when read (DESIGN.md §5), with the thresholds from settings."""

from datetime import date

from django.conf import settings
from django.utils import timezone

from okrs import progress
from okrs.models import Cycle
from okrs.progress import Status


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

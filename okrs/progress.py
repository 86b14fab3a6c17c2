"""Progress math (DESIGN.md §5): the specification of every number Lodestar shows.

Pure functions over plain values: no ORM, no settings, no clock. The SQL roll-up in
`okrs.rollup` evaluates the same rules inside the database, and its tests hold it to
this module; callers pass the thresholds from settings where they differ from the
defaults here.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

Number = Decimal | float | int

AT_RISK_GAP = 0.15
OFF_TRACK_GAP = 0.30
LOW_CONFIDENCE = 3

# Progress is stored with six decimals; a score with one.
PROGRESS_PLACES = Decimal("0.000001")
SCORE_PLACES = Decimal("0.1")

# Status thresholds compare floats such as `0.5 - 0.15`, which is not exactly 0.35;
# the tolerance makes a progress sitting on a threshold land where the rule says.
TOLERANCE = 1e-9


class Measure(StrEnum):
    """The values of `okrs.models.Measure`, without importing Django."""

    INCREASE = "increase"
    DECREASE = "decrease"
    STAY_ABOVE = "stay_above"
    STAY_BELOW = "stay_below"
    MILESTONE = "milestone"


def _measure(measure: str) -> Measure:
    try:
        return Measure(measure)
    except ValueError:
        raise ValueError(f"Unknown measure: {measure!r}") from None


def _finite(value: Number, name: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return number


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    # Written so that NaN lands on `low` rather than leaking out of the range.
    if not value >= low:
        return low
    return min(value, high)


def rounded(value: float | None) -> float | None:
    """Round to the six decimals progress is stored with (half up, like the SQL)."""
    if value is None:
        return None
    # Through the shortest decimal repr, so 0.0000005 rounds up as written, exactly as
    # the database does after casting to numeric.
    return float(Decimal(repr(float(value))).quantize(PROGRESS_PLACES, rounding=ROUND_HALF_UP))


def key_result_progress(
    *, measure: str, start: Number, target: Number, current: Number | None
) -> float:
    """Progress of a key result in [0, 1]; no check-in yet (`current` None) means start."""
    kind = _measure(measure)
    start_value = _finite(start, "start")
    target_value = _finite(target, "target")
    # A forecast may extrapolate to ±inf; only NaN has no meaning.
    current_value = start_value if current is None else float(current)
    if math.isnan(current_value):
        raise ValueError("current must be a number, not NaN")

    match kind:
        case Measure.INCREASE | Measure.DECREASE:
            if target_value == start_value:
                raise ValueError(f"To {kind}, the target must differ from the start value")
            return _clamp((current_value - start_value) / (target_value - start_value))
        case Measure.STAY_ABOVE:
            return 1.0 if current_value >= target_value else 0.0
        case Measure.STAY_BELOW:
            return 1.0 if current_value <= target_value else 0.0
        case Measure.MILESTONE:
            return 1.0 if current_value >= 1 else 0.0
        case _:  # pragma: no cover - _measure() already refused anything else
            raise ValueError(f"Unknown measure: {measure!r}")


def weighted_mean(parts: Iterable[tuple[Number, float | None]]) -> float | None:
    """Σ(weight · progress) / Σ weight over (weight, progress) pairs.

    A part without progress is left out (not counted as 0); a total weight of 0 gives
    None, "no measures yet", never a silent 0.
    """
    weights: list[float] = []
    weighted: list[float] = []
    for weight, progress in parts:
        if progress is None:
            continue
        w = _finite(weight, "weight")
        if w < 0:
            raise ValueError(f"Weight cannot be negative: {weight!r}")
        weights.append(w)
        weighted.append(w * float(progress))
    # fsum is exact, so the result does not depend on the order of the parts.
    total = math.fsum(weights)
    if total == 0:
        return None
    return _clamp(math.fsum(weighted) / total)


def objective_progress(
    *,
    key_results: Iterable[tuple[Number, float]],
    children: Iterable[tuple[Number, float | None]],
    rollup_children: bool = True,
) -> float | None:
    """Weighted mean of the key results and, with `rollup_children`, the child objectives."""
    parts = list(key_results)
    if rollup_children:
        parts.extend(children)
    return weighted_mean(parts)


def expected_progress(*, day: date, starts_on: date, ends_on: date) -> float:
    """How far through the cycle `day` is, in [0, 1]."""
    if isinstance(day, datetime):
        day = day.date()
    length = (ends_on - starts_on).days
    if length <= 0:
        raise ValueError("A cycle must end after it starts")
    return _clamp((day - starts_on).days / length)


class Status(StrEnum):
    NO_DATA = "no_data"
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def rank(self) -> int:
        """Worst first: off_track 0 < at_risk 1 < on_track 2 < achieved 3.

        no_data ranks -1 so that sorting by rank stays possible (ints only) and lists
        ordered worst-first show the unmeasured at the top, where they need attention.
        """
        return _STATUS_RANKS[self]


_STATUS_LABELS = {
    Status.NO_DATA: "No data",
    Status.ACHIEVED: "Achieved",
    Status.ON_TRACK: "On track",
    Status.AT_RISK: "At risk",
    Status.OFF_TRACK: "Off track",
}
_STATUS_RANKS = {
    Status.NO_DATA: -1,
    Status.OFF_TRACK: 0,
    Status.AT_RISK: 1,
    Status.ON_TRACK: 2,
    Status.ACHIEVED: 3,
}


def status(
    *,
    progress: float | None,
    expected: float,
    confidence: int | None = None,
    at_risk_gap: float = AT_RISK_GAP,
    off_track_gap: float = OFF_TRACK_GAP,
    low_confidence: int = LOW_CONFIDENCE,
) -> Status:
    """Status from progress, expected progress and the latest confidence.

    Low confidence can turn on-track into at-risk, but never lifts off-track or
    lowers achieved.
    """
    if progress is None:
        return Status.NO_DATA
    if progress >= 1:
        return Status.ACHIEVED
    if progress < expected - off_track_gap - TOLERANCE:
        return Status.OFF_TRACK
    if progress < expected - at_risk_gap - TOLERANCE:
        return Status.AT_RISK
    if confidence is not None and confidence <= low_confidence:
        return Status.AT_RISK
    return Status.ON_TRACK


def _days_since(moment: datetime, origin: datetime) -> float:
    # A naive datetime is read as UTC so that the result never depends on the
    # machine's local time zone.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - origin).total_seconds() / 86400


def forecast(
    *,
    measure: str,
    start: Number,
    target: Number,
    check_ins: Sequence[tuple[datetime, Number]],
    starts_on: date,
    ends_on: date,
) -> float | None:
    """Projected progress at `ends_on` from a least-squares line through the check-ins.

    `check_ins` are (checked_in_at, value) pairs of the cycle. None with fewer than two
    check-ins or when they all share the same moment (no line to draw).
    """
    _measure(measure)
    if len(check_ins) < 2:
        return None
    origin = datetime.combine(starts_on, time(), tzinfo=UTC)
    points = sorted((_days_since(moment, origin), float(value)) for moment, value in check_ins)
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    if len(set(xs)) < 2:
        return None

    n = len(points)
    mean_x = math.fsum(xs) / n
    mean_y = math.fsum(ys) / n
    spread = math.fsum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    slope = math.fsum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    value_at_end = mean_y + slope * ((ends_on - starts_on).days - mean_x)
    if math.isnan(value_at_end):
        return None
    return rounded(
        key_result_progress(measure=measure, start=start, target=target, current=value_at_end)
    )


def final_score(progress: float | None) -> float | None:
    """The score frozen when a cycle closes: progress rounded half up to 0.1."""
    if progress is None:
        return None
    # Through the decimal repr: the float 0.35 is slightly below 0.35 and would
    # otherwise round down.
    return float(Decimal(repr(float(progress))).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP))


class Grade(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def label(self) -> str:
        return _GRADE_LABELS[self]


_GRADE_LABELS = {Grade.HIGH: "High", Grade.MEDIUM: "Medium", Grade.LOW: "Low"}

HIGH_GRADE = 0.7
MEDIUM_GRADE = 0.4


def grade(score: float | None) -> Grade | None:
    """Band of a final score: high ≥ 0.7, medium 0.4 to 0.69, low < 0.4."""
    if score is None:
        return None
    if score >= HIGH_GRADE:
        return Grade.HIGH
    if score >= MEDIUM_GRADE:
        return Grade.MEDIUM
    return Grade.LOW


WEIGHTED_MEAN_FORMULA = "Σ(weight × progress) / Σ weight"


@dataclass(frozen=True)
class Contribution:
    label: str
    weight: float
    progress: float | None


def explain_weighted_mean(contributions: Sequence[Contribution]) -> dict:
    """The inputs behind a weighted mean, for "explain this number" popovers.

    Each contribution gets its share of the total weight and the points it adds to the
    result (share · progress); those without progress are marked excluded.
    """
    included = [c for c in contributions if c.progress is not None]
    total_weight = math.fsum(float(c.weight) for c in included)
    rows = []
    for contribution in contributions:
        excluded = contribution.progress is None
        share = None if excluded or total_weight == 0 else float(contribution.weight) / total_weight
        rows.append(
            {
                "label": contribution.label,
                "weight": float(contribution.weight),
                "progress": contribution.progress,
                "share": share,
                "points": None if share is None else share * contribution.progress,
                "excluded": excluded,
            }
        )
    return {
        "contributions": rows,
        "total_weight": total_weight,
        "progress": weighted_mean((c.weight, c.progress) for c in contributions),
        "formula": WEIGHTED_MEAN_FORMULA,
    }

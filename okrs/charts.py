"""Geometry for the server-drawn SVG charts (burn-up, key-result history, sparklines).

Templates draw the SVG; this module only maps dates and values to coordinates, so
every chart scales, ticks and labels the same way. No chart library, no inline style.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

Number = float | int | Decimal


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass
class TimeChart:
    """A chart with dates along x and numbers along y, in an SVG viewBox of
    `width` × `height` with `padding` (left, top, right, bottom) for the axes."""

    starts_on: date
    ends_on: date
    low: float
    high: float
    width: int = 640
    height: int = 240
    padding: tuple[int, int, int, int] = field(default=(44, 12, 12, 28))

    def __post_init__(self):
        if self.ends_on <= self.starts_on:
            self.ends_on = self.starts_on + timedelta(days=1)
        if self.high <= self.low:
            self.high = self.low + 1

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def left(self) -> float:
        return self.padding[0]

    @property
    def right(self) -> float:
        return self.width - self.padding[2]

    @property
    def top(self) -> float:
        return self.padding[1]

    @property
    def bottom(self) -> float:
        return self.height - self.padding[3]

    def x(self, day: date) -> float:
        span = (self.ends_on - self.starts_on).days
        share = (day - self.starts_on).days / span
        return round(self.left + share * (self.right - self.left), 2)

    def y(self, value: Number) -> float:
        share = (float(value) - self.low) / (self.high - self.low)
        return round(self.bottom - share * (self.bottom - self.top), 2)

    def path(self, points: Iterable[tuple[date, Number]]) -> str:
        """An SVG path `d` through the points, in date order; empty without points."""
        coordinates = [f"{self.x(day)},{self.y(value)}" for day, value in sorted(points)]
        return "M" + " L".join(coordinates) if coordinates else ""

    def area(self, points: Sequence[tuple[date, Number]]) -> str:
        """The path closed down to the x axis, for a filled area under a line."""
        ordered = sorted(points)
        if not ordered:
            return ""
        first, last = self.x(ordered[0][0]), self.x(ordered[-1][0])
        return f"{self.path(ordered)} L{last},{self.bottom} L{first},{self.bottom} Z"

    def month_ticks(self) -> list[Tick]:
        """One tick at the start of every month in range (and at the first day)."""
        ticks, day = [], self.starts_on
        while day <= self.ends_on:
            if day == self.starts_on or day.day == 1:
                ticks.append(Tick(self.x(day), day.strftime("%-d %b")))
            day += timedelta(days=1)
        return ticks

    def value_ticks(self, count: int = 4, *, percent: bool = False) -> list[Tick]:
        step = (self.high - self.low) / count
        ticks = []
        for index in range(count + 1):
            value = self.low + step * index
            label = f"{round(value * 100)}%" if percent else _compact(value)
            ticks.append(Tick(self.y(value), label))
        return ticks


def _compact(value: float) -> str:
    """12500 → "12.5k", 3000000 → "3M", 0.25 → "0.25"."""
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        return f"{value / 1_000_000:.3g}M"
    if magnitude >= 10_000:
        return f"{value / 1000:.3g}k"
    return f"{value:.4g}"


def sparkline(values: Sequence[Number], *, width: int = 96, height: int = 24) -> str:
    """An SVG path `d` for a tiny line of `values`, evenly spaced; empty under two values."""
    if len(values) < 2:
        return ""
    numbers = [float(value) for value in values]
    low, high = min(numbers), max(numbers)
    spread = (high - low) or 1.0
    step = width / (len(numbers) - 1)
    points = [
        f"{round(index * step, 2)},{round(height - 2 - (value - low) / spread * (height - 4), 2)}"
        for index, value in enumerate(numbers)
    ]
    return "M" + " L".join(points)

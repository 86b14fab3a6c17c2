"""The timeline: dated items as bars on a month grid, grouped by product, as geometry
for the server-drawn SVG in `templates/roadmap/_timeline.html`.

Used by the timeline page and the public share page (`public=True`: no links into the
app). Positions are SVG attributes computed here, never inline styles. A fixed number
of queries whatever the number of items.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from roadmap.board import FINISHED, ends_after_start
from roadmap.models import Alignment, Dependency, RoadmapItem

WIDTH = 1200
GUTTER = 250  # the labels' column
RIGHT = 16
HEADER = 48
GROUP_ROW = 34
ITEM_ROW = 34
BAR_HEIGHT = 20


@dataclass
class Bar:
    item: RoadmapItem
    x: float
    y: float
    width: float
    progress: float | None
    fill_width: float
    blockers: list[RoadmapItem]
    late_blockers: list[RoadmapItem]

    @property
    def mid_y(self) -> float:
        return round(self.y + BAR_HEIGHT / 2, 2)

    @property
    def end_x(self) -> float:
        return round(self.x + self.width, 2)

    @property
    def text_y(self) -> float:
        return round(self.y + BAR_HEIGHT / 2 + 4, 2)

    @property
    def label_x(self) -> float:
        return round(self.x + self.width + 6, 2)


@dataclass
class Group:
    product: object
    y: float
    bars: list[Bar] = field(default_factory=list)

    @property
    def text_y(self) -> float:
        return self.y + 22


@dataclass
class Connector:
    blocker: Bar
    blocked: Bar
    path: str
    late: bool


@dataclass
class Band:
    x: float
    width: float
    label: str
    label_x: float


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _bounds(item: RoadmapItem) -> tuple[date, date] | None:
    start = item.starts_on or item.ends_on
    end = item.ends_on or item.starts_on
    return (start, end) if start else None


def _average_progress(item: RoadmapItem) -> float | None:
    values = [
        a.key_result.progress for a in item.alignments.all() if a.key_result.progress is not None
    ]
    return round(sum(values) / len(values), 4) if values else None


def timeline_items(items: QuerySet) -> QuerySet:
    return (
        items.filter(is_archived=False)
        .select_related("product__portfolio", "owner")
        .prefetch_related(
            Prefetch("alignments", queryset=Alignment.objects.select_related("key_result")),
            Prefetch(
                "blocked_by_links", queryset=Dependency.objects.select_related("blocking_item")
            ),
        )
        .order_by("product__name", "starts_on", "ends_on", "title", "id")
    )


def timeline_context(items_queryset, *, cycle, public=False) -> dict:
    """Bars, grid and connectors for `_timeline.html`.

    `items_queryset`: the items to show (already limited to what the viewer may see);
    `cycle`: shaded on the grid (may be None); `public`: hide links into the app.
    """
    items = list(timeline_items(items_queryset))
    dated = [(item, _bounds(item)) for item in items if _bounds(item)]
    unscheduled = [item for item in items if not _bounds(item)]

    today = timezone.localdate()
    starts = [bounds[0] for _, bounds in dated]
    ends = [bounds[1] for _, bounds in dated]
    if cycle is not None:
        starts.append(cycle.starts_on)
        ends.append(cycle.ends_on)
    first = _quarter_start(min(starts, default=today))
    last = _next_month(max(ends, default=_next_month(first)))
    span = (last - first).days
    plot = WIDTH - GUTTER - RIGHT

    def x(day: date) -> float:
        return round(GUTTER + (day - first).days / span * plot, 2)

    months, quarters, day = [], [], first
    while day < last:
        following = _next_month(day)
        months.append(Band(x(day), round(x(following) - x(day), 2), day.strftime("%b"), x(day) + 6))
        day = following
    day = first
    while day < last:
        following = min(_next_month(_next_month(_next_month(day))), last)
        label = f"Q{(day.month - 1) // 3 + 1} {day.year}"
        quarters.append(Band(x(day), round(x(following) - x(day), 2), label, x(day) + 6))
        day = following

    groups: list[Group] = []
    bars: dict[int, Bar] = {}
    y = HEADER
    for item, (start, end) in dated:
        if not groups or groups[-1].product.pk != item.product_id:
            groups.append(Group(product=item.product, y=y))
            y += GROUP_ROW
        left = x(start)
        width = max(round(x(end + timedelta(days=1)) - left, 2), 6)
        progress = _average_progress(item)
        blockers = [link.blocking_item for link in item.blocked_by_links.all()]
        bar = Bar(
            item=item,
            x=left,
            y=y + (ITEM_ROW - BAR_HEIGHT) / 2,
            width=width,
            progress=progress,
            fill_width=round(width * progress, 2) if progress else 0,
            blockers=blockers,
            late_blockers=[b for b in blockers if ends_after_start(b, item)],
        )
        groups[-1].bars.append(bar)
        bars[item.pk] = bar
        y += ITEM_ROW
    height = max(y + 8, HEADER + 60)

    connectors = []
    for bar in bars.values():
        for blocker in bar.blockers:
            source = bars.get(blocker.pk)
            if source is None:
                continue
            x1, y1, x2, y2 = source.end_x, source.mid_y, bar.x, bar.mid_y
            bend = max(abs(x2 - x1) / 2, 24)
            connectors.append(
                Connector(
                    blocker=source,
                    blocked=bar,
                    path=f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}",
                    late=blocker in bar.late_blockers,
                )
            )
    dependencies = [
        {"item": item, "blockers": [link.blocking_item for link in item.blocked_by_links.all()]}
        for item in items
        if item.blocked_by_links.all()
    ]
    for entry in dependencies:
        entry["late"] = [b for b in entry["blockers"] if ends_after_start(b, entry["item"])]
        entry["open"] = [b for b in entry["blockers"] if b.status not in FINISHED]

    cycle_band = None
    if cycle is not None:
        cycle_x = x(cycle.starts_on)
        cycle_band = Band(
            cycle_x,
            round(x(cycle.ends_on + timedelta(days=1)) - cycle_x, 2),
            cycle.name,
            cycle_x + 6,
        )
    return {
        "timeline_public": public,
        "timeline_width": WIDTH,
        "timeline_height": height,
        "timeline_gutter": GUTTER,
        "timeline_header": HEADER,
        "timeline_bar_height": BAR_HEIGHT,
        "timeline_months": months,
        "timeline_quarters": quarters,
        "timeline_groups": groups,
        "timeline_connectors": connectors,
        "timeline_cycle": cycle_band,
        "timeline_cycle_obj": cycle,
        "timeline_today_x": x(today) if first <= today < last else None,
        "timeline_unscheduled": unscheduled,
        "timeline_dependencies": dependencies,
        "timeline_item_count": len(items),
        "timeline_first": first,
        "timeline_last": last - timedelta(days=1),
    }

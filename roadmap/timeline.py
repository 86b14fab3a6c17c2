"""The timeline: dated items as bars on a month grid, one lane per product, as geometry
for the server-drawn SVG in `templates/roadmap/_timeline.html`.

Used by the timeline page, its lazily loaded lanes and the public share page
(`public=True`: no links into the app). Positions are SVG attributes computed here,
never inline styles.

A portfolio can hold 10,000 dated items, far more than a person reads or a page can
draw quickly, so every product gets a summary row from SQL aggregates (item counts,
date span, counts by status, late dependencies) and bars are drawn only for the
products that fit `EXPAND_BUDGET`, `LANE_SIZE` bars at a time. The other lanes load
on demand. Whatever the number of items, the work is a fixed number of queries (five)
and at most `EXPAND_BUDGET + LANE_SIZE` bars.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from portfolio.models import Product
from roadmap.board import FINISHED, ends_after_start
from roadmap.models import Alignment, Dependency, ItemStatus, RoadmapItem

WIDTH = 1200
GUTTER = 250  # the labels' column
RIGHT = 16
HEADER = 60
ITEM_ROW = 34
BAR_HEIGHT = 20
PAD = 6  # above the first and below the last bar of a lane

LANE_SIZE = 40  # bars per lane at a time ("Show 40 more")
EXPAND_BUDGET = 40  # lanes open by default until this many bars are drawn
UNSCHEDULED_SHOWN = 10  # undated items listed per open lane

UNFINISHED = [status for status in ItemStatus.values if status not in FINISHED]
DATED = Q(starts_on__isnull=False) | Q(ends_on__isnull=False)
FIRST_DAY = Coalesce("starts_on", "ends_on")
LAST_DAY = Coalesce("ends_on", "starts_on")


@dataclass
class Band:
    x: float
    width: float
    label: str
    label_x: float


@dataclass
class Axis:
    """The shared time scale: every lane of a page, and every lane it loads later,
    is drawn on the same one, so bars line up across lanes."""

    first: date
    end: date  # exclusive
    months: list[Band]
    quarters: list[Band]
    cycle: Band | None
    today_x: float | None

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    def x(self, day: date) -> float:
        return _x(day, self.first, (self.end - self.first).days)


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
    # Blockers drawn in another chunk or not drawn at all: listed in words instead.
    blockers_elsewhere: list[RoadmapItem] = field(default_factory=list)

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
class Connector:
    blocker: Bar
    blocked: Bar
    path: str
    late: bool


@dataclass
class Chunk:
    """One SVG of consecutive bars of a lane; dependency lines stay inside it."""

    page: int
    bars: list[Bar]
    connectors: list[Connector]
    height: float

    @property
    def waiting(self) -> list[Bar]:
        return [bar for bar in self.bars if bar.blockers_elsewhere]


@dataclass
class StatusCount:
    status: str
    label: str
    count: int


@dataclass
class Lane:
    """A product's row: its summary always, its bars when open."""

    product: Product
    item_count: int
    dated_count: int
    first: date | None
    last: date | None
    statuses: list[StatusCount]
    late_count: int
    open: bool = False
    page: int = 1  # the last chunk shown
    chunks: list[Chunk] = field(default_factory=list)
    unscheduled: list[RoadmapItem] = field(default_factory=list)

    @property
    def unscheduled_count(self) -> int:
        return self.item_count - self.dated_count

    @property
    def unscheduled_hidden(self) -> int:
        return self.unscheduled_count - len(self.unscheduled)

    @property
    def drawn_count(self) -> int:
        return min(self.page * LANE_SIZE, self.dated_count)

    @property
    def remaining(self) -> int:
        return self.dated_count - self.drawn_count

    @property
    def next_count(self) -> int:
        return min(LANE_SIZE, self.remaining)

    @property
    def next_page(self) -> int:
        return self.page + 1


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _x(day: date, first: date, span: int) -> float:
    return round(GUTTER + (day - first).days / span * (WIDTH - GUTTER - RIGHT), 2)


def _bounds(item: RoadmapItem) -> tuple[date, date] | None:
    start = item.starts_on or item.ends_on
    end = item.ends_on or item.starts_on
    return (start, end) if start else None


def _average_progress(item: RoadmapItem) -> float | None:
    values = [
        a.key_result.progress for a in item.alignments.all() if a.key_result.progress is not None
    ]
    return round(sum(values) / len(values), 4) if values else None


def timeline_axis(lanes: list[Lane], cycle) -> Axis:
    """Quarters and months from the first quarter with work to the month after the last
    day of work (the cycle included)."""
    today = timezone.localdate()
    starts = [lane.first for lane in lanes if lane.first]
    ends = [lane.last for lane in lanes if lane.last]
    if cycle is not None:
        starts.append(cycle.starts_on)
        ends.append(cycle.ends_on)
    first = _quarter_start(min(starts, default=today))
    end = _next_month(max(ends, default=_next_month(first)))
    span = (end - first).days

    def x(day: date) -> float:
        return _x(day, first, span)

    months, quarters, day = [], [], first
    while day < end:
        following = _next_month(day)
        months.append(Band(x(day), round(x(following) - x(day), 2), day.strftime("%b"), x(day) + 6))
        day = following
    day = first
    while day < end:
        following = min(_next_month(_next_month(_next_month(day))), end)
        label = f"Q{(day.month - 1) // 3 + 1} {day.year}"
        quarters.append(Band(x(day), round(x(following) - x(day), 2), label, x(day) + 6))
        day = following
    cycle_band = None
    if cycle is not None:
        cycle_x = x(cycle.starts_on)
        cycle_band = Band(
            cycle_x,
            round(x(cycle.ends_on + timedelta(days=1)) - cycle_x, 2),
            cycle.name,
            cycle_x + 6,
        )
    return Axis(
        first=first,
        end=end,
        months=months,
        quarters=quarters,
        cycle=cycle_band,
        today_x=x(today) if first <= today < end else None,
    )


def product_lanes(items: QuerySet) -> list[Lane]:
    """One closed lane per product that has live items, by product name: two GROUP BY
    queries (items; late dependencies)."""
    live = items.filter(is_archived=False)
    statuses = ItemStatus.choices
    rows = (
        live.values("product_id")
        .annotate(
            name=Max("product__name"),
            slug=Max("product__slug"),
            item_count=Count("id"),
            dated_count=Count("id", filter=DATED),
            first=Min(FIRST_DAY),
            last=Max(LAST_DAY),
            **{f"status_{value}": Count("id", filter=Q(status=value)) for value, _ in statuses},
        )
        .order_by("name", "product_id")
    )
    # Late as in roadmap.board.ends_after_start: an unfinished blocker planned to end
    # after the blocked item starts. One filter() call, so both conditions hold for
    # the same dependency row.
    late = dict(
        live.filter(
            blocked_by_links__blocking_item__ends_on__gt=F("starts_on"),
            blocked_by_links__blocking_item__status__in=UNFINISHED,
        )
        .values("product_id")
        .annotate(count=Count("blocked_by_links"))
        .values_list("product_id", "count")
        .order_by()
    )
    return [
        Lane(
            product=Product(id=row["product_id"], name=row["name"], slug=row["slug"]),
            item_count=row["item_count"],
            dated_count=row["dated_count"],
            first=row["first"],
            last=row["last"],
            statuses=[
                StatusCount(value, label, row[f"status_{value}"])
                for value, label in statuses
                if row[f"status_{value}"]
            ],
            late_count=late.get(row["product_id"], 0),
        )
        for row in rows
    ]


def lane_items(items: QuerySet, product_ids, *, after: int, upto: int) -> list[RoadmapItem]:
    """Per product, its dated items ranked `after` < rank ≤ `upto` in date order, and (on
    the first chunk only) its first undated items by title: one query, two prefetches."""
    live = items.filter(is_archived=False, product_id__in=list(product_ids))
    dated_flag = Case(When(DATED, then=Value(1)), default=Value(0), output_field=IntegerField())
    ranked = live.annotate(
        dated=dated_flag,
        rank=Window(
            RowNumber(),
            partition_by=[F("product_id"), dated_flag],
            order_by=[FIRST_DAY.asc(), LAST_DAY.asc(), F("title").asc(), F("id").asc()],
        ),
    )
    undated_upto = UNSCHEDULED_SHOWN if after == 0 else 0
    # One conjunctive window filter: with an OR, Django would also move the product
    # filter outside the window and rank every item of the portfolio.
    chosen = ranked.filter(
        rank__gt=Case(When(dated=1, then=Value(after)), default=Value(0)),
        rank__lte=Case(When(dated=1, then=Value(upto)), default=Value(undated_upto)),
    )
    return list(
        chosen.select_related("owner")
        .prefetch_related(
            Prefetch("alignments", queryset=Alignment.objects.select_related("key_result")),
            Prefetch(
                "blocked_by_links",
                queryset=Dependency.objects.select_related("blocking_item__product").order_by(
                    "blocking_item__title", "blocking_item_id"
                ),
            ),
        )
        .order_by("product_id", "rank")
    )


def _chunk(page: int, items: list[RoadmapItem], axis: Axis) -> Chunk:
    bars: dict[int, Bar] = {}
    y = PAD
    for item in items:
        start, end = _bounds(item)
        left = axis.x(start)
        width = max(round(axis.x(end + timedelta(days=1)) - left, 2), 6)
        progress = _average_progress(item)
        blockers = [link.blocking_item for link in item.blocked_by_links.all()]
        bars[item.pk] = Bar(
            item=item,
            x=left,
            y=y + (ITEM_ROW - BAR_HEIGHT) / 2,
            width=width,
            progress=progress,
            fill_width=round(width * progress, 2) if progress else 0,
            blockers=blockers,
            late_blockers=[b for b in blockers if ends_after_start(b, item)],
        )
        y += ITEM_ROW
    connectors = []
    for bar in bars.values():
        for blocker in bar.blockers:
            source = bars.get(blocker.pk)
            if source is None:
                bar.blockers_elsewhere.append(blocker)
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
    return Chunk(page=page, bars=list(bars.values()), connectors=connectors, height=y + PAD)


def _fill(lanes: list[Lane], items: QuerySet, axis: Axis, *, page: int, only_page: bool):
    """Draw the open lanes: bars up to `page` chunks (or chunk `page` alone)."""
    open_lanes = {lane.product.pk: lane for lane in lanes if lane.open}
    if not open_lanes:
        return
    after = (page - 1) * LANE_SIZE if only_page else 0
    by_product: dict[int, list[RoadmapItem]] = {pk: [] for pk in open_lanes}
    for item in lane_items(items, open_lanes, after=after, upto=page * LANE_SIZE):
        by_product[item.product_id].append(item)
    for pk, lane in open_lanes.items():
        lane.page = page
        dated = [item for item in by_product[pk] if _bounds(item)]
        lane.unscheduled = [item for item in by_product[pk] if not _bounds(item)]
        if dated:
            lane.chunks = [_chunk(page if only_page else 1, dated, axis)]


def timeline_context(items_queryset, *, cycle, public=False, product=None, page=1) -> dict:
    """Axis, lanes and bars for `_timeline.html`.

    `items_queryset`: the items the viewer may see (the axis spans all of them);
    `cycle`: shaded on the grid (may be None); `public`: no links into the app;
    `product`: show only that product's lane, open; `page`: with `product`, draw its
    first `page` × LANE_SIZE bars. Without `product`, lanes open in name order until
    EXPAND_BUDGET bars are drawn.
    """
    lanes = product_lanes(items_queryset)
    axis = timeline_axis(lanes, cycle)
    if product is not None:
        lanes = [lane for lane in lanes if lane.product.pk == product.pk]
    budget = EXPAND_BUDGET
    for lane in lanes:
        if product is not None or budget > 0:
            lane.open = True
            budget -= min(lane.dated_count, LANE_SIZE)
    _fill(lanes, items_queryset, axis, page=max(page, 1) if product else 1, only_page=False)
    return _context(axis, lanes, public=public, cycle=cycle)


def timeline_lane_context(items_queryset, product, *, cycle, page=1, public=False) -> dict:
    """One product's lane, open (`page` 1), or only its chunk `page` (later pages), on
    the axis of all of `items_queryset`: what a lane's "Show items" / "Show more"
    loads."""
    lanes = product_lanes(items_queryset)
    axis = timeline_axis(lanes, cycle)
    lane = next((lane for lane in lanes if lane.product.pk == product.pk), None)
    if lane is None:  # no live item: an empty, open lane
        lane = Lane(product, 0, 0, None, None, [], 0)
    lane.open = True
    _fill([lane], items_queryset, axis, page=max(page, 1), only_page=True)
    context = _context(axis, [lane], public=public, cycle=cycle)
    context["lane"] = lane
    context["chunk"] = lane.chunks[0] if lane.chunks else None
    return context


def _context(axis: Axis, lanes: list[Lane], *, public: bool, cycle) -> dict:
    return {
        "timeline_public": public,
        "timeline_width": WIDTH,
        "timeline_gutter": GUTTER,
        "timeline_header": HEADER,
        "timeline_bar_height": BAR_HEIGHT,
        "timeline_lane_size": LANE_SIZE,
        "timeline_axis": axis,
        "timeline_months": axis.months,
        "timeline_quarters": axis.quarters,
        "timeline_cycle": axis.cycle,
        "timeline_cycle_obj": cycle,
        "timeline_today_x": axis.today_x,
        "timeline_first": axis.first,
        "timeline_last": axis.last,
        "timeline_lanes": lanes,
        "timeline_item_count": sum(lane.item_count for lane in lanes),
        "timeline_dated_count": sum(lane.dated_count for lane in lanes),
        "timeline_closed_count": sum(1 for lane in lanes if not lane.open),
    }

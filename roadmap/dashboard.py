"""Reads for the portfolio dashboard (/p/<slug>/): stored roll-ups only.

Everything a dashboard shows comes from cached numbers (`Cycle.progress`,
`Objective.progress`, `KeyResult.progress`, `ProductProgress`, `ProgressSnapshot`); the
statuses are derived when read. The query count does not depend on the size of the
portfolio: the objective tree is two queries, everything else one query each.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from okrs.charts import TimeChart
from okrs.models import CheckIn, Cycle, ProductProgress, ProgressSnapshot, SnapshotScope
from okrs.numbers import metric
from okrs.progress import Status, weighted_mean
from okrs.selectors import objective_tree
from okrs.status import expected_progress, status_of
from portfolio.models import Portfolio, Product
from roadmap.models import Alignment, Horizon, RoadmapItem, RoadmapItemChange

STALE_AFTER = timedelta(days=14)
ACTIVITY_LIMIT = 15
ATTENTION_STATUSES = (Status.OFF_TRACK, Status.AT_RISK)


@dataclass
class ObjectiveSummary:
    objective: object
    status: Status
    forecast: float | None
    at_risk: int = 0
    off_track: int = 0


@dataclass
class ProductSummary:
    product: Product
    progress: float | None
    status: Status


@dataclass
class Attention:
    kind: str  # "off_track", "at_risk", "stale", "unaligned"
    title: str
    detail: str
    key_result: object = None
    item: object = None


@dataclass
class Activity:
    kind: str  # "check_in", "alignment", "change"
    at: datetime
    actor: object
    verb: str
    subject: str
    detail: str
    key_result_id: int | None = None


@dataclass
class BurnUp:
    chart: TimeChart
    progress_path: str
    progress_area: str
    expected_path: str
    today_x: float | None
    last_point: tuple[float, float] | None
    month_ticks: list = field(default_factory=list)
    value_ticks: list = field(default_factory=list)
    has_history: bool = False


def burn_up(cycle: Cycle, today: date | None = None) -> BurnUp:
    """The portfolio's burn-up: stored daily snapshots against the straight expected line."""
    today = today or timezone.localdate()
    chart = TimeChart(starts_on=cycle.starts_on, ends_on=cycle.ends_on, low=0.0, high=1.0)
    points = [
        (day, value)
        for day, value in ProgressSnapshot.objects.filter(
            cycle=cycle, scope=SnapshotScope.PORTFOLIO, scope_id=cycle.portfolio_id
        )
        .order_by("day")
        .values_list("day", "progress")
        if value is not None and cycle.starts_on <= day <= cycle.ends_on
    ]
    last = points[-1] if points else None
    return BurnUp(
        chart=chart,
        progress_path=chart.path(points),
        progress_area=chart.area(points),
        expected_path=chart.path([(cycle.starts_on, 0), (cycle.ends_on, 1)]),
        today_x=chart.x(today) if cycle.starts_on <= today <= cycle.ends_on else None,
        last_point=(chart.x(last[0]), chart.y(last[1])) if last else None,
        month_ticks=chart.month_ticks(),
        value_ticks=chart.value_ticks(4, percent=True),
        has_history=len(points) >= 1,
    )


def _subtree_forecast(node_kr, node_children, rollup_children) -> float | None:
    return weighted_mean(
        [(kr.weight, kr.forecast) for kr in node_kr]
        + ([(child.weight, f) for child, f in node_children] if rollup_children else [])
    )


def dashboard_okrs(cycle: Cycle, now: datetime | None = None) -> dict:
    """Portfolio objectives with their at-risk/off-track key results beneath them, and
    the key results that need attention. Two queries (the objective tree)."""
    now = now or timezone.now()
    expected = expected_progress(cycle)
    objectives = list(objective_tree(cycle))
    children: dict[int | None, list] = {}
    for objective in objectives:
        children.setdefault(objective.parent_id, []).append(objective)

    kr_status = {}
    attention: list[Attention] = []
    stale: list[Attention] = []
    for objective in objectives:
        for kr in objective.key_results.all():
            status = status_of(kr.progress, expected, kr.confidence)
            kr_status[kr.pk] = status
            if status in ATTENTION_STATUSES:
                attention.append(
                    Attention(
                        kind=status.value,
                        title=kr.title,
                        detail=f"{status.label} · {objective.title}",
                        key_result=kr,
                    )
                )
            if kr.last_checked_in_at is None or kr.last_checked_in_at < now - STALE_AFTER:
                since = (
                    f"last check-in {kr.last_checked_in_at:%-d %b}"
                    if kr.last_checked_in_at
                    else "never checked in"
                )
                stale.append(
                    Attention(
                        kind="stale",
                        title=kr.title,
                        detail=f"No check-in for 14 days ({since}) · {objective.title}",
                        key_result=kr,
                    )
                )
    attention.sort(key=lambda a: (a.kind != Status.OFF_TRACK, a.title))

    # Forecast of an objective: the weighted mean of its key results' stored forecasts
    # (and its children's, as progress rolls up), read from stored values only.
    forecasts: dict[int, float | None] = {}
    for objective in sorted(objectives, key=lambda o: -o.depth):
        forecasts[objective.pk] = _subtree_forecast(
            objective.key_results.all(),
            [(child, forecasts[child.pk]) for child in children.get(objective.pk, [])],
            objective.rollup_children,
        )

    def count_beneath(objective) -> tuple[int, int]:
        at_risk = off_track = 0
        stack = [objective]
        while stack:
            current = stack.pop()
            for kr in current.key_results.all():
                at_risk += kr_status[kr.pk] == Status.AT_RISK
                off_track += kr_status[kr.pk] == Status.OFF_TRACK
            stack.extend(children.get(current.pk, []))
        return at_risk, off_track

    summaries = []
    for objective in children.get(None, []):
        if not objective.is_portfolio_level:
            continue
        at_risk, off_track = count_beneath(objective)
        summaries.append(
            ObjectiveSummary(
                objective=objective,
                status=status_of(objective.progress, expected),
                forecast=forecasts[objective.pk],
                at_risk=at_risk,
                off_track=off_track,
            )
        )
    return {"objectives": summaries, "attention": attention + stale, "expected": expected}


def dashboard_products(portfolio: Portfolio, cycle: Cycle) -> list[ProductSummary]:
    """Each active product with its stored progress in the cycle. One query."""
    expected = expected_progress(cycle)
    progress = dict(
        ProductProgress.objects.filter(cycle=cycle).values_list("product_id", "progress")
    )
    products = (
        Product.objects.in_portfolio(portfolio).active().select_related("owner").order_by("name")
    )
    return [
        ProductSummary(p, progress.get(p.pk), status_of(progress.get(p.pk), expected))
        for p in products
    ]


def unaligned_items_now(portfolio: Portfolio) -> list[Attention]:
    items = (
        RoadmapItem.objects.in_portfolio(portfolio)
        .active()
        .in_horizon(Horizon.NOW)
        .unaligned()
        .select_related("product")
        .order_by("product__name", "position", "id")
    )
    return [
        Attention(
            kind="unaligned",
            title=item.title,
            detail=f"{item.product.name} · in Now, aligned to no key result",
            item=item,
        )
        for item in items
    ]


def recent_activity(
    portfolio: Portfolio, cycle: Cycle, limit: int = ACTIVITY_LIMIT
) -> list[Activity]:
    """Check-ins, alignments and roadmap status/horizon changes, newest first. Three queries."""
    check_ins = (
        CheckIn.objects.filter(key_result__objective__cycle=cycle)
        .select_related("author", "key_result")
        .order_by("-checked_in_at", "-id")[:limit]
    )
    alignments = (
        Alignment.objects.filter(item__product__portfolio=portfolio)
        .select_related("created_by", "item", "key_result")
        .order_by("-created_at", "-id")[:limit]
    )
    changes = (
        RoadmapItemChange.objects.filter(item__product__portfolio=portfolio)
        .select_related("actor", "item")
        .order_by("-changed_at", "-id")[:limit]
    )
    unit = lambda kr: f" {kr.unit}" if kr.unit and kr.unit != "%" else (kr.unit or "")  # noqa: E731
    rows = [
        Activity(
            kind="check_in",
            at=c.checked_in_at,
            actor=c.author,
            verb="checked in",
            subject=c.key_result.title,
            detail=f"{metric(c.value)}{unit(c.key_result)}"
            + (f" · confidence {c.confidence}/10" if c.confidence is not None else ""),
            key_result_id=c.key_result_id,
        )
        for c in check_ins
    ]
    rows += [
        Activity(
            kind="alignment",
            at=a.created_at,
            actor=a.created_by,
            verb="aligned",
            subject=a.item.title,
            detail=f"to “{a.key_result.title}”",
            key_result_id=a.key_result_id,
        )
        for a in alignments
    ]
    labels = {
        "status": dict(RoadmapItem._meta.get_field("status").choices),
        "horizon": dict(RoadmapItem._meta.get_field("horizon").choices),
    }
    rows += [
        Activity(
            kind="change",
            at=ch.changed_at,
            actor=ch.actor,
            verb="moved" if ch.field == "horizon" else "changed the status of",
            subject=ch.item.title,
            detail=f"{labels[ch.field].get(ch.before, ch.before)}"
            f" → {labels[ch.field].get(ch.after, ch.after)}",
        )
        for ch in changes
    ]
    rows.sort(key=lambda row: row.at, reverse=True)
    return rows[:limit]


def dashboard_context(portfolio: Portfolio, cycle: Cycle | None) -> dict:
    if cycle is None:
        return {"has_cycle": False}
    okrs = dashboard_okrs(cycle)
    expected = okrs["expected"]
    return {
        "has_cycle": True,
        "expected": expected,
        "portfolio_progress": cycle.progress,
        "portfolio_status": status_of(cycle.progress, expected),
        "burn_up": burn_up(cycle),
        "objectives": okrs["objectives"],
        "products": dashboard_products(portfolio, cycle),
        "attention": okrs["attention"] + unaligned_items_now(portfolio),
        "activity": recent_activity(portfolio, cycle),
    }

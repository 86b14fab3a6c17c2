"""Reads for the portfolio dashboard (/p/<slug>/): stored roll-ups only.

Everything a dashboard shows comes from cached numbers (`Cycle.progress`,
`Objective.progress`, `KeyResult.progress`, `ProductProgress`, `ProgressSnapshot`); the
statuses are derived when read. The database does the counting: one GROUP BY gives
every objective with its key results' forecast sums and at-risk, off-track and stale
counts, so Python walks 500 small rows instead of 2,500 key results. Lists that grow
with the portfolio (needs attention, recent activity) show their first entries with
the count of the rest, and more on request (`?attention=40`, `?activity=30`).

Queries, whatever the size of the portfolio: objectives (1), burn-up (1), products
(1), needs attention (2) and recent activity (3).
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from okrs.charts import TimeChart
from okrs.models import (
    CheckIn,
    Cycle,
    KeyResult,
    Objective,
    ProductProgress,
    ProgressSnapshot,
    SnapshotScope,
)
from okrs.numbers import metric
from okrs.progress import Status, weighted_mean
from okrs.status import expected_progress, status_condition, status_of
from portfolio.models import Portfolio, Product
from roadmap.models import Alignment, Horizon, RoadmapItem, RoadmapItemChange

STALE_AFTER = timedelta(days=14)
ATTENTION_STEP = 20
ACTIVITY_STEP = 15
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class ObjectiveSummary:
    pk: int
    title: str
    progress: float | None
    owner_name: str | None
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
    key_result_id: int | None = None
    item_id: int | None = None


@dataclass
class AttentionList:
    """The first `len(entries)` of `total` entries: risky key results (off track first,
    then at risk, by title), then stale key results (in tree order), then unaligned work."""

    entries: list[Attention]
    total: int
    off_track: int = 0
    at_risk: int = 0
    stale: int = 0
    unaligned: int = 0

    @property
    def hidden(self) -> int:
        return self.total - len(self.entries)


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


@dataclass(frozen=True)
class KeyResultConditions:
    """Off track, at risk (`okrs.status.status_condition`, the thresholds of
    `status_of` in SQL) and stale, as conditions on key results (through `prefix`)."""

    off_track: Q
    at_risk: Q
    stale: Q

    @classmethod
    def build(cls, expected: float, now: datetime, prefix: str = "") -> "KeyResultConditions":
        return cls(
            off_track=status_condition(Status.OFF_TRACK, expected, prefix=prefix),
            at_risk=status_condition(Status.AT_RISK, expected, prefix=prefix),
            stale=Q(**{f"{prefix}last_checked_in_at__isnull": True})
            | Q(**{f"{prefix}last_checked_in_at__lt": now - STALE_AFTER}),
        )


def objective_rows(cycle: Cycle, expected: float, now: datetime) -> list[dict]:
    """Every objective of the cycle (parents first) with, from its own key results, the
    weight and weighted sum of stored forecasts, the off-track, at-risk and stale
    counts and the latest check-in. One GROUP BY query."""
    conditions = KeyResultConditions.build(expected, now, prefix="key_results__")
    with_forecast = Q(key_results__forecast__isnull=False)
    return list(
        Objective.objects.in_cycle(cycle)
        .values(
            "id",
            "parent_id",
            "depth",
            "weight",
            "rollup_children",
            "product_id",
            "title",
            "progress",
            "owner_id",
            "owner__display_name",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
        )
        .annotate(
            forecast_weight=Sum("key_results__weight", filter=with_forecast),
            forecast_sum=Sum(
                ExpressionWrapper(
                    F("key_results__weight") * F("key_results__forecast"),
                    output_field=FloatField(),
                ),
                filter=with_forecast,
            ),
            off_track=Count("key_results", filter=conditions.off_track),
            at_risk=Count("key_results", filter=conditions.at_risk),
            stale=Count("key_results", filter=conditions.stale),
            last_check_in=Max("key_results__last_checked_in_at"),
        )
        .order_by("depth", "position", "id")
    )


def _owner_name(row: dict) -> str | None:
    if row["owner_id"] is None:
        return None
    return get_user_model()(
        display_name=row["owner__display_name"],
        first_name=row["owner__first_name"],
        last_name=row["owner__last_name"],
        username=row["owner__username"],
    ).name


def objective_summaries(rows: list[dict], expected: float) -> list[ObjectiveSummary]:
    """The portfolio-level root objectives, each with the forecast of its subtree (the
    weighted mean of stored forecasts, rolled up like progress) and the at-risk and
    off-track key results anywhere beneath it."""
    children: dict[int | None, list[dict]] = {}
    for row in rows:
        children.setdefault(row["parent_id"], []).append(row)

    forecasts: dict[int, float | None] = {}
    beneath: dict[int, tuple[int, int]] = {}
    for row in sorted(rows, key=lambda r: -r["depth"]):
        weight = float(row["forecast_weight"] or 0)
        parts = [(weight, row["forecast_sum"] / weight)] if weight else []
        at_risk, off_track = row["at_risk"], row["off_track"]
        for child in children.get(row["id"], []):
            if row["rollup_children"]:
                parts.append((child["weight"], forecasts[child["id"]]))
            at_risk += beneath[child["id"]][0]
            off_track += beneath[child["id"]][1]
        forecasts[row["id"]] = weighted_mean(parts)
        beneath[row["id"]] = (at_risk, off_track)

    return [
        ObjectiveSummary(
            pk=row["id"],
            title=row["title"],
            progress=row["progress"],
            owner_name=_owner_name(row),
            status=status_of(row["progress"], expected),
            forecast=forecasts[row["id"]],
            at_risk=beneath[row["id"]][0],
            off_track=beneath[row["id"]][1],
        )
        for row in children.get(None, [])
        if row["product_id"] is None
    ]


def attention_key_results(
    cycle: Cycle, conditions: KeyResultConditions, *, risky: int, stale: int
) -> list[dict]:
    """The first `risky` off-track or at-risk key results (off track first, then by
    title) and the first `stale` ones without a recent check-in (in tree order). One
    query; a key result may be in both lists."""
    is_risky = conditions.off_track | conditions.at_risk
    tree_order = [
        F("objective__depth").asc(),
        F("objective__position").asc(),
        F("objective_id").asc(),
        F("position").asc(),
        F("id").asc(),
    ]
    off_first = Case(When(conditions.off_track, then=Value(0)), default=Value(1))
    return list(
        KeyResult.objects.in_cycle(cycle)
        .filter(is_risky | conditions.stale)
        .annotate(
            is_risky=ExpressionWrapper(is_risky, output_field=BooleanField()),
            is_off_track=ExpressionWrapper(conditions.off_track, output_field=BooleanField()),
            is_stale=ExpressionWrapper(conditions.stale, output_field=BooleanField()),
            risky_rank=Window(
                RowNumber(),
                partition_by=[ExpressionWrapper(is_risky, output_field=BooleanField())],
                order_by=[off_first.asc(), F("title").asc(), *tree_order],
            ),
            stale_rank=Window(
                RowNumber(),
                partition_by=[ExpressionWrapper(conditions.stale, output_field=BooleanField())],
                order_by=tree_order,
            ),
        )
        .filter(Q(is_risky=True, risky_rank__lte=risky) | Q(is_stale=True, stale_rank__lte=stale))
        .values(
            "id",
            "title",
            "last_checked_in_at",
            "objective__title",
            "is_risky",
            "is_off_track",
            "is_stale",
            "risky_rank",
            "stale_rank",
        )
    )


def unaligned_items_now(portfolio: Portfolio, limit: int) -> tuple[list[Attention], int]:
    """The first `limit` active items in Now aligned to no key result, and how many
    there are. One query (the count is a window over the same rows)."""
    rows = list(
        RoadmapItem.objects.in_portfolio(portfolio)
        .active()
        .in_horizon(Horizon.NOW)
        .unaligned()
        .annotate(total=Window(Count("id")))
        .order_by("product__name", "position", "id")
        .values("id", "title", "product__name", "total")[: max(limit, 1)]
    )
    entries = [
        Attention(
            kind="unaligned",
            title=row["title"],
            detail=f"{row['product__name']} · in Now, aligned to no key result",
            item_id=row["id"],
        )
        for row in rows[:limit]
    ]
    return entries, rows[0]["total"] if rows else 0


def needs_attention(
    portfolio: Portfolio,
    cycle: Cycle,
    rows: list[dict],
    conditions: KeyResultConditions,
    shown: int,
) -> AttentionList:
    """The first `shown` entries of what needs attention, with the count of all of them.
    The counts come from `objective_rows`; two queries fetch only the entries shown."""
    off_track = sum(row["off_track"] for row in rows)
    at_risk = sum(row["at_risk"] for row in rows)
    stale_count = sum(row["stale"] for row in rows)
    risky_count = off_track + at_risk
    risky_shown = min(shown, risky_count)
    stale_shown = min(shown - risky_shown, stale_count)
    unaligned_shown = shown - risky_shown - stale_shown

    risky, stale = [], []
    for kr in attention_key_results(cycle, conditions, risky=risky_shown, stale=stale_shown):
        if kr["is_risky"] and kr["risky_rank"] <= risky_shown:
            status = Status.OFF_TRACK if kr["is_off_track"] else Status.AT_RISK
            risky.append(
                (
                    kr["risky_rank"],
                    Attention(
                        kind=status.value,
                        title=kr["title"],
                        detail=f"{status.label} · {kr['objective__title']}",
                        key_result_id=kr["id"],
                    ),
                )
            )
        if kr["is_stale"] and kr["stale_rank"] <= stale_shown:
            last = kr["last_checked_in_at"]
            since = f"last check-in {last:%-d %b}" if last else "never checked in"
            stale.append(
                (
                    kr["stale_rank"],
                    Attention(
                        kind="stale",
                        title=kr["title"],
                        detail=f"No check-in for 14 days ({since}) · {kr['objective__title']}",
                        key_result_id=kr["id"],
                    ),
                )
            )
    unaligned, unaligned_count = unaligned_items_now(portfolio, unaligned_shown)
    entries = [entry for _, entry in sorted(risky, key=lambda pair: pair[0])]
    entries += [entry for _, entry in sorted(stale, key=lambda pair: pair[0])]
    return AttentionList(
        entries=entries + unaligned,
        total=risky_count + stale_count + unaligned_count,
        off_track=off_track,
        at_risk=at_risk,
        stale=stale_count,
        unaligned=unaligned_count,
    )


def portfolio_products(portfolio: Portfolio, cycle: Cycle) -> list[Product]:
    """Every product of the portfolio, archived too (activity on their items still
    counts), with its stored progress in the cycle as `stored_progress`. One query."""
    stored = ProductProgress.objects.filter(cycle=cycle, product=OuterRef("pk"))
    return list(
        Product.objects.in_portfolio(portfolio)
        .select_related("owner")
        .annotate(stored_progress=Subquery(stored.values("progress")[:1]))
        .order_by("name")
    )


def dashboard_products(products: list[Product], cycle: Cycle) -> list[ProductSummary]:
    """Each active product with its stored progress in the cycle."""
    expected = expected_progress(cycle)
    return [
        ProductSummary(p, p.stored_progress, status_of(p.stored_progress, expected))
        for p in products
        if not p.is_archived
    ]


def check_ins_since(rows: list[dict], limit: int) -> datetime:
    """A moment no later than the `limit`-th newest check-in of the cycle, from
    `objective_rows`: the `limit`-th latest of the objectives' latest check-ins. Each
    of those objectives has a key result checked in at that moment or later, so at
    least `limit` check-ins are that recent; the newest `limit` all are, and so were
    their key results' last check-ins (`KeyResult.last_checked_in_at` is the newest)."""
    latest = sorted((row["last_check_in"] for row in rows if row["last_check_in"]), reverse=True)
    return latest[limit - 1] if len(latest) >= limit else EPOCH


def _newest(queryset, order: tuple[str, ...], limit: int):
    """The newest `limit` rows: ids are sorted and cut in a narrow subquery, and only
    those rows are joined to what the list shows."""
    ids = queryset.order_by(*order).values("id")[:limit]
    return queryset.model.objects.filter(pk__in=Subquery(ids)).order_by(*order)


def recent_activity(
    product_ids: list[int], cycle: Cycle, limit: int = ACTIVITY_STEP, since: datetime = EPOCH
) -> list[Activity]:
    """Check-ins, alignments and roadmap status/horizon changes, newest first. Three
    queries, each sorting only ids and reading the `limit` rows shown. `since` (from
    `check_ins_since`) bounds the check-ins to sort; the portfolio's `product_ids` (a
    literal list rather than a join, which lets the database start from the activity
    tables and their date indexes) bound the roadmap activity."""
    people = ("display_name", "first_name", "last_name", "username")
    check_ins = (
        _newest(
            CheckIn.objects.filter(
                Q(key_result__last_checked_in_at__gte=since)
                | Q(key_result__last_checked_in_at__isnull=True),
                key_result__objective__cycle=cycle,
                checked_in_at__gte=since,
            ),
            ("-checked_in_at", "-id"),
            limit,
        )
        .select_related("author", "key_result")
        .only(
            "value",
            "confidence",
            "checked_in_at",
            "key_result__title",
            "key_result__unit",
            *(f"author__{name}" for name in people),
        )
    )
    alignments = (
        _newest(
            Alignment.objects.filter(item__product_id__in=product_ids),
            ("-created_at", "-id"),
            limit,
        )
        .select_related("created_by", "item", "key_result")
        .only(
            "created_at",
            "key_result_id",
            "item__title",
            "key_result__title",
            *(f"created_by__{name}" for name in people),
        )
    )
    changes = (
        _newest(
            RoadmapItemChange.objects.filter(item__product_id__in=product_ids),
            ("-changed_at", "-id"),
            limit,
        )
        .select_related("actor", "item")
        .only(
            "field",
            "before",
            "after",
            "changed_at",
            "item__title",
            *(f"actor__{name}" for name in people),
        )
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


def activity_context(portfolio: Portfolio, cycle: Cycle, shown: int) -> dict:
    """Only the recent-activity panel (its "Show older activity" answers with this)."""
    now = timezone.now()
    rows = objective_rows(cycle, expected_progress(cycle), now)
    product_ids = list(Product.objects.in_portfolio(portfolio).values_list("id", flat=True))
    return {"activity": recent_activity(product_ids, cycle, shown, check_ins_since(rows, shown))}


def attention_context(portfolio: Portfolio, cycle: Cycle, shown: int, now=None) -> dict:
    """Only the needs-attention panel (its "Show more" answers with this)."""
    now = now or timezone.now()
    expected = expected_progress(cycle)
    rows = objective_rows(cycle, expected, now)
    conditions = KeyResultConditions.build(expected, now)
    return {"attention": needs_attention(portfolio, cycle, rows, conditions, shown)}


def dashboard_context(
    portfolio: Portfolio,
    cycle: Cycle | None,
    *,
    attention_shown: int = ATTENTION_STEP,
    activity_shown: int = ACTIVITY_STEP,
) -> dict:
    if cycle is None:
        return {"has_cycle": False}
    now = timezone.now()
    expected = expected_progress(cycle)
    rows = objective_rows(cycle, expected, now)
    conditions = KeyResultConditions.build(expected, now)
    since = check_ins_since(rows, activity_shown)
    products = portfolio_products(portfolio, cycle)
    return {
        "has_cycle": True,
        "expected": expected,
        "portfolio_progress": cycle.progress,
        "portfolio_status": status_of(cycle.progress, expected),
        "burn_up": burn_up(cycle),
        "objectives": objective_summaries(rows, expected),
        "products": dashboard_products(products, cycle),
        "attention": needs_attention(portfolio, cycle, rows, conditions, attention_shown),
        "activity": recent_activity([p.pk for p in products], cycle, activity_shown, since),
    }

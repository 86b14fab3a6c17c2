"""Reads of cycles and OKRs, starting from what the person may see (DESIGN.md §7)."""

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from okrs.models import CheckIn, Cycle, CycleState, KeyResult, Objective
from portfolio.models import Portfolio
from portfolio.selectors import visible_portfolio_ids


def cycles_visible_to(user) -> QuerySet[Cycle]:
    if not user.is_authenticated:
        return Cycle.objects.none()
    return Cycle.objects.filter(portfolio_id__in=visible_portfolio_ids(user))


def objectives_visible_to(user) -> QuerySet[Objective]:
    if not user.is_authenticated:
        return Objective.objects.none()
    return Objective.objects.filter(cycle__portfolio_id__in=visible_portfolio_ids(user))


def key_results_visible_to(user) -> QuerySet[KeyResult]:
    if not user.is_authenticated:
        return KeyResult.objects.none()
    return KeyResult.objects.filter(objective__cycle__portfolio_id__in=visible_portfolio_ids(user))


def check_ins_visible_to(user) -> QuerySet[CheckIn]:
    if not user.is_authenticated:
        return CheckIn.objects.none()
    return CheckIn.objects.filter(
        key_result__objective__cycle__portfolio_id__in=visible_portfolio_ids(user)
    )


def active_cycle(portfolio: Portfolio) -> Cycle | None:
    """The cycle a portfolio's pages open on.

    The active cycle whose dates contain today; else the most recent active one; else
    the latest cycle in planning; else None.
    """
    today = timezone.localdate()
    preference = Case(
        When(Q(state=CycleState.ACTIVE, starts_on__lte=today, ends_on__gte=today), then=Value(0)),
        When(state=CycleState.ACTIVE, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        Cycle.objects.in_portfolio(portfolio)
        .filter(state__in=[CycleState.ACTIVE, CycleState.PLANNING])
        .alias(preference=preference)
        .order_by("preference", "-starts_on", "-id")
        .first()
    )


def objective_tree(cycle: Cycle) -> QuerySet[Objective]:
    """Every objective of the cycle, parents before children, with its key results.

    Two queries whatever the size of the cycle: objectives (with cycle, owner and
    product) and their key results (with owners). Each key result's `objective` is the
    prefetched parent, so permission predicates on it cost no query.
    """
    return (
        Objective.objects.in_cycle(cycle)
        .select_related("cycle", "owner", "product", "product__owner")
        .prefetch_related(
            Prefetch("key_results", queryset=KeyResult.objects.select_related("owner"))
        )
        .order_by("depth", "position", "id")
    )


def cycle_page_context(portfolio: Portfolio, cycle_id: str | None) -> dict:
    """The cycle a portfolio page shows (`?cycle=<id>`, else the active one) and the
    cycles offered by the switcher."""
    cycles = list(Cycle.objects.in_portfolio(portfolio).order_by("-starts_on"))
    chosen = next((c for c in cycles if str(c.pk) == str(cycle_id)), None) if cycle_id else None
    return {"cycle": chosen or active_cycle(portfolio), "cycles": cycles}

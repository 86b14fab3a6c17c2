"""Reads of cycles and OKRs, starting from what the person may see (DESIGN.md §7)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from okrs.models import CheckIn, Cycle, CycleState, KeyResult, Objective
from okrs.progress import Status
from okrs.status import expected_progress, status_of
from portfolio.models import Portfolio, Product
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


# The OKR tree page -----------------------------------------------------------


@dataclass
class KeyResultRow:
    key_result: KeyResult
    status: Status


@dataclass
class ObjectiveNode:
    objective: Objective
    status: Status
    key_results: list[KeyResultRow] = field(default_factory=list)
    children: list["ObjectiveNode"] = field(default_factory=list)
    last_checked_in_at: datetime | None = None
    can_edit: bool = False

    @property
    def key_result_count(self) -> int:
        return len(self.key_results)


def okr_tree_nodes(
    cycle: Cycle,
    *,
    product_id: int | None = None,
    owner_id: int | None = None,
    status: str | None = None,
) -> list[ObjectiveNode]:
    """The cycle's objectives as a forest, roots first, with derived statuses.

    Two queries whatever the size of the cycle (`objective_tree`). Filters keep an
    objective when it matches or when one of its descendants does, so a match is always
    shown in its place in the cascade:

    - `product_id`: objectives of that product (with their subtrees);
    - `owner_id`: objectives or key results owned by that person;
    - `status`: objectives or key results with that status.
    Key results are narrowed by owner and status where those filters are set.
    """
    expected = expected_progress(cycle)
    nodes: dict[int, ObjectiveNode] = {}
    roots: list[ObjectiveNode] = []
    for objective in objective_tree(cycle):
        rows = [
            KeyResultRow(kr, status_of(kr.progress, expected, kr.confidence))
            for kr in objective.key_results.all()
        ]
        node = ObjectiveNode(
            objective=objective,
            status=status_of(objective.progress, expected),
            key_results=rows,
            last_checked_in_at=max(
                (
                    kr.last_checked_in_at
                    for kr in objective.key_results.all()
                    if kr.last_checked_in_at
                ),
                default=None,
            ),
        )
        nodes[objective.pk] = node
        parent = nodes.get(objective.parent_id)
        (parent.children if parent else roots).append(node)
    if not (product_id or owner_id or status):
        return roots

    def kr_matches(row: KeyResultRow) -> bool:
        return (not owner_id or row.key_result.owner_id == owner_id) and (
            not status or row.status == status
        )

    def prune(node: ObjectiveNode, inside_product: bool) -> ObjectiveNode | None:
        objective = node.objective
        in_product = inside_product or (
            product_id is not None and objective.product_id == product_id
        )
        product_ok = not product_id or in_product
        own_ok = (not owner_id or objective.owner_id == owner_id) and (
            not status or node.status == status
        )
        key_results = node.key_results
        if owner_id or status:
            key_results = [row for row in key_results if kr_matches(row)]
        children = [kept for child in node.children if (kept := prune(child, in_product))]
        matches = product_ok and (own_ok or bool(key_results))
        if not matches and not children:
            return None
        return ObjectiveNode(
            objective=objective,
            status=node.status,
            key_results=key_results if product_ok else [],
            children=children,
            last_checked_in_at=node.last_checked_in_at,
        )

    return [kept for root in roots if (kept := prune(root, False))]


def objective_parent_choices(cycle: Cycle, *, portfolio_level: bool) -> QuerySet[Objective]:
    """Objectives a new or moved objective may cascade from."""
    objectives = (
        Objective.objects.in_cycle(cycle)
        .select_related("product")
        .order_by("depth", "position", "id")
    )
    return objectives.portfolio_level() if portfolio_level else objectives


def cycle_for(user, portfolio: Portfolio, pk) -> Cycle:
    """A cycle of this portfolio the person may see, else 404."""
    return get_object_or_404(cycles_visible_to(user).in_portfolio(portfolio), pk=pk)


def objective_for(user, portfolio: Portfolio, pk) -> Objective:
    """An objective of this portfolio the person may see (with cycle and product), else 404."""
    return get_object_or_404(
        objectives_visible_to(user)
        .filter(cycle__portfolio=portfolio)
        .select_related("cycle__portfolio", "product", "owner"),
        pk=pk,
    )


def key_result_for(user, portfolio: Portfolio, pk) -> KeyResult:
    """A key result of this portfolio the person may see (with its objective), else 404."""
    return get_object_or_404(
        key_results_visible_to(user)
        .filter(objective__cycle__portfolio=portfolio)
        .select_related("objective__cycle__portfolio", "objective__product", "owner"),
        pk=pk,
    )


def portfolio_people(portfolio: Portfolio) -> QuerySet:
    """Members of the portfolio, by name: who may own an objective or a key result."""
    return (
        get_user_model()
        .objects.filter(memberships__portfolio=portfolio, is_active=True)
        .order_by("display_name", "username")
    )


def products_in(portfolio: Portfolio) -> QuerySet[Product]:
    return Product.objects.in_portfolio(portfolio).active().order_by("name")

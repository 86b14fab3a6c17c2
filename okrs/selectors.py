"""Reads of cycles and OKRs, starting from what the person may see (DESIGN.md §7)."""

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
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
#
# The tree renders collapsed below the first level and loads an objective's contents
# when it is expanded (okrs.views.okr_tree_children), so a page costs the same few
# queries and about the same rendering whatever the size of the cycle. Counts on every
# row (child objectives, key results) come from SQL subqueries; nothing is hidden
# without a number saying so and a way to show it.

TREE_PAGE_SIZE = 50
"""Objectives listed in one level (the roots, or one objective's children) before a
"Show more" row."""

TREE_OPEN_BUDGET = 60
"""Rows (objectives and key results) a tree shows before anything is expanded by hand:
it opens the first roots, in order, while the rows stay within it (unfiltered), or the
paths to the matches, breadth first (filtered)."""

TREE_MAX_OPEN = 200
"""Objectives a request may ask to be open (`?open=`), a bound on its work."""


@dataclass(frozen=True)
class TreeFilters:
    product_id: int | None = None
    owner_id: int | None = None
    status: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.product_id or self.owner_id or self.status)


@dataclass
class KeyResultRow:
    key_result: KeyResult
    status: Status


@dataclass
class ObjectiveNode:
    objective: Objective
    status: Status
    child_count: int = 0  # child objectives (those kept by the filters, when filtered)
    key_result_count: int = 0  # key results (those kept by the filters, when filtered)
    last_checked_in_at: datetime | None = None
    expanded: bool = False
    key_results: list[KeyResultRow] = field(default_factory=list)
    children: list["ObjectiveNode"] = field(default_factory=list)
    children_offset: int = 0  # index of the first child shown (a "Show more" page)
    can_edit: bool = False

    @property
    def has_contents(self) -> bool:
        return bool(self.child_count or self.key_result_count)

    @property
    def next_offset(self) -> int:
        return self.children_offset + len(self.children)

    @property
    def more_children(self) -> int:
        """Child objectives past the ones shown, behind "Show more"."""
        return max(self.child_count - self.next_offset, 0)


@dataclass
class TreeMatches:
    """What the filters keep: objectives that match or lead to a match (so a match is
    always shown in its place in the cascade), and the key results shown."""

    objective_ids: set[int]
    matching_objective_ids: set[int]
    key_result_ids: set[int]
    children: dict[int | None, list[int]]  # kept children by parent, in tree order
    key_result_counts: dict[int, int]


@dataclass
class TreeLevel:
    """The roots of the cycle's tree, from `offset`, with `total` roots in all."""

    nodes: list[ObjectiveNode]
    offset: int = 0
    total: int = 0
    matches: TreeMatches | None = None
    shown_objectives: int = 0  # matching objectives on screen (filtered)
    shown_key_results: int = 0  # key results on screen (filtered)

    @property
    def next_offset(self) -> int:
        return self.offset + len(self.nodes)

    @property
    def remaining(self) -> int:
        return max(self.total - self.next_offset, 0)

    @property
    def matching_objectives(self) -> int:
        return len(self.matches.matching_objective_ids) if self.matches else 0

    @property
    def matching_key_results(self) -> int:
        return len(self.matches.key_result_ids) if self.matches else 0

    @property
    def matches_not_shown(self) -> bool:
        return bool(self.matches) and (
            self.shown_objectives < self.matching_objectives
            or self.shown_key_results < self.matching_key_results
        )


def tree_matches(cycle: Cycle, filters: TreeFilters) -> TreeMatches:
    """Which objectives and key results the filters keep (two light queries).

    - `product_id`: objectives of that product, with their subtrees;
    - `owner_id`: objectives or key results owned by that person;
    - `status`: objectives or key results with that status.
    Key results are narrowed by owner and status where those filters are set, and are
    only shown on objectives inside the chosen product.
    """
    expected = expected_progress(cycle)
    objectives = list(
        Objective.objects.in_cycle(cycle)
        .order_by("depth", "position", "id")
        .values_list("pk", "parent_id", "product_id", "owner_id", "progress")
    )
    key_results: dict[int, list[int]] = defaultdict(list)
    for pk, objective_id, owner_id, progress, confidence in (
        KeyResult.objects.in_cycle(cycle)
        .order_by("position", "id")
        .values_list("pk", "objective_id", "owner_id", "progress", "confidence")
    ):
        if (not filters.owner_id or owner_id == filters.owner_id) and (
            not filters.status or status_of(progress, expected, confidence) == filters.status
        ):
            key_results[objective_id].append(pk)

    in_product: dict[int, bool] = {}
    children: dict[int | None, list[int]] = defaultdict(list)
    matching: set[int] = set()
    kept_key_results: dict[int, list[int]] = {}
    for pk, parent_id, product_id, owner_id, progress in objectives:  # parents first
        inside = in_product[pk] = not filters.product_id or (
            product_id == filters.product_id or in_product.get(parent_id, False)
        )
        shown = key_results.get(pk, []) if inside else []
        own = (not filters.owner_id or owner_id == filters.owner_id) and (
            not filters.status or status_of(progress, expected) == filters.status
        )
        if inside and (own or shown):
            matching.add(pk)
        if shown:
            kept_key_results[pk] = shown
    kept = set(matching)
    for pk, parent_id, *_ in reversed(objectives):  # children first
        if pk in kept and parent_id is not None:
            kept.add(parent_id)
    for pk, parent_id, *_ in objectives:
        if pk in kept:
            children[parent_id].append(pk)
    return TreeMatches(
        objective_ids=kept,
        matching_objective_ids=matching,
        key_result_ids={pk for pks in kept_key_results.values() for pk in pks},
        children=dict(children),
        key_result_counts={pk: len(pks) for pk, pks in kept_key_results.items()},
    )


def _objective_rows(cycle: Cycle, matches: TreeMatches | None) -> QuerySet[Objective]:
    """Objectives with what a collapsed row shows: owner, product, and counts of child
    objectives and key results and the latest check-in of those, as SQL subqueries."""
    key_results = KeyResult.objects.filter(objective=OuterRef("pk")).order_by().values("objective")
    children = Objective.objects.filter(parent=OuterRef("pk")).order_by().values("parent")
    rows = (
        Objective.objects.in_cycle(cycle)
        .select_related("owner", "product")
        .annotate(
            total_children=Coalesce(Subquery(children.annotate(n=Count("pk")).values("n")), 0),
            total_key_results=Coalesce(
                Subquery(key_results.annotate(n=Count("pk")).values("n")), 0
            ),
            latest_check_in=Subquery(
                key_results.annotate(latest=Max("last_checked_in_at")).values("latest")
            ),
        )
        .order_by("position", "id")
    )
    return rows if matches is None else rows.filter(pk__in=matches.objective_ids)


def _node(objective: Objective, cycle: Cycle, expected: float, matches) -> ObjectiveNode:
    objective.cycle = cycle  # permission predicates read it: no query
    if matches is None:
        child_count, key_result_count = objective.total_children, objective.total_key_results
    else:
        child_count = len(matches.children.get(objective.pk, ()))
        key_result_count = matches.key_result_counts.get(objective.pk, 0)
    return ObjectiveNode(
        objective=objective,
        status=status_of(objective.progress, expected),
        child_count=child_count,
        key_result_count=key_result_count,
        last_checked_in_at=objective.latest_check_in,
    )


def _open_matches(top: list[int], matches: TreeMatches) -> set[int]:
    """Objectives to open so the matches show, breadth first, within the budget."""
    opened: set[int] = set()
    queue, used = deque(top), len(top)
    while queue:
        pk = queue.popleft()
        children = matches.children.get(pk, [])[:TREE_PAGE_SIZE]
        cost = len(children) + matches.key_result_counts.get(pk, 0)
        if cost and used + cost <= TREE_OPEN_BUDGET:
            opened.add(pk)
            used += cost
            queue.extend(children)
    return opened


def _open_first(nodes: list[ObjectiveNode]) -> set[int]:
    """The first objectives of a level, in order, while the level and their contents fit
    the budget."""
    opened: set[int] = set()
    used = len(nodes)
    for node in nodes:
        cost = min(node.child_count, TREE_PAGE_SIZE) + node.key_result_count
        if used + cost > TREE_OPEN_BUDGET:
            break
        if cost:
            opened.add(node.objective.pk)
            used += cost
    return opened


def _contents(opened: set[int], key_results_of: set[int], cycle, expected, matches):
    """Child objectives (the first page of each open objective's) and key results (of
    `key_results_of`): two queries whatever the depth or the size of the cycle."""
    children: dict[int, list[ObjectiveNode]] = defaultdict(list)
    if opened:
        rows = (
            _objective_rows(cycle, matches)
            .filter(parent_id__in=opened)
            .annotate(
                rank=Window(
                    RowNumber(), partition_by=F("parent_id"), order_by=[F("position"), F("id")]
                )
            )
            .filter(rank__lte=TREE_PAGE_SIZE)
        )
        for objective in rows:
            children[objective.parent_id].append(_node(objective, cycle, expected, matches))
    key_results: dict[int, list[KeyResult]] = defaultdict(list)
    if key_results_of:
        for key_result in (
            KeyResult.objects.filter(objective_id__in=key_results_of)
            .select_related("owner")
            .order_by("position", "id")
        ):
            if matches is None or key_result.pk in matches.key_result_ids:
                key_results[key_result.objective_id].append(key_result)
    return children, key_results


def _fill(node: ObjectiveNode, opened, children, key_results, expected) -> None:
    """Open `node` (and its open descendants) with the contents from `_contents`."""
    node.expanded = True
    node.key_results = []
    for key_result in key_results.get(node.objective.pk, []):
        key_result.objective = node.objective  # permission predicates read it: no query
        node.key_results.append(
            KeyResultRow(
                key_result, status_of(key_result.progress, expected, key_result.confidence)
            )
        )
    node.children = children.get(node.objective.pk, node.children)
    for child in node.children:
        if child.objective.pk in opened:
            _fill(child, opened, children, key_results, expected)


def _open_ids(open_ids) -> set[int] | None:
    return None if open_ids is None else set(list(open_ids)[:TREE_MAX_OPEN])


def okr_tree_roots(
    cycle: Cycle,
    *,
    filters: TreeFilters = TreeFilters(),
    offset: int = 0,
    open_ids=None,
) -> TreeLevel:
    """The cycle's root objectives from `offset` (a page of them), with derived statuses.

    Open objectives (`open_ids`; else, on the first page, the first roots while their
    contents fit the budget, or the paths to the matches when filtered) come with their
    key results and first page of children. At most six queries whatever the size of
    the cycle.
    """
    expected = expected_progress(cycle)
    matches = tree_matches(cycle, filters) if filters.active else None
    roots = _objective_rows(cycle, matches).roots().annotate(level_total=Window(Count("pk")))
    page = list(roots[offset : offset + TREE_PAGE_SIZE])
    nodes = [_node(objective, cycle, expected, matches) for objective in page]
    total = page[0].level_total if page else 0
    opened = _open_ids(open_ids)
    if opened is None and offset == 0:
        if matches is not None:
            opened = _open_matches([node.objective.pk for node in nodes], matches)
        else:
            opened = _open_first(nodes)
    if matches is not None and opened is not None:
        opened &= matches.objective_ids
    opened = opened or set()
    children, key_results = _contents(opened, opened, cycle, expected, matches)
    for node in nodes:
        if node.objective.pk in opened:
            _fill(node, opened, children, key_results, expected)
    level = TreeLevel(nodes=nodes, offset=offset, total=total, matches=matches)
    if matches is not None:
        level.shown_objectives, level.shown_key_results = _shown(nodes, matches)
    return level


def _shown(nodes, matches: TreeMatches) -> tuple[int, int]:
    objectives = key_results = 0
    stack = list(nodes)
    while stack:
        node = stack.pop()
        objectives += node.objective.pk in matches.matching_objective_ids
        key_results += len(node.key_results)
        stack.extend(node.children)
    return objectives, key_results


def okr_tree_branch(
    objective: Objective,
    *,
    filters: TreeFilters = TreeFilters(),
    offset: int = 0,
) -> ObjectiveNode:
    """One objective, open: its key results (on the first page) and a page of its child
    objectives from `offset`, collapsed (or, when filtered, open along the paths to the
    matches within the budget). At most six queries whatever the size of the cycle."""
    cycle = objective.cycle
    expected = expected_progress(cycle)
    matches = tree_matches(cycle, filters) if filters.active else None
    rows = _objective_rows(cycle, None)
    node = _node(rows.get(pk=objective.pk), cycle, expected, matches)
    node.expanded = True
    node.children_offset = offset
    if matches is not None and objective.pk not in matches.objective_ids:
        node.child_count = node.key_result_count = 0
        return node
    siblings = _objective_rows(cycle, matches).filter(parent_id=objective.pk)
    node.children = [
        _node(child, cycle, expected, matches)
        for child in siblings[offset : offset + TREE_PAGE_SIZE]
    ]
    opened = (
        _open_matches([child.objective.pk for child in node.children], matches)
        if matches is not None
        else set()
    )
    own = {objective.pk} if offset == 0 else set()
    children, key_results = _contents(opened, opened | own, cycle, expected, matches)
    _fill(node, opened, children, key_results, expected)
    return node


def objective_path_ids(objective: Objective) -> list[int]:
    """The objective and the objectives it cascades from, up to its root: what a tree
    opens to show it (one query per level; a cascade is a few levels deep)."""
    path = [objective.pk]
    parent_id = objective.parent_id
    while parent_id is not None and parent_id not in path:
        path.append(parent_id)
        parent_id = (
            Objective.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
        )
    return path


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

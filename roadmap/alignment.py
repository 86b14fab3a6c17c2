"""The alignment matrix: who serves which portfolio objective, in one cycle.

Every number is aggregated in SQL (a handful of queries whatever the size of the
portfolio); the lists behind a number are loaded only when someone opens it.

- An item *serves* a portfolio objective when it is aligned to a key result of that
  objective or of any objective cascading from it.
- The *alignment score* of a scope is the share of its active items (idea, planned,
  in progress; not archived) aligned to at least one key result of the cycle.
- The *coverage* of a portfolio objective is the share of its key results (its own
  and its cascade's) that at least one active item serves.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Expression,
    ExpressionWrapper,
    F,
    IntegerField,
    Prefetch,
    Q,
    Value,
    When,
)
from django.template.defaultfilters import pluralize

from okrs.models import Cycle, KeyResult, Objective
from portfolio.models import Portfolio, Product
from roadmap.models import ACTIVE_STATUSES, Alignment, ItemStatus, RoadmapItem
from roadmap.search import Shortlist, shortlist
from roadmap.selectors import key_result_relevance

UNALIGNED = "unaligned"
STATUS_ORDER = [
    ItemStatus.IDEA,
    ItemStatus.PLANNED,
    ItemStatus.IN_PROGRESS,
    ItemStatus.DONE,
    ItemStatus.DROPPED,
]
UNALIGNED_PREVIEW = 20
# Product managers' groups the matrix renders at first, and how many more each "Show
# more" adds: the totals always cover every group.
MATRIX_GROUPS = 8
# The picker lists this many key results; a search finds the others.
PICKER_KEY_RESULTS = 30


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# The cascade -------------------------------------------------------------------------


def root_objective_map(cycle: Cycle) -> tuple[list[Objective], dict[int, int]]:
    """The cycle's root portfolio objectives, and `{objective_id: root portfolio objective
    id}` for every objective that cascades (at any depth) from one of them.

    One query: the objectives' ids and parents, walked in Python.
    """
    rows = list(
        Objective.objects.in_cycle(cycle)
        .order_by("position", "id")
        .values("id", "parent_id", "product_id", "title", "progress", "weight")
    )
    parent_of = {row["id"]: row["parent_id"] for row in rows}
    roots = [row for row in rows if row["parent_id"] is None and row["product_id"] is None]
    root_ids = {row["id"] for row in roots}
    mapping: dict[int, int] = {}
    for objective_id in parent_of:
        seen, node = set(), objective_id
        while parent_of.get(node) is not None and node not in seen:
            seen.add(node)
            node = parent_of[node]
        if node in root_ids:
            mapping[objective_id] = node
    columns = [
        Objective(pk=row["id"], **{k: row[k] for k in ("title", "progress")}) for row in roots
    ]
    return columns, mapping


class IdIn(Expression):
    """`<expression> IN (<ids>)` with the integer ids written into the SQL.

    The matrix filters on a few thousand key result ids; Django's `__in` lookup prepares
    every value in Python (tens of milliseconds per query at that size), this does not.
    The ids are `int`s, so writing them into the SQL is safe. (As one array parameter,
    PostgreSQL no longer hashes the list: slower.)
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, expression, ids):
        super().__init__()
        self.expression = expression
        self.ids = sorted({int(i) for i in ids})

    def get_source_expressions(self):
        return [self.expression]

    def set_source_expressions(self, exprs):
        (self.expression,) = exprs

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.expression)
        if not self.ids:
            return "1 = 0", params
        return f"{sql} IN ({', '.join(map(str, self.ids))})", params


def root_case(mapping: dict[int, int], path: str):
    """SQL `CASE` turning an objective (or key result) id into its root portfolio
    objective id, given `{id: root id}`. PostgreSQL hashes each long `IN` list."""
    by_root: dict[int, list[int]] = defaultdict(list)
    for object_id, root_id in mapping.items():
        by_root[root_id].append(object_id)
    if not by_root:
        return Value(None, output_field=IntegerField())
    return Case(
        *(When(IdIn(F(path), ids), then=Value(root_id)) for root_id, ids in by_root.items()),
        default=Value(None),
        output_field=IntegerField(),
    )


def aligned_item_ids(cycle: Cycle):
    """Ids of the items aligned to a key result of the cycle, as a subquery.

    Used as `pk__in` (hashed once by PostgreSQL) rather than a correlated `EXISTS`: the
    correlated form re-runs the alignment → key result → objective join for every item
    when the planner misjudges row counts, which made the page take seconds.
    """
    return Alignment.objects.filter(key_result__objective__cycle=cycle).values("item_id")


def _aligned_in_cycle(cycle: Cycle):
    return ExpressionWrapper(Q(pk__in=aligned_item_ids(cycle)), output_field=BooleanField())


def _served_by_active_item(objective_ids: list[int]):
    """Ids of the key results (of these objectives) that an active item serves, as a
    subquery used with `pk__in` (see `aligned_item_ids`)."""
    return Alignment.objects.filter(
        key_result__objective_id__in=objective_ids,
        item__status__in=ACTIVE_STATUSES,
        item__is_archived=False,
    ).values("key_result_id")


def matrix_items(portfolio: Portfolio):
    """The items the matrix counts: not archived, in a product that is not archived."""
    return RoadmapItem.objects.in_portfolio(portfolio).filter(
        is_archived=False, product__is_archived=False
    )


# The matrix --------------------------------------------------------------------------


@dataclass
class Cell:
    objective_id: int
    row: str = "portfolio"
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def add(self, other: "Cell") -> None:
        for status, count in other.by_status.items():
            self.by_status[status] = self.by_status.get(status, 0) + count

    @cached_property
    def segments(self) -> list[dict]:
        """Stacked-bar segments in status order, as SVG x/width in a 0–100 box (read once
        the cell is complete: when rendering)."""
        total, x, result = self.total, 0.0, []
        for status in STATUS_ORDER:
            count = self.by_status.get(status, 0)
            if count and total:
                width = 100 * count / total
                result.append(
                    {
                        "status": status.value,
                        "label": status.label,
                        "count": count,
                        "x": str(round(x, 3)),
                        "width": str(round(width, 3)),
                    }
                )
                x += width
        return result

    @property
    def query(self) -> str:
        """The cell's part of its link (after `?cycle=<id>&`)."""
        return f"row={self.row}&objective={self.objective_id}"

    @property
    def label(self) -> str:
        """What a screen reader hears on the cell's link."""
        parts = [f"{self.total} item{pluralize(self.total)}"]
        parts += [f"{s['count']} {s['label'].lower()}" for s in self.segments]
        return ", ".join(parts) + ". Show them."


@dataclass
class Row:
    kind: str  # "pm" or "product"
    key: str
    label: str
    cells: list[Cell]
    active: int = 0
    aligned: int = 0
    serving: int = 0
    unaligned: int = 0
    products: list["Row"] = field(default_factory=list)
    product: Product | None = None

    @property
    def score(self) -> float | None:
        return share(self.aligned, self.active)

    @property
    def scope(self) -> str:
        return f"{self.kind}:{self.key}"


@dataclass
class Column:
    objective: Objective
    key_results: int = 0
    covered: int = 0

    @property
    def coverage(self) -> float | None:
        return share(self.covered, self.key_results)

    @property
    def uncovered(self) -> int:
        return self.key_results - self.covered


@dataclass
class Matrix:
    cycle: Cycle
    columns: list[Column]
    rows: list[Row]
    active: int
    aligned: int
    unaligned_preview: list[RoadmapItem]
    item_count: int
    # Every product manager's group; `rows` are the first `shown` of them (the page renders
    # a bounded number of rows; "Show more" asks for the next ones).
    groups: list[Row] = field(default_factory=list)
    shown: int = 0

    @property
    def score(self) -> float | None:
        return share(self.aligned, self.active)

    @property
    def unaligned(self) -> int:
        return self.active - self.aligned

    scope = "portfolio"

    @property
    def uncovered(self) -> int:
        return sum(column.uncovered for column in self.columns)

    @property
    def key_results(self) -> int:
        return sum(column.key_results for column in self.columns)

    @cached_property
    def column_totals(self) -> list[Cell]:
        totals = [Cell(column.objective.pk) for column in self.columns]
        for row in self.groups:
            for total, cell in zip(totals, row.cells, strict=True):
                total.add(cell)
        return totals

    @property
    def serving(self) -> int:
        return sum(row.serving for row in self.groups)

    @property
    def hidden_groups(self) -> int:
        return len(self.groups) - len(self.rows)

    @property
    def next_shown(self) -> int:
        """How many groups the "Show more" link asks for."""
        return min(len(self.groups), len(self.rows) + MATRIX_GROUPS)

    @property
    def more_groups(self) -> int:
        return self.next_shown - len(self.rows)

    @property
    def is_capped(self) -> bool:
        return len(self.groups) > MATRIX_GROUPS

    @property
    def first_new_row(self) -> Row | None:
        """The first group a "Show more" added (focus moves there), if any."""
        return self.rows[-MATRIX_GROUPS] if len(self.rows) > MATRIX_GROUPS else None


def key_result_roots(cycle: Cycle, mapping: dict[int, int]) -> tuple[dict[int, int], list[int]]:
    """`{key_result_id: root portfolio objective id}` for the key results of every cascade,
    and the ids of all the cycle's key results (one query).

    The matrix's aggregates filter alignments on these ids rather than joining key
    results and objectives for each of the portfolio's alignments: one pass over the
    alignments, whatever the planner thinks of the joins.
    """
    roots, cycle_ids = {}, []
    for key_result_id, objective_id in KeyResult.objects.in_cycle(cycle).values_list(
        "id", "objective_id"
    ):
        cycle_ids.append(key_result_id)
        if objective_id in mapping:
            roots[key_result_id] = mapping[objective_id]
    return roots, cycle_ids


def alignment_matrix(portfolio: Portfolio, cycle: Cycle, *, shown: int = 0) -> Matrix:
    """Every count of the matrix page, in a fixed number of queries (seven) whatever the
    portfolio's size; each count is a `GROUP BY` over the portfolio's items or alignments.

    Totals cover every product manager; `rows` hold the first `shown` groups (at least
    `MATRIX_GROUPS`, rounded up to a multiple of it).
    """
    objectives, mapping = root_objective_map(cycle)
    kr_roots, cycle_key_results = key_result_roots(cycle, mapping)
    columns = [Column(objective=objective) for objective in objectives]
    index = {column.objective.pk: i for i, column in enumerate(columns)}

    products = list(
        Product.objects.in_portfolio(portfolio)
        .active()
        .select_related("owner")
        .order_by("name", "id")
    )
    product_ids = [product.pk for product in products]
    # Alignments of the matrix's items (not archived, in an active product of the portfolio).
    alignments = Alignment.objects.filter(
        item__product_id__in=product_ids, item__is_archived=False
    ).order_by()

    # Cells: distinct items per (product, root objective, status).
    cells: dict[int, list[Cell]] = {
        p.pk: [Cell(column.objective.pk, f"product:{p.pk}") for column in columns] for p in products
    }
    if kr_roots:
        served = (
            # By objective (500 ids at large size) rather than key result (2,500): a
            # shorter statement to plan, for one join on the key results' primary key.
            alignments.filter(IdIn(F("key_result__objective_id"), mapping))
            .annotate(root=root_case(mapping, "key_result__objective_id"))
            .values("item__product_id", "root", "item__status")
            .annotate(n=Count("item_id", distinct=True))
        )
        for row in served:
            product_cells = cells.get(row["item__product_id"])
            if product_cells is not None and row["root"] in index:
                cell = product_cells[index[row["root"]]]
                cell.by_status[row["item__status"]] = row["n"]

    # Row figures: active items, aligned in this cycle, serving a portfolio objective.
    def item_ids(key_result_ids):
        return Alignment.objects.filter(IdIn(F("key_result_id"), key_result_ids)).values("item_id")

    totals = {
        row["product_id"]: row
        for row in RoadmapItem.objects.filter(product_id__in=product_ids, is_archived=False)
        .values("product_id")
        .annotate(
            active=Count("id", filter=Q(status__in=ACTIVE_STATUSES)),
            aligned_active=Count(
                "id", filter=Q(status__in=ACTIVE_STATUSES, pk__in=item_ids(cycle_key_results))
            ),
            serving=Count("id", filter=Q(pk__in=item_ids(list(kr_roots)))),
        )
        .order_by()
    }

    # Coverage: key results per root objective, and those an active item serves (any
    # item that is not archived, as in `uncovered_key_results`): the served key results'
    # ids, counted per root here (cheaper than a `CASE` on each alignment).
    for root_id in kr_roots.values():
        columns[index[root_id]].key_results += 1
    if kr_roots:
        for key_result_id in (
            Alignment.objects.filter(
                IdIn(F("key_result_id"), kr_roots),
                item__status__in=ACTIVE_STATUSES,
                item__is_archived=False,
            )
            .order_by()
            .values_list("key_result_id", flat=True)
            .distinct()
        ):
            columns[index[kr_roots[key_result_id]]].covered += 1

    groups: dict[int | None, Row] = {}
    for product in products:
        figures = totals.get(product.pk, {})
        product_row = Row(
            kind="product",
            key=str(product.pk),
            label=product.name,
            cells=cells[product.pk],
            active=figures.get("active", 0),
            aligned=figures.get("aligned_active", 0),
            serving=figures.get("serving", 0),
            product=product,
        )
        product_row.unaligned = product_row.active - product_row.aligned
        owner = product.owner
        group = groups.get(product.owner_id)
        if group is None:
            group = groups[product.owner_id] = Row(
                kind="pm",
                key=str(product.owner_id or 0),
                label=owner.name if owner else "No product manager",
                cells=[
                    Cell(column.objective.pk, f"pm:{product.owner_id or 0}") for column in columns
                ],
            )
        group.products.append(product_row)
        for total_cell, cell in zip(group.cells, product_row.cells, strict=True):
            total_cell.add(cell)
        group.active += product_row.active
        group.aligned += product_row.aligned
        group.serving += product_row.serving
        group.unaligned += product_row.unaligned
    rows = sorted(groups.values(), key=lambda row: (row.key == "0", row.label.lower()))

    # The products (and their owners) are loaded already: no join for them.
    unaligned_preview = list(
        unaligned_items(portfolio, cycle, key_result_ids=cycle_key_results).only(
            "id", "title", "status", "horizon", "product_id"
        )[:UNALIGNED_PREVIEW]
    )
    by_id = {product.pk: product for product in products}
    for item in unaligned_preview:
        item.product = by_id[item.product_id]
    shown = max(MATRIX_GROUPS, -(-shown // MATRIX_GROUPS) * MATRIX_GROUPS)
    return Matrix(
        cycle=cycle,
        columns=columns,
        rows=rows[:shown],
        active=sum(row.active for row in rows),
        aligned=sum(row.aligned for row in rows),
        unaligned_preview=unaligned_preview,
        item_count=sum(len(row.products) for row in rows),
        groups=rows,
        shown=shown,
    )


# Lists behind the numbers ------------------------------------------------------------


def unaligned_items(portfolio: Portfolio, cycle: Cycle, *, key_result_ids=None):
    """Active items aligned to no key result of the cycle, most urgent horizon first
    (`key_result_ids`: the cycle's key results, when the caller has them already)."""
    aligned = (
        aligned_item_ids(cycle)
        if key_result_ids is None
        else Alignment.objects.filter(IdIn(F("key_result_id"), key_result_ids)).values("item_id")
    )
    return (
        matrix_items(portfolio)
        .active()
        .exclude(pk__in=aligned)
        .order_by("horizon", "product__name", "position", "id")
    )


def _with_alignments(items, cycle: Cycle):
    return items.select_related("product", "product__owner", "owner").prefetch_related(
        Prefetch(
            "alignments",
            queryset=Alignment.objects.filter(key_result__objective__cycle=cycle)
            .select_related("key_result", "key_result__objective")
            .order_by("key_result__objective__position", "key_result__position", "id"),
            to_attr="cycle_alignments",
        )
    )


def scope_items(portfolio: Portfolio, *, product_id=None, owner_id=None):
    """A row's items: one product's, or those of every product of one PM (0 = no PM)."""
    items = matrix_items(portfolio)
    if product_id is not None:
        return items.filter(product_id=product_id)
    if owner_id:
        return items.filter(product__owner_id=owner_id)
    if owner_id is not None:
        return items.filter(product__owner__isnull=True)
    return items


def cell_items(
    portfolio: Portfolio,
    cycle: Cycle,
    objective_id: int | str,
    *,
    product_id=None,
    owner_id=None,
    mapping: dict[int, int] | None = None,
):
    """The items behind one cell, with their alignments in the cycle (three queries)."""
    items = scope_items(portfolio, product_id=product_id, owner_id=owner_id)
    if objective_id == UNALIGNED:
        items = items.active().exclude(pk__in=aligned_item_ids(cycle))
    else:
        cascade = [oid for oid, root in (mapping or {}).items() if root == int(objective_id)]
        items = items.filter(
            pk__in=Alignment.objects.filter(key_result__objective_id__in=cascade).values("item_id")
        )
    return _with_alignments(items.order_by("product__name", "horizon", "position", "id"), cycle)


def cascade_key_results(root_id: int, mapping: dict[int, int]):
    """The key results of a root portfolio objective and its cascade, with the number
    of active items serving each."""
    cascade = [oid for oid, root in mapping.items() if root == root_id]
    return (
        KeyResult.objects.filter(objective_id__in=cascade)
        .select_related("objective", "objective__product")
        .annotate(
            active_items=Count(
                "alignments__item",
                filter=Q(
                    alignments__item__status__in=ACTIVE_STATUSES,
                    alignments__item__is_archived=False,
                ),
                distinct=True,
            )
        )
        .order_by("objective__depth", "objective__position", "position", "id")
    )


def uncovered_key_results(cycle: Cycle, *, root_id: int | None = None, mapping=None):
    """Key results of the cycle that no active item serves (of one root's cascade)."""
    key_results = KeyResult.objects.in_cycle(cycle)
    if root_id is not None:
        cascade = [oid for oid, root in (mapping or {}).items() if root == root_id]
        key_results = key_results.filter(objective_id__in=cascade)
        served = _served_by_active_item(cascade)
    else:
        served = Alignment.objects.filter(
            key_result__objective__cycle=cycle,
            item__status__in=ACTIVE_STATUSES,
            item__is_archived=False,
        ).values("key_result_id")
    return (
        key_results.exclude(pk__in=served)
        .select_related("objective", "objective__product")
        .order_by("objective__depth", "objective__position", "position", "id")
    )


def score_items(portfolio: Portfolio, cycle: Cycle, *, product_id=None, owner_id=None):
    """The active items behind an alignment score, aligned ones flagged by `is_aligned`."""
    return (
        scope_items(portfolio, product_id=product_id, owner_id=owner_id)
        .active()
        .annotate(is_aligned=_aligned_in_cycle(cycle))
        .select_related("product")
        .order_by("is_aligned", "product__name", "horizon", "position", "id")
    )


def score_figures(items) -> dict:
    """`{"active": n, "aligned": m}` for `score_items(...)`, in one aggregate query."""
    return items.order_by().aggregate(
        active=Count("id"), aligned=Count("id", filter=Q(is_aligned=True))
    )


def picker_key_results(
    cycle: Cycle, query: str = "", *, product=None, limit: int | None = None
) -> Shortlist:
    """The cycle's key results matching `query` (title, or objective title; all when
    empty), those most relevant to `product` first (its own, then the portfolio's),
    capped at `limit`, with how many match. Grouped by objective in the template: ordered
    by objective within each rank."""
    matches = None
    query = query.strip()
    if query:
        matches = Q(title__icontains=query) | Q(objective__title__icontains=query)
    key_results = (
        KeyResult.objects.in_cycle(cycle)
        .select_related("objective", "objective__product")
        .order_by(
            "objective__depth",
            "objective__product__name",
            "objective__position",
            "objective_id",
            "position",
            "id",
        )
    )
    return shortlist(
        key_results,
        limit=PICKER_KEY_RESULTS if limit is None else limit,
        matches=matches,
        ranking=[key_result_relevance(product)],
    )

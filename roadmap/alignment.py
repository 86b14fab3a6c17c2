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

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, Value, When

from okrs.models import Cycle, KeyResult, Objective
from portfolio.models import Portfolio, Product
from roadmap.models import ACTIVE_STATUSES, Alignment, ItemStatus, RoadmapItem

UNALIGNED = "unaligned"
STATUS_ORDER = [
    ItemStatus.IDEA,
    ItemStatus.PLANNED,
    ItemStatus.IN_PROGRESS,
    ItemStatus.DONE,
    ItemStatus.DROPPED,
]
UNALIGNED_PREVIEW = 20


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


def _root_expression(mapping: dict[int, int], objective_path: str):
    """SQL `CASE` turning an objective id into its root portfolio objective id."""
    by_root: dict[int, list[int]] = defaultdict(list)
    for objective_id, root_id in mapping.items():
        by_root[root_id].append(objective_id)
    if not by_root:
        return Value(None, output_field=IntegerField())
    return Case(
        *(
            When(**{f"{objective_path}__in": ids}, then=Value(root_id))
            for root_id, ids in by_root.items()
        ),
        default=Value(None),
        output_field=IntegerField(),
    )


def _aligned_in_cycle(cycle: Cycle):
    return Exists(Alignment.objects.filter(item=OuterRef("pk"), key_result__objective__cycle=cycle))


def _served_by_active_item():
    return Exists(
        Alignment.objects.filter(
            key_result=OuterRef("pk"), item__status__in=ACTIVE_STATUSES, item__is_archived=False
        )
    )


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

    @property
    def segments(self) -> list[dict]:
        """Stacked-bar segments in status order, as SVG x/width in a 0–100 box."""
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
                        "x": round(x, 3),
                        "width": round(width, 3),
                    }
                )
                x += width
        return result


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

    @property
    def column_totals(self) -> list[Cell]:
        totals = [Cell(column.objective.pk) for column in self.columns]
        for row in self.rows:
            for total, cell in zip(totals, row.cells, strict=True):
                total.add(cell)
        return totals

    @property
    def serving(self) -> int:
        return sum(row.serving for row in self.rows)


def alignment_matrix(portfolio: Portfolio, cycle: Cycle) -> Matrix:
    """Every count of the matrix page, in five queries whatever the portfolio's size."""
    objectives, mapping = root_objective_map(cycle)
    columns = [Column(objective=objective) for objective in objectives]
    index = {column.objective.pk: i for i, column in enumerate(columns)}

    products = list(
        Product.objects.in_portfolio(portfolio)
        .active()
        .select_related("owner")
        .order_by("name", "id")
    )

    # Cells: distinct items per (product, root objective, status).
    cells: dict[int, list[Cell]] = {
        p.pk: [Cell(column.objective.pk, f"product:{p.pk}") for column in columns] for p in products
    }
    if mapping:
        served = (
            Alignment.objects.filter(
                item__in=matrix_items(portfolio), key_result__objective_id__in=list(mapping)
            )
            .annotate(root=_root_expression(mapping, "key_result__objective_id"))
            .values("item__product_id", "root", "item__status")
            .annotate(n=Count("item_id", distinct=True))
            .order_by()
        )
        for row in served:
            product_cells = cells.get(row["item__product_id"])
            if product_cells is not None and row["root"] in index:
                cell = product_cells[index[row["root"]]]
                cell.by_status[row["item__status"]] = row["n"]

    # Row figures: active items, aligned in this cycle, serving a portfolio objective.
    serves_root = Exists(
        Alignment.objects.filter(item=OuterRef("pk"), key_result__objective_id__in=list(mapping))
    )
    totals = {
        row["product_id"]: row
        for row in matrix_items(portfolio)
        .alias(aligned=_aligned_in_cycle(cycle), serves=serves_root)
        .values("product_id")
        .annotate(
            active=Count("id", filter=Q(status__in=ACTIVE_STATUSES)),
            aligned_active=Count("id", filter=Q(status__in=ACTIVE_STATUSES, aligned=True)),
            serving=Count("id", filter=Q(serves=True)),
        )
        .order_by()
    }

    # Coverage: key results per root objective, and those an active item serves.
    if mapping:
        for row in (
            KeyResult.objects.filter(objective_id__in=list(mapping))
            .alias(covered=_served_by_active_item())
            .annotate(root=_root_expression(mapping, "objective_id"))
            .values("root")
            .annotate(total=Count("id"), covered=Count("id", filter=Q(covered=True)))
            .order_by()
        ):
            if row["root"] in index:
                column = columns[index[row["root"]]]
                column.key_results, column.covered = row["total"], row["covered"]

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

    unaligned_preview = list(
        unaligned_items(portfolio, cycle).select_related("product", "product__owner", "owner")[
            :UNALIGNED_PREVIEW
        ]
    )
    active = sum(row.active for row in rows)
    return Matrix(
        cycle=cycle,
        columns=columns,
        rows=rows,
        active=active,
        aligned=sum(row.aligned for row in rows),
        unaligned_preview=unaligned_preview,
        item_count=sum(len(row.products) for row in rows),
    )


# Lists behind the numbers ------------------------------------------------------------


def unaligned_items(portfolio: Portfolio, cycle: Cycle):
    """Active items aligned to no key result of the cycle, most urgent horizon first."""
    return (
        matrix_items(portfolio)
        .active()
        .alias(aligned=_aligned_in_cycle(cycle))
        .filter(aligned=False)
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
        items = items.active().alias(aligned=_aligned_in_cycle(cycle)).filter(aligned=False)
    else:
        cascade = [oid for oid, root in (mapping or {}).items() if root == int(objective_id)]
        items = items.filter(
            Exists(
                Alignment.objects.filter(item=OuterRef("pk"), key_result__objective_id__in=cascade)
            )
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
    return (
        key_results.alias(covered=_served_by_active_item())
        .filter(covered=False)
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


def picker_key_results(cycle: Cycle, query: str = ""):
    """The cycle's key results matching `query` (title, or objective title), grouped by
    objective in the template: ordered by objective."""
    key_results = KeyResult.objects.in_cycle(cycle)
    query = query.strip()
    if query:
        key_results = key_results.filter(
            Q(title__icontains=query) | Q(objective__title__icontains=query)
        )
    return key_results.select_related("objective", "objective__product").order_by(
        "objective__depth",
        "objective__product__name",
        "objective__position",
        "objective_id",
        "position",
        "id",
    )

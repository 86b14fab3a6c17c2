"""Reads behind the quarterly review /p/<slug>/review/: one cycle told as a presentation.

Every number is a stored roll-up (`Cycle.progress`, `Objective.progress`,
`KeyResult.progress`, `final_score`); statuses are derived when read. The whole review
costs a fixed number of queries whatever the size of the cycle.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import BooleanField, ExpressionWrapper, F, Q, Window
from django.db.models.functions import DenseRank

from okrs.models import Cycle, KeyResult, Objective
from okrs.progress import Grade, Status, final_score, grade
from okrs.status import expected_progress, status_of
from roadmap.alignment import IdIn, root_case
from roadmap.models import ACTIVE_STATUSES, Alignment, ItemStatus

TROUBLE = {Status.AT_RISK, Status.OFF_TRACK}
# Items a slide lists under "Shipped" and under "At risk"; the rest are counted, and
# "Show all" lists them (`?expand=<objective id>:shipped`).
REVIEW_ITEMS = 8
# Objective slides rendered with the page; the others load when they come into view (or
# all at once with `?slides=all`, for printing and reading without JavaScript).
REVIEW_SLIDES = 4
OBJECTIVE_FIELDS = (
    "id",
    "parent_id",
    "product_id",
    "title",
    "description",
    "kind",
    "progress",
    "final_score",
)


@dataclass
class KeyResultRow:
    key_result: KeyResult
    status: Status
    grade: Grade | None


@dataclass
class ReviewItem:
    """A roadmap item as a slide lists it."""

    pk: int
    title: str
    product_name: str
    status: str

    def get_status_display(self) -> str:
        return ItemStatus(self.status).label


@dataclass
class ReviewSection:
    objective: Objective
    status: Status
    grade: Grade | None
    key_results: list[KeyResultRow] = field(default_factory=list)
    # The first `REVIEW_ITEMS` of each list (all of one list when it is expanded), and
    # how many there are in all.
    shipped: list[ReviewItem] = field(default_factory=list)
    at_risk: list[ReviewItem] = field(default_factory=list)
    shipped_count: int = 0
    at_risk_count: int = 0
    product_objective_count: int = 0
    number: int = 0  # 1 for the first portfolio objective
    loaded: bool = True  # False: only the heading; the page loads the rest when shown

    @property
    def pk(self) -> int:
        return self.objective.pk

    @property
    def shipped_hidden(self) -> int:
        return self.shipped_count - len(self.shipped)

    @property
    def at_risk_hidden(self) -> int:
        return self.at_risk_count - len(self.at_risk)


@dataclass
class Review:
    cycle: Cycle | None
    expected: float | None = None
    status: Status = Status.NO_DATA
    grade: Grade | None = None
    score: float | None = None
    sections: list[ReviewSection] = field(default_factory=list)
    status_counts: dict = field(default_factory=dict)

    @property
    def is_closed(self) -> bool:
        return self.cycle is not None and self.cycle.is_closed

    @property
    def has_pending(self) -> bool:
        return any(not section.loaded for section in self.sections)


def _section_of(objectives: dict[int, Objective]) -> dict[int, int]:
    """Each objective's nearest portfolio-level ancestor (itself when portfolio-level)."""
    owner: dict[int, int] = {}
    for objective in objectives.values():
        current = objective
        seen = set()
        while current is not None and current.product_id is not None and current.pk not in seen:
            seen.add(current.pk)
            current = objectives.get(current.parent_id)
        if current is not None and current.product_id is None:
            owner[objective.pk] = current.pk
    return owner


def _section_work(kr_section: dict[int, int], trouble: list[int]):
    """Alignments (to a key result of a section's cascade) of items that shipped, or of
    active items serving an at-risk or off-track key result; each with its `section`
    (the portfolio objective) and `is_shipped`."""
    return (
        Alignment.objects.filter(IdIn(F("key_result_id"), kr_section), item__is_archived=False)
        .filter(
            Q(item__status=ItemStatus.DONE)
            | Q(IdIn(F("key_result_id"), trouble), item__status__in=ACTIVE_STATUSES)
        )
        .annotate(
            section=root_case(kr_section, "key_result_id"),
            is_shipped=ExpressionWrapper(
                Q(item__status=ItemStatus.DONE), output_field=BooleanField()
            ),
        )
        .order_by()
    )


def _listed(work, expand: tuple[int, str] | None) -> list[dict]:
    """The first `REVIEW_ITEMS` items of every list and each list's `total` (in one
    query, ranked in SQL), plus every item of the expanded list, in slide order; an item
    aligned to several key results of a section comes once per alignment, next to itself.

    `DENSE_RANK` gives an item the same rank on each of its alignments, so a list's
    distinct items count `rank + rank from the end - 1` on any of its rows.
    """
    fields = ("section", "is_shipped", "item_id", "item__title", "item__status")
    order = ("item__product__name", "item__title", "item_id")
    partition = [F("section"), F("is_shipped")]
    ranked = work.annotate(
        rank=Window(
            DenseRank(), partition_by=partition, order_by=[F(name).asc() for name in order]
        ),
        rank_from_end=Window(
            DenseRank(), partition_by=partition, order_by=[F(name).desc() for name in order]
        ),
    )
    rows = list(
        ranked.filter(rank__lte=REVIEW_ITEMS)
        .annotate(total=F("rank") + F("rank_from_end") - 1)
        .values(*fields, "item__product__name", "total")
        .order_by(*order)
    )
    totals = {(row["section"], row["is_shipped"]): row["total"] for row in rows}
    if expand:
        section_id, kind = expand
        chosen = (section_id, kind == "shipped")
        rows = [row for row in rows if (row["section"], row["is_shipped"]) != chosen]
        rows += [
            {**row, "total": totals.get(chosen, 0)}
            for row in work.filter(section=section_id, is_shipped=chosen[1])
            .values(*fields, "item__product__name")
            .order_by(*order)
        ]
    return sorted(rows, key=lambda row: tuple(row[name] for name in order))


def review_of(
    cycle: Cycle | None,
    *,
    expand: tuple[int, str] | None = None,
    slide: int | None = None,
    every_slide: bool = False,
) -> Review:
    """The review of a cycle.

    Every section carries its objective and status (the agenda); the first
    `REVIEW_SLIDES` sections, the `slide` and the `expand`ed one (or all, with
    `every_slide`) also carry their key results and work (`loaded`): the page loads the
    others when they come into view. `expand=(objective id, "shipped" or "at_risk")`
    lists one slide's list in full.
    """
    if cycle is None:
        return Review(cycle=None)
    expected = expected_progress(cycle)
    closed = cycle.is_closed
    review = Review(
        cycle=cycle,
        expected=expected,
        status=status_of(cycle.progress, expected),
        score=final_score(cycle.progress) if closed else None,
    )
    review.grade = grade(review.score) if closed else None

    objectives = {
        objective.pk: objective
        for objective in Objective.objects.in_cycle(cycle)
        .only(*OBJECTIVE_FIELDS)
        .order_by("depth", "position", "id")
    }
    section_of = _section_of(objectives)
    sections: dict[int, ReviewSection] = {}
    for objective in objectives.values():
        if objective.product_id is None:
            sections[objective.pk] = ReviewSection(
                objective=objective,
                status=status_of(objective.progress, expected),
                grade=grade(objective.final_score) if closed else None,
                number=len(sections) + 1,
            )
        elif objective.pk in section_of:
            sections[section_of[objective.pk]].product_objective_count += 1
    chosen = {slide, expand[0] if expand else None}
    for section in sections.values():
        section.loaded = every_slide or section.number <= REVIEW_SLIDES or section.pk in chosen
    loaded = [pk for pk, section in sections.items() if section.loaded]

    # Every key result's status (a pure function of stored numbers), as light rows; the
    # slides show only the portfolio objectives' own key results in full.
    kr_section: dict[int, int] = {}
    trouble: list[int] = []
    for kr_id, objective_id, progress, confidence in (
        KeyResult.objects.in_cycle(cycle)
        .order_by()
        .values_list("id", "objective_id", "progress", "confidence")
    ):
        if objective_id in section_of and sections[section_of[objective_id]].loaded:
            kr_section[kr_id] = section_of[objective_id]
            if status_of(progress, expected, confidence) in TROUBLE:
                trouble.append(kr_id)
    for kr in KeyResult.objects.filter(objective_id__in=loaded):
        status = status_of(kr.progress, expected, kr.confidence)
        sections[kr.objective_id].key_results.append(
            KeyResultRow(
                key_result=kr, status=status, grade=grade(kr.final_score) if closed else None
            )
        )

    # Shipped and at-risk work per section: counted in SQL, the first few listed.
    if kr_section:
        work = _section_work(kr_section, trouble)
        for row in _listed(work, expand):
            section = sections[row["section"]]
            if row["is_shipped"]:
                items, section.shipped_count = section.shipped, row["total"]
            else:
                items, section.at_risk_count = section.at_risk, row["total"]
            if not items or items[-1].pk != row["item_id"]:
                items.append(
                    ReviewItem(
                        pk=row["item_id"],
                        title=row["item__title"],
                        product_name=row["item__product__name"],
                        status=row["item__status"],
                    )
                )

    review.sections = list(sections.values())
    counts: dict[Status, int] = defaultdict(int)
    for section in review.sections:
        counts[section.status] += 1
    review.status_counts = [
        (status, counts[status])
        for status in (
            Status.ACHIEVED,
            Status.ON_TRACK,
            Status.AT_RISK,
            Status.OFF_TRACK,
            Status.NO_DATA,
        )
        if counts[status]
    ]
    return review

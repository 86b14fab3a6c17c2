"""Reads behind the quarterly review /p/<slug>/review/: one cycle told as a presentation.

Every number is a stored roll-up (`Cycle.progress`, `Objective.progress`,
`KeyResult.progress`, `final_score`); statuses are derived when read. The whole review
costs a fixed number of queries whatever the size of the cycle.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from okrs.models import Cycle, KeyResult, Objective
from okrs.progress import Grade, Status, final_score, grade
from okrs.selectors import objective_tree
from okrs.status import expected_progress, status_of
from roadmap.models import Alignment, ItemStatus, RoadmapItem

TROUBLE = {Status.AT_RISK, Status.OFF_TRACK}


@dataclass
class KeyResultRow:
    key_result: KeyResult
    status: Status
    grade: Grade | None


@dataclass
class ReviewSection:
    objective: Objective
    status: Status
    grade: Grade | None
    key_results: list[KeyResultRow] = field(default_factory=list)
    shipped: list[RoadmapItem] = field(default_factory=list)
    at_risk: list[RoadmapItem] = field(default_factory=list)
    product_objective_count: int = 0


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


def review_of(cycle: Cycle | None) -> Review:
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

    objectives = {objective.pk: objective for objective in objective_tree(cycle)}
    section_of = _section_of(objectives)
    sections: dict[int, ReviewSection] = {}
    kr_section: dict[int, int] = {}
    kr_status: dict[int, Status] = {}
    for objective in objectives.values():
        if objective.product_id is None:
            sections[objective.pk] = ReviewSection(
                objective=objective,
                status=status_of(objective.progress, expected),
                grade=grade(objective.final_score) if closed else None,
            )
    for objective in objectives.values():
        section_id = section_of.get(objective.pk)
        if section_id is None:
            continue
        section = sections[section_id]
        if objective.product_id is not None:
            section.product_objective_count += 1
        for kr in objective.key_results.all():
            kr_section[kr.pk] = section_id
            kr_status[kr.pk] = status_of(kr.progress, expected, kr.confidence)
            if objective.pk == section_id:
                section.key_results.append(
                    KeyResultRow(
                        key_result=kr,
                        status=kr_status[kr.pk],
                        grade=grade(kr.final_score) if closed else None,
                    )
                )

    alignments = (
        Alignment.objects.filter(key_result__objective__cycle=cycle, item__is_archived=False)
        .select_related("item", "item__product")
        .only(
            "key_result_id",
            "item__id",
            "item__title",
            "item__status",
            "item__ends_on",
            "item__product__id",
            "item__product__name",
        )
        .order_by("item__product__name", "item__title", "item__id")
    )
    shipped: dict[int, dict[int, RoadmapItem]] = defaultdict(dict)
    at_risk: dict[int, dict[int, RoadmapItem]] = defaultdict(dict)
    for alignment in alignments:
        section_id = kr_section.get(alignment.key_result_id)
        if section_id is None:
            continue
        item = alignment.item
        if item.status == ItemStatus.DONE:
            shipped[section_id][item.pk] = item
        elif item.is_active and kr_status[alignment.key_result_id] in TROUBLE:
            at_risk[section_id][item.pk] = item
    for section_id, section in sections.items():
        section.shipped = list(shipped[section_id].values())
        section.at_risk = list(at_risk[section_id].values())

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

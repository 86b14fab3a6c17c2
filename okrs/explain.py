"""Breakdowns behind every progress number ("explain this number", DESIGN.md §5).

Built from stored values only (key results' and objectives' cached progress, their
weights), with `okrs.progress.explain_weighted_mean`, so a breakdown shows exactly the
inputs the roll-up used and never recomputes anything from check-ins.
"""

from dataclasses import dataclass

from django.db.models import Prefetch, Q

from okrs.models import Cycle, KeyResult, Objective, ProductProgress
from okrs.progress import Contribution, explain_weighted_mean


@dataclass(frozen=True)
class Breakdown:
    title: str
    subject: str
    stored: float | None
    explanation: dict
    note: str
    kinds: list[str]

    @property
    def rows(self) -> list[dict]:
        return [
            {**row, "kind": kind}
            for row, kind in zip(self.explanation["contributions"], self.kinds, strict=True)
        ]


def _breakdown(*, title, subject, stored, parts, note) -> Breakdown:
    contributions = [
        Contribution(label, float(weight), progress) for _, label, weight, progress in parts
    ]
    return Breakdown(
        title=title,
        subject=subject,
        stored=stored,
        explanation=explain_weighted_mean(contributions),
        note=note,
        kinds=[kind for kind, *_ in parts],
    )


def objective_breakdown(objective: Objective) -> Breakdown:
    """Its key results and, with `rollup_children`, its child objectives. Two queries."""
    objective = (
        Objective.objects.filter(pk=objective.pk)
        .prefetch_related(
            Prefetch(
                "key_results",
                queryset=KeyResult.objects.only("title", "weight", "progress", "objective_id"),
            ),
            Prefetch(
                "children",
                queryset=Objective.objects.only("title", "weight", "progress", "parent_id"),
            ),
        )
        .get()
    )
    parts = [("Key result", kr.title, kr.weight, kr.progress) for kr in objective.key_results.all()]
    children = list(objective.children.all())
    if objective.rollup_children:
        parts += [("Objective", child.title, child.weight, child.progress) for child in children]
        note = "Its key results and its cascading objectives, each by its weight."
    else:
        note = "Its key results only: this objective does not count its cascading objectives."
        if children:
            plural = "s" if len(children) > 1 else ""
            note += f" ({len(children)} cascading objective{plural} left out.)"
    return _breakdown(
        title=objective.title,
        subject="objective",
        stored=objective.progress,
        parts=parts,
        note=note,
    )


def product_breakdown(cycle: Cycle, product) -> Breakdown:
    """The product's top-level objectives: those whose parent is not of the same product."""
    objectives = (
        Objective.objects.in_cycle(cycle)
        .for_product(product)
        .filter(
            Q(parent__isnull=True) | ~Q(parent__product=product) | Q(parent__product__isnull=True)
        )
        .only("title", "weight", "progress")
        .order_by("position", "id")
    )
    stored = (
        ProductProgress.objects.filter(cycle=cycle, product=product)
        .values_list("progress", flat=True)
        .first()
    )
    parts = [("Objective", o.title, o.weight, o.progress) for o in objectives]
    return _breakdown(
        title=product.name,
        subject="product",
        stored=stored,
        parts=parts,
        note="The product's top-level objectives in this cycle, each by its weight.",
    )


def portfolio_breakdown(cycle: Cycle) -> Breakdown:
    """The portfolio-level root objectives of the cycle."""
    objectives = (
        Objective.objects.in_cycle(cycle)
        .portfolio_level()
        .roots()
        .only("title", "weight", "progress")
        .order_by("position", "id")
    )
    parts = [("Objective", o.title, o.weight, o.progress) for o in objectives]
    return _breakdown(
        title=f"{cycle.portfolio.name} · {cycle.name}",
        subject="portfolio",
        stored=cycle.progress,
        parts=parts,
        note="The portfolio-level objectives at the top of the cascade, each by its weight.",
    )

"""A generated portfolio for measuring Lodestar at size (`manage.py seed_scale`).

Everything is bulk-inserted in batches, then one `recompute_cycle` computes every
number, exactly as the roll-up would have. The shape follows a real organisation:
a three-level cascade of objectives, weekly check-ins, roadmaps of a few hundred
items per product, most of them aligned, a few dependencies (always pointing from a
later item to an earlier one of the same product, so they never form a loop).
"""

import random
import sys
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from okrs.models import CheckIn, Cycle, CycleState, KeyResult, Measure, Objective
from okrs.rollup import recompute_cycle
from portfolio.models import Membership, Portfolio, Product, Role
from roadmap.models import Alignment, Dependency, Horizon, ItemStatus, RoadmapItem
from teams.models import User

PASSWORD = "lodestar-scale"
BATCH = 2000


@dataclass(frozen=True)
class Size:
    products: int
    product_managers: int
    objectives: int
    key_results: int
    check_ins: int
    items: int
    alignments: int
    dependencies: int


SIZES = {
    "small": Size(5, 10, 50, 250, 10_000, 1_000, 2_000, 200),
    "large": Size(50, 100, 500, 2_500, 100_000, 10_000, 20_000, 2_000),
    "huge": Size(500, 1_000, 5_000, 25_000, 1_000_000, 100_000, 200_000, 20_000),
}

MEASURES = (
    [Measure.INCREASE] * 5
    + [Measure.DECREASE] * 2
    + [
        Measure.STAY_ABOVE,
        Measure.STAY_BELOW,
        Measure.MILESTONE,
    ]
)


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int, stream=None):
        self.label, self.total, self.done = label, max(total, 1), 0
        self.stream = stream or sys.stderr

    def advance(self, count: int) -> None:
        self.done += count
        share = min(self.done / self.total, 1)
        bar = "█" * int(share * 30)
        self.stream.write(f"\r{self.label:<14} {bar:<30} {self.done:>9,}/{self.total:,}")
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def _insert(model, rows: list, label: str, stream=None) -> list:
    bar = Progress(label, len(rows), stream)
    saved = []
    for start in range(0, len(rows), BATCH):
        chunk = model.objects.bulk_create(rows[start : start + BATCH])
        saved.extend(chunk)
        bar.advance(len(chunk))
    return saved


class ScaleBuilder:
    def __init__(self, size: str, *, slug: str | None = None, stream=None, seed: int = 7):
        self.size = SIZES[size]
        self.slug = slug or f"scale-{size}"
        self.random = random.Random(seed)
        self.stream = stream
        self.today = timezone.localdate()

    def build(self) -> Portfolio:
        if Portfolio.objects.filter(slug=self.slug).exists():
            raise ValueError(f"A portfolio with the slug {self.slug!r} already exists.")
        with transaction.atomic():
            portfolio = Portfolio.objects.create(name=f"Scale ({self.slug})", slug=self.slug)
            people = self.people(portfolio)
            products = self.products(portfolio, people)
            cycle = Cycle.objects.create(
                portfolio=portfolio,
                name=f"Scale {self.today.year}",
                starts_on=self.today - timedelta(days=56),
                ends_on=self.today + timedelta(days=35),
                state=CycleState.ACTIVE,
            )
            objectives = self.objectives(cycle, products, people)
            key_results = self.key_results(objectives, people)
            self.check_ins(cycle, key_results, people)
            items = self.items(products, people)
            self.alignments(items, key_results, objectives)
            self.dependencies(items)
        recompute_cycle(cycle.pk)
        return portfolio

    def people(self, portfolio) -> dict:
        password = make_password(PASSWORD)
        prefix = self.slug.replace("-", "_")
        users = _insert(
            User,
            [User(username=f"{prefix}_director", display_name="Scale Director", password=password)]
            + [
                User(username=f"{prefix}_pm{n}", display_name=f"PM {n}", password=password)
                for n in range(self.size.product_managers)
            ]
            + [
                User(
                    username=f"{prefix}_contributor{n}",
                    display_name=f"Contributor {n}",
                    password=password,
                )
                for n in range(10)
            ]
            + [
                User(
                    username=f"{prefix}_stakeholder", display_name="Stakeholder", password=password
                )
            ],
            "people",
            self.stream,
        )
        users = list(User.objects.filter(username__startswith=f"{prefix}_").order_by("id"))
        director, *rest = users
        managers = rest[: self.size.product_managers]
        contributors = rest[self.size.product_managers : -1]
        stakeholder = rest[-1]
        roles = (
            [(director, Role.DIRECTOR), (stakeholder, Role.STAKEHOLDER)]
            + [(user, Role.PRODUCT_MANAGER) for user in managers]
            + [(user, Role.CONTRIBUTOR) for user in contributors]
        )
        Membership.objects.bulk_create(
            Membership(portfolio=portfolio, user=user, role=role) for user, role in roles
        )
        return {"director": director, "managers": managers, "contributors": contributors}

    def products(self, portfolio, people) -> list[Product]:
        managers = people["managers"]
        return _insert(
            Product,
            [
                Product(
                    portfolio=portfolio,
                    name=f"Product {n + 1}",
                    slug=f"product-{n + 1}",
                    owner=managers[n % len(managers)],
                )
                for n in range(self.size.products)
            ],
            "products",
            self.stream,
        )

    def objectives(self, cycle, products, people) -> list[Objective]:
        """Portfolio roots (5 %), one layer of product objectives, then nested ones."""
        total = self.size.objectives
        roots = max(total // 20, 1)
        level_one = max((total - roots) * 2 // 5, len(products))
        level_two = max(total - roots - level_one, 0)
        director = people["director"]
        saved_roots = _insert(
            Objective,
            [
                Objective(
                    cycle=cycle,
                    title=f"Portfolio objective {n + 1}",
                    owner=director,
                    depth=0,
                    position=n,
                )
                for n in range(roots)
            ],
            "objectives 1/3",
            self.stream,
        )
        first = _insert(
            Objective,
            [
                Objective(
                    cycle=cycle,
                    product=products[n % len(products)],
                    parent=saved_roots[n % len(saved_roots)],
                    owner=products[n % len(products)].owner,
                    title=f"Product objective {n + 1}",
                    depth=1,
                    position=n,
                )
                for n in range(level_one)
            ],
            "objectives 2/3",
            self.stream,
        )
        second = _insert(
            Objective,
            [
                Objective(
                    cycle=cycle,
                    product=first[n % len(first)].product,
                    parent=first[n % len(first)],
                    owner=first[n % len(first)].owner,
                    title=f"Nested objective {n + 1}",
                    depth=2,
                    position=n,
                )
                for n in range(level_two)
            ],
            "objectives 3/3",
            self.stream,
        )
        return saved_roots + first + second

    def key_results(self, objectives, people) -> list[KeyResult]:
        rows = []
        contributors = people["contributors"]
        for n in range(self.size.key_results):
            objective = objectives[n % len(objectives)]
            measure = self.random.choice(MEASURES)
            start, target = {
                Measure.INCREASE: (Decimal(100), Decimal(200)),
                Measure.DECREASE: (Decimal(50), Decimal(20)),
                Measure.STAY_ABOVE: (Decimal(95), Decimal(99)),
                Measure.STAY_BELOW: (Decimal(5), Decimal(2)),
                Measure.MILESTONE: (Decimal(0), Decimal(1)),
            }[measure]
            owner = objective.owner if n % 3 else contributors[n % len(contributors)]
            rows.append(
                KeyResult(
                    objective=objective,
                    owner=owner,
                    title=f"Key result {n + 1}",
                    measure=measure,
                    start_value=start,
                    target_value=target,
                    current_value=start,
                    position=n,
                )
            )
        return _insert(KeyResult, rows, "key results", self.stream)

    def check_ins(self, cycle, key_results, people) -> None:
        per = max(self.size.check_ins // len(key_results), 1)
        days = (self.today - cycle.starts_on).days
        rows, latest = [], {}
        for key_result in key_results:
            pace = self.random.uniform(0.2, 1.3)
            for index in range(per):
                day = cycle.starts_on + timedelta(days=int(days * (index + 1) / (per + 1)))
                moment = timezone.make_aware(datetime.combine(day, time(9 + index % 8)))
                value = self.value(key_result, pace * (index + 1) / per)
                rows.append(
                    CheckIn(
                        key_result=key_result,
                        author=key_result.owner,
                        value=value,
                        confidence=self.random.randint(2, 9),
                        note="",
                        checked_in_at=moment,
                    )
                )
                latest[key_result.pk] = (value, moment)
        _insert(CheckIn, rows, "check-ins", self.stream)
        for key_result in key_results:
            key_result.current_value, key_result.last_checked_in_at = latest[key_result.pk]
            key_result.confidence = self.random.randint(2, 9)
        KeyResult.objects.bulk_update(
            key_results, ["current_value", "last_checked_in_at", "confidence"], batch_size=BATCH
        )

    def value(self, key_result, share: float) -> Decimal:
        if key_result.measure == Measure.MILESTONE:
            return Decimal(1) if share > 0.9 else Decimal(0)
        if key_result.measure in (Measure.STAY_ABOVE, Measure.STAY_BELOW):
            holding = self.random.random() < 0.8
            return key_result.target_value if holding else key_result.start_value
        span = key_result.target_value - key_result.start_value
        return (key_result.start_value + span * Decimal(str(round(min(share, 1.1), 3)))).quantize(
            Decimal("0.01")
        )

    def items(self, products, people) -> list[RoadmapItem]:
        rows = []
        statuses = [
            ItemStatus.IDEA,
            ItemStatus.PLANNED,
            ItemStatus.PLANNED,
            ItemStatus.IN_PROGRESS,
            ItemStatus.IN_PROGRESS,
            ItemStatus.DONE,
        ]
        horizons = [Horizon.NOW, Horizon.NOW, Horizon.NEXT, Horizon.NEXT, Horizon.LATER]
        for n in range(self.size.items):
            product = products[n % len(products)]
            dated = n % 4 != 0
            starts_on = self.today + timedelta(days=self.random.randint(-60, 120))
            rows.append(
                RoadmapItem(
                    product=product,
                    owner=product.owner,
                    title=f"Roadmap item {n + 1}",
                    status=statuses[n % len(statuses)],
                    horizon=horizons[n % len(horizons)],
                    starts_on=starts_on if dated else None,
                    ends_on=starts_on + timedelta(days=self.random.randint(7, 60))
                    if dated
                    else None,
                    effort=self.random.choice([1, 2, 3, 5, 8, 13]),
                    position=n // len(products),
                )
            )
        return _insert(RoadmapItem, rows, "roadmap items", self.stream)

    def alignments(self, items, key_results, objectives) -> None:
        by_product: dict[int | None, list[KeyResult]] = {}
        product_of = {objective.pk: objective.product_id for objective in objectives}
        for key_result in key_results:
            by_product.setdefault(product_of[key_result.objective_id], []).append(key_result)
        # About one item in eight serves nothing; the rest share the alignments evenly.
        aligned = [item for index, item in enumerate(items) if index % 8]
        base, extra = divmod(self.size.alignments, len(aligned))
        rows = []
        for index, item in enumerate(aligned):
            pool = by_product.get(item.product_id) or by_product[None]
            wanted = min(base + (index < extra), len(pool))
            rows.extend(
                Alignment(item=item, key_result=key_result)
                for key_result in self.random.sample(pool, wanted)
            )
        _insert(Alignment, rows[: self.size.alignments], "alignments", self.stream)

    def dependencies(self, items) -> None:
        by_product: dict[int, list[RoadmapItem]] = {}
        for item in items:
            by_product.setdefault(item.product_id, []).append(item)
        rows, seen = [], set()
        products = list(by_product.values())
        while len(rows) < self.size.dependencies:
            column = self.random.choice(products)
            if len(column) < 2:
                break
            blocking, blocked = sorted(self.random.sample(range(len(column)), 2))
            pair = (column[blocked].pk, column[blocking].pk)
            if pair not in seen:
                seen.add(pair)
                rows.append(
                    Dependency(blocked_item=column[blocked], blocking_item=column[blocking])
                )
        _insert(Dependency, rows, "dependencies", self.stream)

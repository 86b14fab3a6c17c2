"""The demo portfolio `acme` (DESIGN.md §8), built through the same services as the app.

Dates are relative to today: the active cycle is the current calendar quarter, and
its check-in history is replayed week by week so that burn-up charts have a past.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from okrs import rollup, tasks
from okrs import services as okr_services
from okrs.models import CycleState, Measure
from portfolio import services as portfolio_services
from portfolio.models import Portfolio, Role
from roadmap import services as roadmap_services
from roadmap.models import Horizon, ItemStatus
from teams import services as team_services
from teams.models import Discipline, User

PASSWORD = "lodestar-demo"
SLUG = "acme"

PEOPLE = [
    ("dana", "Dana Whitfield", Role.DIRECTOR),
    ("priya", "Priya Raman", Role.PRODUCT_MANAGER),
    ("marco", "Marco Bellini", Role.PRODUCT_MANAGER),
    ("eli", "Eli Novak", Role.CONTRIBUTOR),
    ("sofia", "Sofia Lindqvist", Role.STAKEHOLDER),
]

TEAMS = [
    ("Product Management", Discipline.PRODUCT, "dana", ["dana", "priya", "marco"]),
    ("Product Design", Discipline.DESIGN, "eli", ["eli"]),
    ("Platform Engineering", Discipline.ENGINEERING, None, []),
    ("Data & Insights", Discipline.DATA, None, []),
    ("Revenue Operations", Discipline.BUSINESS_OPERATIONS, "sofia", ["sofia"]),
]

PRODUCTS = [
    (
        "Checkout",
        "priya",
        "Product Design",
        "Cart, payment and order confirmation for every channel.",
    ),
    ("Mobile App", "priya", "Platform Engineering", "The iOS and Android apps for field teams."),
    (
        "Onboarding",
        "priya",
        "Product Design",
        "Sign-up, guided setup and the first week of a new team.",
    ),
    (
        "Integrations Hub",
        "marco",
        "Platform Engineering",
        "Public API, webhooks and partner connectors.",
    ),
    ("Insights", "marco", "Data & Insights", "Dashboards, scheduled reports and the query engine."),
]


@dataclass(frozen=True)
class KR:
    """A key result and the story its check-ins tell: `pace` is the share of the
    straight-line plan it keeps up (1 = on plan), `confidence` its owner's mood."""

    title: str
    measure: str
    start: str
    target: str
    unit: str
    owner: str
    pace: float = 1.0
    confidence: int = 7
    weight: str = "1"


@dataclass(frozen=True)
class Obj:
    title: str
    owner: str
    key_results: tuple[KR, ...]
    product: str | None = None
    children: tuple["Obj", ...] = ()
    kind: str = "committed"
    description: str = ""


# fmt: off
OBJECTIVES = (
    Obj(
        'Make checkout effortless for every customer', 'dana',
        (
            KR('Net revenue retention', Measure.INCREASE, '104', '110', '%', 'dana', 0.9, 7),
        ),
        description='Revenue we keep depends on how easily customers pay and renew.',
        children=(
            Obj(
                'Cut checkout friction in half', 'priya',
                (
                    KR('Checkout conversion rate', Measure.INCREASE, '62', '70', '%', 'priya', 1.05, 8, '2'),
                    KR('Median time to pay', Measure.DECREASE, '95', '45', 's', 'eli', 0.7, 6),
                    KR('Payment error rate', Measure.STAY_BELOW, '1.8', '1.5', '%', 'priya', 1.0, 8),
                    KR('Apple Pay and Google Pay live', Measure.MILESTONE, '0', '1', '', 'priya', 1.0, 7),
                ),
                product='Checkout',
                children=(
                    Obj(
                        'Rebuild the payment form', 'eli',
                        (
                            KR('Payment form abandonment', Measure.DECREASE, '38', '25', '%', 'eli', 0.45, 4),
                        ),
                        product='Checkout',
                    ),
                ),
            ),
            Obj(
                'Ship a mobile experience field teams rate highly', 'priya',
                (
                    KR('App store rating', Measure.INCREASE, '3.9', '4.5', '★', 'priya', 0.8, 6),
                    KR('Crash-free sessions', Measure.STAY_ABOVE, '99.1', '99.5', '%', 'eli', 0.9, 5),
                    KR('Weekly active mobile users', Measure.INCREASE, '12000', '20000', 'users', 'priya', 0.35, 3),
                ),
                product='Mobile App',
            ),
        ),
    ),
    Obj(
        'Become the platform teams build on', 'dana',
        (
            KR('Partner-sourced ARR', Measure.INCREASE, '800000', '1500000', '€', 'dana', 0.6, 5),
        ),
        kind='aspirational',
        children=(
            Obj(
                'Open the platform to partners', 'marco',
                (
                    KR('Public API calls per day', Measure.INCREASE, '1200000', '3000000', 'calls', 'marco', 1.1, 8),
                    KR('Partner integrations live', Measure.INCREASE, '4', '12', 'integrations', 'marco', 0.75, 6),
                    KR('Webhooks v2 generally available', Measure.MILESTONE, '0', '1', '', 'marco', 0.0, 4),
                    KR('Teams using self-serve API keys', Measure.INCREASE, '20', '60', '%', 'marco', 0.25, 3),
                ),
                product='Integrations Hub',
            ),
        ),
    ),
    Obj(
        'Turn new sign-ups into active teams', 'dana',
        (
            KR('Trial-to-paid conversion', Measure.INCREASE, '9', '13', '%', 'dana', 0.85, 6),
        ),
        children=(
            Obj(
                'Get new teams to value in their first week', 'priya',
                (
                    KR('Week-one activation rate', Measure.INCREASE, '28', '40', '%', 'priya', 1.0, 7, '2'),
                    KR('Days to first dashboard', Measure.DECREASE, '3', '1', 'days', 'eli', 1.2, 8),
                    KR('Guided setup launched', Measure.MILESTONE, '0', '1', '', 'priya', 1.0, 8),
                    KR('Support tickets from new teams', Measure.DECREASE, '420', '250', 'tickets/month', 'eli', 0.9, 7),
                ),
                product='Onboarding',
            ),
        ),
    ),
    Obj(
        'Earn trust with reliability and insight', 'dana',
        (
            KR('Platform uptime', Measure.STAY_ABOVE, '99.95', '99.9', '%', 'dana', 1.0, 9),
            KR('Net promoter score', Measure.INCREASE, '31', '40', 'NPS', 'dana', 0.55, 5),
        ),
        children=(
            Obj(
                'Give every team answers without an analyst', 'marco',
                (
                    KR('Dashboards created per week', Measure.INCREASE, '150', '400', 'dashboards', 'marco', 0.95, 7),
                    KR('Report load time (p95)', Measure.DECREASE, '8', '3', 's', 'eli', 0.2, 2),
                    KR('Data freshness SLA met', Measure.STAY_ABOVE, '96', '98', '%', 'marco', 0.8, 6),
                ),
                product='Insights',
                children=(
                    Obj(
                        'Make scheduled reports the habit', 'marco',
                        (
                            KR('Scheduled reports sent per week', Measure.INCREASE, '500', '1500', 'reports', 'marco', 1.0, 7),
                            KR('Report unsubscribe rate', Measure.STAY_BELOW, '6', '5', '%', 'marco', 0.7, 6),
                        ),
                        product='Insights',
                    ),
                ),
            ),
        ),
    ),
)

# (title, horizon, status, start offset weeks, length weeks or None for undated, effort,
#  key results it serves (titles), alignment note)
ITEMS = {
    'Checkout': [
        ('One-page checkout', Horizon.NOW, ItemStatus.IN_PROGRESS, -6, 8, 13, ['Checkout conversion rate', 'Median time to pay'], 'Fewer steps, fewer drop-offs.'),
        ('Apple Pay and Google Pay', Horizon.NOW, ItemStatus.DONE, -8, 5, 8, ['Apple Pay and Google Pay live', 'Checkout conversion rate'], 'Wallets remove card entry on mobile.'),
        ('Inline card validation', Horizon.NOW, ItemStatus.IN_PROGRESS, -3, 4, 5, ['Payment form abandonment', 'Payment error rate'], 'Catch typos before the bank does.'),
        ('Saved carts across devices', Horizon.NOW, ItemStatus.PLANNED, 0, 5, 8, [], ''),
        ('3-D Secure 2 challenge flow', Horizon.NEXT, ItemStatus.PLANNED, 3, 4, 8, ['Payment error rate'], 'Fewer declined challenges.'),
        ('Address autocomplete', Horizon.NEXT, ItemStatus.PLANNED, 4, 3, 3, ['Median time to pay'], 'Typing an address is the slowest field.'),
        ('Buy now, pay later', Horizon.LATER, ItemStatus.IDEA, 12, 6, 13, [], ''),
        ('Checkout A/B testing framework', Horizon.LATER, ItemStatus.IDEA, None, None, 8, ['Checkout conversion rate'], 'Faster learning on conversion.'),
        ('Invoice payments for enterprise', Horizon.LATER, ItemStatus.IDEA, None, None, None, [], ''),
    ],
    'Mobile App': [
        ('Offline mode for field visits', Horizon.NOW, ItemStatus.IN_PROGRESS, -5, 9, 13, ['Weekly active mobile users'], 'Field teams lose signal on site.'),
        ('Crash reporting and triage', Horizon.NOW, ItemStatus.DONE, -9, 4, 5, ['Crash-free sessions'], ''),
        ('Push notification preferences', Horizon.NOW, ItemStatus.IN_PROGRESS, -2, 3, 3, ['App store rating'], 'Top complaint in store reviews.'),
        ('Tablet layout', Horizon.NEXT, ItemStatus.PLANNED, 3, 5, 8, ['Weekly active mobile users'], ''),
        ('In-app feedback prompt', Horizon.NEXT, ItemStatus.PLANNED, 2, 2, 2, ['App store rating'], 'Ask happy users at the right moment.'),
        ('Dark mode', Horizon.NEXT, ItemStatus.IDEA, None, None, 3, [], ''),
        ('Apple Watch companion', Horizon.LATER, ItemStatus.IDEA, None, None, 13, [], ''),
        ('Biometric sign-in', Horizon.LATER, ItemStatus.IDEA, 14, 3, 5, ['App store rating'], ''),
    ],
    'Onboarding': [
        ('Guided setup checklist', Horizon.NOW, ItemStatus.DONE, -8, 6, 8, ['Guided setup launched', 'Week-one activation rate'], 'A clear path to the first win.'),
        ('Sample data workspace', Horizon.NOW, ItemStatus.IN_PROGRESS, -3, 5, 5, ['Days to first dashboard'], 'See value before importing anything.'),
        ('Invite teammates step', Horizon.NOW, ItemStatus.PLANNED, 1, 3, 3, [], ''),
        ('Welcome e-mail sequence', Horizon.NEXT, ItemStatus.PLANNED, 3, 4, 3, ['Trial-to-paid conversion'], 'Nudge trials at day 3 and day 10.'),
        ('Role-based templates', Horizon.NEXT, ItemStatus.PLANNED, 5, 4, 8, ['Week-one activation rate'], ''),
        ('Single sign-on at sign-up', Horizon.LATER, ItemStatus.IDEA, None, None, 8, [], ''),
        ('Interactive product tour', Horizon.LATER, ItemStatus.IDEA, 13, 4, 5, ['Week-one activation rate'], ''),
    ],
    'Integrations Hub': [
        ('Webhooks v2', Horizon.NOW, ItemStatus.IN_PROGRESS, -7, 12, 13, ['Webhooks v2 generally available', 'Public API calls per day'], 'Reliable events unlock partner builds.'),
        ('Salesforce connector', Horizon.NOW, ItemStatus.IN_PROGRESS, -4, 6, 8, ['Partner integrations live', 'Partner-sourced ARR'], 'Largest partner pipeline.'),
        ('API key self-service', Horizon.NOW, ItemStatus.PLANNED, 1, 4, 5, ['Teams using self-serve API keys'], ''),
        ('Rate-limit dashboard', Horizon.NOW, ItemStatus.PLANNED, 0, 3, 3, [], ''),
        ('HubSpot connector', Horizon.NEXT, ItemStatus.PLANNED, 4, 6, 8, ['Partner integrations live'], ''),
        ('Partner directory', Horizon.NEXT, ItemStatus.PLANNED, 6, 4, 5, ['Partner-sourced ARR'], 'Let customers find partner apps.'),
        ('GraphQL API', Horizon.LATER, ItemStatus.IDEA, None, None, 21, [], ''),
        ('Zapier app', Horizon.LATER, ItemStatus.IDEA, 12, 4, 5, ['Partner integrations live'], ''),
        ('SCIM provisioning', Horizon.LATER, ItemStatus.IDEA, None, None, 8, [], ''),
    ],
    'Insights': [
        ('Query engine caching', Horizon.NOW, ItemStatus.IN_PROGRESS, -6, 7, 13, ['Report load time (p95)'], 'Most reports re-run the same queries.'),
        ('Dashboard templates gallery', Horizon.NOW, ItemStatus.DONE, -9, 5, 5, ['Dashboards created per week'], ''),
        ('Freshness alerts', Horizon.NOW, ItemStatus.IN_PROGRESS, -2, 3, 3, ['Data freshness SLA met', 'Platform uptime'], 'Know before customers do.'),
        ('Usage analytics export', Horizon.NOW, ItemStatus.PLANNED, 0, 3, 3, [], ''),
        ('Scheduled PDF reports', Horizon.NEXT, ItemStatus.PLANNED, 3, 4, 5, ['Scheduled reports sent per week'], ''),
        ('Natural-language questions', Horizon.NEXT, ItemStatus.IDEA, 6, 8, 21, ['Net promoter score', 'Dashboards created per week'], 'Answers without learning the query builder.'),
        ('Embedded dashboards', Horizon.LATER, ItemStatus.IDEA, None, None, 13, ['Partner-sourced ARR'], ''),
        ('Column-level permissions', Horizon.LATER, ItemStatus.IDEA, None, None, 8, [], ''),
    ],
}
# fmt: on

# (blocked item, blocking item)
DEPENDENCIES = [
    ("Saved carts across devices", "One-page checkout"),
    ("3-D Secure 2 challenge flow", "Inline card validation"),
    ("Partner directory", "Salesforce connector"),
    ("HubSpot connector", "Webhooks v2"),
    ("Zapier app", "Webhooks v2"),
    ("Scheduled PDF reports", "Query engine caching"),
    ("Tablet layout", "Offline mode for field visits"),
    ("Invite teammates step", "Guided setup checklist"),
]

NOTES = {
    "ahead": ["Ahead of plan.", "Launch effect is holding.", "Good week.", ""],
    "steady": ["On plan.", "Steady progress.", "", "Holding the line."],
    "behind": [
        "Slower than planned; dependency on Platform.",
        "Blocked on the data migration.",
        "Need a decision on scope.",
        "",
    ],
}


def current_quarter(today: date) -> tuple[str, date, date]:
    first_month = 3 * ((today.month - 1) // 3) + 1
    starts_on = date(today.year, first_month, 1)
    next_start = date(today.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
    return f"{today.year} Q{(first_month - 1) // 3 + 1}", starts_on, next_start - timedelta(days=1)


class DemoBuilder:
    def __init__(self, *, stdout=None):
        self.today = timezone.localdate()
        self.random = random.Random(2027)
        self.stdout = stdout
        self.people: dict[str, User] = {}
        self.key_results = {}
        self.items = {}

    def say(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message)

    def build(self) -> Portfolio | None:
        if Portfolio.objects.filter(slug=SLUG).exists():
            self.say("The demo portfolio 'acme' is already loaded: nothing to do.")
            return None
        with transaction.atomic(), tasks.rollups_deferred():
            portfolio = self.portfolio()
            cycle = self.cycle(portfolio)
            plans = self.objectives(cycle)
            self.roadmap(portfolio)
            self.history(cycle, plans)
        self.say(
            f"Loaded the demo portfolio 'acme': {len(PRODUCTS)} products, "
            f"{len(self.key_results)} key results, {len(self.items)} roadmap items. "
            f"Sign in as dana, priya, marco, eli or sofia with the password {PASSWORD!r}."
        )
        return portfolio

    def portfolio(self) -> Portfolio:
        for username, name, _ in PEOPLE:
            user = User.objects.filter(username=username).first()
            self.people[username] = user or team_services.user_create(
                username=username,
                email=f"{username}@acme.example",
                display_name=name,
                password=PASSWORD,
            )
        portfolio = portfolio_services.portfolio_create(
            name="Acme Cloud",
            slug=SLUG,
            description="The product portfolio of Acme Cloud: payments, mobile, onboarding, "
            "integrations and analytics.",
            director=self.people["dana"],
        )
        for username, _, role in PEOPLE[1:]:
            portfolio_services.membership_set(
                portfolio=portfolio, user=self.people[username], role=role
            )
        teams = {}
        for name, discipline, lead, members in TEAMS:
            teams[name] = team_services.team_create(
                name=name,
                discipline=discipline,
                lead=self.people.get(lead),
                members=[self.people[member] for member in members],
            )
        self.products = {
            name: portfolio_services.product_create(
                portfolio=portfolio,
                name=name,
                owner=self.people[owner],
                team=teams[team],
                description=description,
            )
            for name, owner, team, description in PRODUCTS
        }
        return portfolio

    def cycle(self, portfolio):
        name, starts_on, ends_on = current_quarter(self.today)
        cycle = okr_services.cycle_create(
            portfolio=portfolio,
            name=name,
            starts_on=starts_on,
            ends_on=ends_on,
            state=CycleState.ACTIVE,
        )
        next_name, next_start, next_end = current_quarter(ends_on + timedelta(days=1))
        okr_services.cycle_create(
            portfolio=portfolio, name=next_name, starts_on=next_start, ends_on=next_end
        )
        return cycle

    def objectives(self, cycle, specs=OBJECTIVES, parent=None) -> list[tuple]:
        plans = []
        for spec in specs:
            objective = okr_services.objective_create(
                cycle=cycle,
                title=spec.title,
                owner=self.people[spec.owner],
                product=self.products.get(spec.product),
                parent=parent,
                kind=spec.kind,
                description=spec.description,
            )
            for kr in spec.key_results:
                key_result = okr_services.key_result_create(
                    objective=objective,
                    title=kr.title,
                    measure=kr.measure,
                    start_value=Decimal(kr.start),
                    target_value=Decimal(kr.target),
                    unit=kr.unit,
                    owner=self.people[kr.owner],
                    weight=Decimal(kr.weight),
                )
                self.key_results[kr.title] = key_result
                plans.append((key_result, kr))
            plans += self.objectives(cycle, spec.children, objective)
        return plans

    def roadmap(self, portfolio) -> None:
        monday = self.today - timedelta(days=self.today.weekday())
        for product_name, rows in ITEMS.items():
            product = self.products[product_name]
            for title, horizon, status, start, weeks, effort, serves, note in rows:
                dated = start is not None and weeks is not None
                item = roadmap_services.roadmap_item_create(
                    product=product,
                    title=title,
                    owner=product.owner,
                    horizon=horizon,
                    # Finished work is recorded finishing (see `finish`).
                    status=ItemStatus.IN_PROGRESS if status == ItemStatus.DONE else status,
                    starts_on=monday + timedelta(weeks=start) if dated else None,
                    ends_on=monday + timedelta(weeks=start + weeks, days=-3) if dated else None,
                    effort=effort,
                )
                self.items[title] = item
                for key_result_title in serves:
                    alignment = roadmap_services.alignment_create(
                        item=item,
                        key_result=self.key_results[key_result_title],
                        created_by=product.owner,
                        note=note,
                    )
                    self.backdate(alignment, "created_at", days_ago=self.random.randint(10, 50))
                if status == ItemStatus.DONE:
                    self.finish(item, actor=product.owner)
        for blocked, blocking in DEPENDENCIES:
            roadmap_services.dependency_create(
                blocked_item=self.items[blocked], blocking_item=self.items[blocking]
            )

    def backdate(self, row, field: str, *, days_ago: int) -> None:
        """Activity happened over the cycle, not all at the moment of seeding."""
        moment = timezone.now() - timedelta(days=days_ago, hours=self.random.randint(1, 8))
        type(row).objects.filter(pk=row.pk).update(**{field: moment})

    def finish(self, item, *, actor) -> None:
        """Record a finished item as the change it was: in progress → done, when it ended."""
        roadmap_services.roadmap_item_update(item=item, actor=actor, status=ItemStatus.DONE)
        days_ago = max((self.today - item.ends_on).days, 1) if item.ends_on else 3
        self.backdate(item.changes.get(), "changed_at", days_ago=days_ago)

    def history(self, cycle, plans) -> None:
        """Weekly check-ins from the cycle's first Monday to today, replayed in order
        with a snapshot after each week's check-ins, so the burn-up charts have a past."""
        length = (cycle.ends_on - cycle.starts_on).days
        by_day: dict[date, list] = {}
        day = cycle.starts_on + timedelta(days=(7 - cycle.starts_on.weekday()) % 7)
        week = 0
        while day <= self.today:
            week += 1
            for key_result, plan in plans:
                if self.random.random() < 0.08 and day < self.today:
                    continue  # a missed week, as happens
                by_day.setdefault(day, []).append((key_result, plan, week))
            day += timedelta(days=7)
        day = cycle.starts_on
        while day <= self.today:
            check_ins = by_day.get(day, [])
            for key_result, plan, week in check_ins:
                elapsed = (day - cycle.starts_on).days / length
                okr_services.check_in_create(
                    key_result=key_result,
                    author=self.people[plan.owner],
                    value=self.value(plan, elapsed, week),
                    confidence=max(0, min(10, plan.confidence + self.random.choice([-1, 0, 0, 1]))),
                    note=self.note(plan),
                    checked_in_at=self.moment(day),
                )
            if check_ins or day in (cycle.starts_on, self.today):
                rollup.recompute_cycle(cycle.pk, day=day)
            day += timedelta(days=1)

    def moment(self, day: date) -> datetime:
        moment = timezone.make_aware(datetime.combine(day, time(9, 30)))
        return min(moment, timezone.now() - timedelta(minutes=5))

    def value(self, plan: KR, elapsed: float, week: int) -> Decimal:
        start, target = Decimal(plan.start), Decimal(plan.target)
        if plan.measure == Measure.MILESTONE:
            return Decimal(1) if plan.pace >= 1 and elapsed > 0.45 else Decimal(0)
        if plan.measure in (Measure.STAY_ABOVE, Measure.STAY_BELOW):
            wobble = Decimal(str(self.random.uniform(-0.25, 0.25))) * abs(target - start)
            holding = self.random.random() < plan.pace
            direction = 1 if plan.measure == Measure.STAY_ABOVE else -1
            settled = target + direction * abs(target - start) * Decimal("0.5")
            value = settled + wobble if holding else target - direction * abs(wobble)
            return value.quantize(Decimal("0.01"))
        share = min(1.0, plan.pace * elapsed * self.random.uniform(0.9, 1.1))
        value = start + (target - start) * Decimal(str(round(share, 4)))
        places = Decimal(1) if abs(target - start) >= 100 else Decimal("0.1")
        return value.quantize(places)

    def note(self, plan: KR) -> str:
        mood = "ahead" if plan.pace > 1 else "steady" if plan.pace >= 0.8 else "behind"
        return self.random.choice(NOTES[mood])

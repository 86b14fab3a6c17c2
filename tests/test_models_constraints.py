"""Every database constraint of the four apps refuses a bad row on its own.

Rows are written with `.save()`, which skips `full_clean()`: what is tested here is
the database, the last line of defence when a bug or a raw query bypasses the services.
Each case builds a good row (which must save, so the bad one fails for the right
reason) and a bad one that differs in what the constraint is about.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from okrs.models import CycleState, Measure, ProductProgress, ProgressSnapshot, SnapshotScope
from portfolio.models import Role
from roadmap.models import Dependency, EmailDelivery, RoadmapItemChange, ShareLink
from teams.models import Team, User
from tests.okrs.factories import CheckInFactory, CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.portfolio.factories import MembershipFactory, PortfolioFactory, ProductFactory
from tests.roadmap.factories import AlignmentFactory, DependencyFactory, RoadmapItemFactory
from tests.teams.factories import UserFactory

pytestmark = pytest.mark.django_db

APPS = ["teams", "portfolio", "okrs", "roadmap"]
TODAY = datetime.date(2027, 1, 15)

Case = Callable[[], tuple[models.Model, models.Model]]
CASES: dict[str, Case] = {}


def case(name: str):
    def register(build: Case) -> Case:
        CASES[name] = build
        return build

    return register


def varied(factory, field: str, good, bad, **kwargs):
    """Two unsaved rows from `factory` that differ only in `field`."""
    return factory.build(**{field: good}, **kwargs), factory.build(**{field: bad}, **kwargs)


# teams ------------------------------------------------------------------------------


@case("teams_user_email_unique_when_set")
def _():
    UserFactory(username="dana", email="dana@example.com")
    return (
        User(username="other", email="other@example.com"),
        User(username="impostor", email="DANA@example.com"),
    )


@case("teams.User.username")
def _():
    UserFactory(username="dana")
    return User(username="eli", email="eli@example.com"), User(username="dana", email="")


@case("teams.Team.name")
def _():
    Team.objects.create(name="Payments", discipline="engineering")
    return (
        Team(name="Search", discipline="engineering"),
        Team(name="Payments", discipline="design"),
    )


# portfolio --------------------------------------------------------------------------


@case("portfolio.Portfolio.slug")
def _():
    PortfolioFactory(slug="acme")
    return PortfolioFactory.build(slug="globex"), PortfolioFactory.build(slug="acme")


@case("portfolio_membership_unique_user")
def _():
    existing = MembershipFactory()
    return (
        MembershipFactory.build(portfolio=existing.portfolio, user=UserFactory()),
        MembershipFactory.build(portfolio=existing.portfolio, user=existing.user),
    )


@case("portfolio_membership_role_valid")
def _():
    portfolio = PortfolioFactory()
    return (
        MembershipFactory.build(portfolio=portfolio, user=UserFactory(), role=Role.STAKEHOLDER),
        MembershipFactory.build(portfolio=portfolio, user=UserFactory(), role="overlord"),
    )


@case("portfolio_product_unique_slug")
def _():
    existing = ProductFactory(slug="checkout")
    return (
        ProductFactory.build(portfolio=PortfolioFactory(), slug="checkout"),
        ProductFactory.build(portfolio=existing.portfolio, slug="checkout"),
    )


# okrs: cycles -----------------------------------------------------------------------


def cycle_pair(**good_and_bad):
    portfolio = PortfolioFactory()
    good = CycleFactory.build(portfolio=portfolio, name="Good")
    bad = CycleFactory.build(portfolio=portfolio, name="Bad")
    for field, (good_value, bad_value) in good_and_bad.items():
        setattr(good, field, good_value)
        setattr(bad, field, bad_value)
    return good, bad


@case("okrs_cycle_starts_before_it_ends")
def _():
    return cycle_pair(starts_on=(TODAY, TODAY), ends_on=(TODAY + datetime.timedelta(days=1), TODAY))


@case("okrs_cycle_state_valid")
def _():
    return cycle_pair(state=(CycleState.CLOSED, "abandoned"))


@case("okrs_cycle_unique_name")
def _():
    existing = CycleFactory(name="2027 Q1")
    return (
        CycleFactory.build(portfolio=PortfolioFactory(), name="2027 Q1"),
        CycleFactory.build(portfolio=existing.portfolio, name="2027 Q1"),
    )


@case("okrs_cycle_progress_in_range")
def _():
    return cycle_pair(progress=(1.0, 1.01))


# okrs: objectives -------------------------------------------------------------------


def objective_pair(field, good, bad):
    return varied(ObjectiveFactory, field, good, bad, cycle=CycleFactory())


@case("okrs_objective_weight_not_negative")
def _():
    return objective_pair("weight", Decimal(0), Decimal("-0.5"))


@case("okrs_objective_kind_valid")
def _():
    return objective_pair("kind", "aspirational", "wishful")


@case("okrs_objective_progress_in_range")
def _():
    return objective_pair("progress", 0.0, -0.1)


@case("okrs_objective_final_score_in_range")
def _():
    return objective_pair("final_score", 1.0, 1.5)


@case("okrs_objective_not_its_own_parent")
def _():
    cycle = CycleFactory()
    parent = ObjectiveFactory(cycle=cycle)
    good = ObjectiveFactory.build(cycle=cycle, parent=parent)
    bad = ObjectiveFactory(cycle=cycle)
    bad.parent_id = bad.pk
    return good, bad


# okrs: key results ------------------------------------------------------------------


def key_result_pair(**good_and_bad):
    objective = ObjectiveFactory()
    good, bad = (KeyResultFactory.build(objective=objective) for _ in range(2))
    for field, (good_value, bad_value) in good_and_bad.items():
        setattr(good, field, good_value)
        setattr(bad, field, bad_value)
    return good, bad


@case("okrs_key_result_weight_not_negative")
def _():
    return key_result_pair(weight=(Decimal(0), Decimal(-1)))


@case("okrs_key_result_increase_target_above_start")
def _():
    return key_result_pair(
        measure=(Measure.INCREASE, Measure.INCREASE),
        start_value=(Decimal(10), Decimal(10)),
        target_value=(Decimal(11), Decimal(10)),
    )


@case("okrs_key_result_decrease_target_below_start")
def _():
    return key_result_pair(
        measure=(Measure.DECREASE, Measure.DECREASE),
        start_value=(Decimal(10), Decimal(10)),
        target_value=(Decimal(5), Decimal(15)),
    )


@case("okrs_key_result_milestone_is_done_or_not")
def _():
    return key_result_pair(
        measure=(Measure.MILESTONE, Measure.MILESTONE),
        start_value=(Decimal(0), Decimal(0)),
        target_value=(Decimal(1), Decimal(1)),
        current_value=(Decimal(1), Decimal("0.5")),
    )


@case("okrs_key_result_measure_valid")
def _():
    return key_result_pair(measure=(Measure.STAY_ABOVE, "maximise"))


@case("okrs_key_result_confidence_in_range")
def _():
    return key_result_pair(confidence=(10, 11))


@case("okrs_key_result_progress_in_range")
def _():
    return key_result_pair(progress=(1.0, 1.2))


@case("okrs_key_result_forecast_in_range")
def _():
    return key_result_pair(forecast=(0.0, -0.2))


@case("okrs_key_result_final_score_in_range")
def _():
    return key_result_pair(final_score=(0.7, 7.0))


@case("okrs_check_in_confidence_in_range")
def _():
    key_result = KeyResultFactory()
    author = UserFactory()
    return varied(CheckInFactory, "confidence", 0, 11, key_result=key_result, author=author)


# okrs: cached progress --------------------------------------------------------------


@case("okrs_product_progress_unique")
def _():
    cycle = CycleFactory()
    product = ProductFactory(portfolio=cycle.portfolio)
    ProductProgress.objects.create(cycle=cycle, product=product, progress=0.5)
    other = ProductFactory(portfolio=cycle.portfolio)
    return (
        ProductProgress(cycle=cycle, product=other, progress=0.5),
        ProductProgress(cycle=cycle, product=product, progress=0.6),
    )


@case("okrs_product_progress_in_range")
def _():
    cycle = CycleFactory()
    return (
        ProductProgress(cycle=cycle, product=ProductFactory(), progress=None),
        ProductProgress(cycle=cycle, product=ProductFactory(), progress=1.5),
    )


def snapshot(cycle, *, scope=SnapshotScope.PORTFOLIO, scope_id=1, day=TODAY, **fields):
    fields = {"progress": 0.5, "expected": 0.5, **fields}
    return ProgressSnapshot(cycle=cycle, scope=scope, scope_id=scope_id, day=day, **fields)


@case("okrs_snapshot_unique_day")
def _():
    cycle = CycleFactory()
    snapshot(cycle).save()
    return snapshot(cycle, day=TODAY + datetime.timedelta(days=1)), snapshot(cycle, progress=0.6)


@case("okrs_snapshot_scope_valid")
def _():
    cycle = CycleFactory()
    return snapshot(cycle, scope=SnapshotScope.KEY_RESULT), snapshot(cycle, scope="team")


@case("okrs_snapshot_progress_in_range")
def _():
    cycle = CycleFactory()
    return snapshot(cycle, progress=None), snapshot(cycle, scope_id=2, progress=1.5)


@case("okrs_snapshot_expected_in_range")
def _():
    cycle = CycleFactory()
    return snapshot(cycle, expected=1.0), snapshot(cycle, scope_id=2, expected=-0.5)


# roadmap ----------------------------------------------------------------------------


def item_pair(**good_and_bad):
    product = ProductFactory()
    good, bad = (RoadmapItemFactory.build(product=product) for _ in range(2))
    for field, (good_value, bad_value) in good_and_bad.items():
        setattr(good, field, good_value)
        setattr(bad, field, bad_value)
    return good, bad


@case("roadmap_item_starts_before_it_ends")
def _():
    return item_pair(starts_on=(TODAY, TODAY), ends_on=(TODAY, TODAY - datetime.timedelta(days=1)))


@case("roadmap_item_status_valid")
def _():
    return item_pair(status=("dropped", "shipped"))


@case("roadmap_item_horizon_valid")
def _():
    return item_pair(horizon=("later", "someday"))


@case("roadmap_alignment_unique_pair")
def _():
    existing = AlignmentFactory()
    other_item = RoadmapItemFactory(product=existing.item.product)
    return (
        AlignmentFactory.build(item=other_item, key_result=existing.key_result),
        AlignmentFactory.build(item=existing.item, key_result=existing.key_result),
    )


@case("roadmap_dependency_unique_pair")
def _():
    existing = DependencyFactory()
    other_item = RoadmapItemFactory(product=existing.blocked_item.product)
    return (
        Dependency(blocked_item=other_item, blocking_item=existing.blocking_item),
        Dependency(blocked_item=existing.blocked_item, blocking_item=existing.blocking_item),
    )


@case("roadmap_item_change_field_valid")
def _():
    item = RoadmapItemFactory()
    return (
        RoadmapItemChange(item=item, field="status", before="planned", after="done"),
        RoadmapItemChange(item=item, field="title", before="A", after="B"),
    )


@case("roadmap_email_delivery_once_per_period")
def _():
    user, portfolio = UserFactory(), PortfolioFactory()
    EmailDelivery.objects.create(
        user=user, portfolio=portfolio, kind="digest", period_start=datetime.date(2027, 1, 4)
    )
    return (
        EmailDelivery(
            user=user, portfolio=portfolio, kind="digest", period_start=datetime.date(2027, 1, 11)
        ),
        EmailDelivery(
            user=user, portfolio=portfolio, kind="digest", period_start=datetime.date(2027, 1, 4)
        ),
    )


@case("roadmap_dependency_not_on_itself")
def _():
    item, other = RoadmapItemFactory(), RoadmapItemFactory()
    return (
        Dependency(blocked_item=item, blocking_item=other),
        Dependency(blocked_item=item, blocking_item=item),
    )


@case("roadmap.ShareLink.token_hash")
def _():
    portfolio = PortfolioFactory()
    ShareLink.objects.create(portfolio=portfolio, token_hash="a" * 64)
    return (
        ShareLink(portfolio=portfolio, token_hash="b" * 64, expires_at=timezone.now()),
        ShareLink(portfolio=portfolio, token_hash="a" * 64),
    )


# The tests --------------------------------------------------------------------------


def declared_constraints() -> set[str]:
    """Names of every constraint and unique field of the four apps."""
    names = set()
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            names.update(constraint.name for constraint in model._meta.constraints)
            names.update(
                f"{app}.{model.__name__}.{field.name}"
                for field in model._meta.local_fields
                if field.unique and not field.primary_key
            )
    return names


def is_check_constraint(name: str) -> bool:
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            for constraint in model._meta.constraints:
                if constraint.name == name:
                    return isinstance(constraint, models.CheckConstraint)
    return False


def test_every_constraint_has_a_case():
    missing = declared_constraints() - set(CASES)
    assert not missing, f"add a case to tests/test_models_constraints.py for: {sorted(missing)}"
    assert not set(CASES) - declared_constraints(), "a case names a constraint that is gone"


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_database_refuses_a_bad_row(name):
    good, bad = CASES[name]()

    good.save()
    with transaction.atomic(), pytest.raises(IntegrityError) as error:
        bad.save()

    if is_check_constraint(name):
        # Both SQLite and PostgreSQL name the violated CHECK constraint.
        assert name in str(error.value)


def test_people_without_email_do_not_collide():
    User.objects.create(username="a", email="")
    User.objects.create(username="b", email="")

    assert User.objects.filter(email="").count() == 2


def test_a_portfolio_level_objective_may_have_no_parent_and_no_product():
    objective = ObjectiveFactory(parent=None, product=None)

    assert objective.pk is not None

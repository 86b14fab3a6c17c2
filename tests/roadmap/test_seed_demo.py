from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from okrs.models import CheckIn, Cycle, CycleState, KeyResult, Measure, Objective, ProgressSnapshot
from okrs.rollup import recompute_cycle
from portfolio.models import Membership, Portfolio, Product, Role
from roadmap.models import Alignment, Dependency, Horizon, RoadmapItem
from teams.models import User
from tests.okrs.test_rollup import numbers

pytestmark = pytest.mark.django_db

MODELS = [
    Portfolio,
    Membership,
    Product,
    Cycle,
    Objective,
    KeyResult,
    CheckIn,
    RoadmapItem,
    Alignment,
    Dependency,
    ProgressSnapshot,
]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_builds_the_acme_portfolio_once():
    call_command("seed_demo")

    portfolio = Portfolio.objects.get(slug="acme")
    roles = dict(
        Membership.objects.filter(portfolio=portfolio).values_list("user__username", "role")
    )
    assert roles == {
        "dana": Role.DIRECTOR,
        "priya": Role.PRODUCT_MANAGER,
        "marco": Role.PRODUCT_MANAGER,
        "eli": Role.CONTRIBUTOR,
        "sofia": Role.STAKEHOLDER,
    }
    for user in User.objects.filter(username__in=roles):
        assert user.check_password("lodestar-demo"), user.username

    products = Product.objects.filter(portfolio=portfolio)
    assert products.count() >= 5
    assert set(products.values_list("owner__username", flat=True)) == {"priya", "marco"}

    cycle = Cycle.objects.get(portfolio=portfolio, state=CycleState.ACTIVE)
    assert cycle.starts_on <= timezone.localdate() <= cycle.ends_on
    objectives = Objective.objects.filter(cycle=cycle)
    assert objectives.filter(product__isnull=True, parent__isnull=True).count() == 4
    assert objectives.filter(product__isnull=False, parent__product__isnull=True).exists()
    assert objectives.filter(depth=2).exists(), "a three-level cascade"
    key_results = KeyResult.objects.filter(objective__cycle=cycle)
    assert key_results.count() >= 25
    assert set(key_results.values_list("measure", flat=True)) == set(Measure.values)
    check_ins = CheckIn.objects.filter(key_result__objective__cycle=cycle)
    first = check_ins.earliest("checked_in_at").checked_in_at
    last = check_ins.latest("checked_in_at").checked_in_at
    assert last - first >= timedelta(weeks=6)
    assert cycle.progress is not None
    assert key_results.filter(forecast__isnull=False).count() >= 20
    assert ProgressSnapshot.objects.filter(cycle=cycle, scope="portfolio").count() >= 6

    items = RoadmapItem.objects.filter(product__portfolio=portfolio)
    assert items.count() >= 40
    assert set(items.values_list("horizon", flat=True)) == set(Horizon.values)
    assert items.filter(alignments__isnull=True, horizon=Horizon.NOW).exists()
    assert items.filter(starts_on__isnull=False).count() >= 25
    assert Dependency.objects.filter(blocked_item__product__portfolio=portfolio).count() >= 5

    before, stored = counts(), numbers(cycle)
    call_command("seed_demo")
    assert counts() == before, "running it twice changes nothing"

    recompute_cycle(cycle.pk)
    assert numbers(cycle) == stored, "the seeded numbers are what a recompute gives"

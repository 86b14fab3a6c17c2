"""A small portfolio with one of everything, and clients that speak token auth."""

from dataclasses import dataclass

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from okrs.models import Measure
from tests.okrs import builders
from tests.okrs.factories import CycleFactory
from tests.portfolio.factories import ProductFactory
from tests.roadmap.factories import RoadmapItemFactory


@dataclass
class World:
    portfolio: object
    product: object
    cycle: object
    portfolio_objective: object
    objective: object
    key_result: object
    check_in: object
    item: object
    other_item: object
    third_item: object
    alignment: object
    dependency: object
    foreign_item: object
    foreign_key_result: object


@pytest.fixture
def world(portfolio, cycle, product, other_product, director, contributor, stakeholder, outsider):
    """`objective` is `product`'s (owned by `owning_pm`); its `key_result` is owned by
    `contributor`. `foreign_*` live in `other_portfolio`, where `outsider` is director."""
    from roadmap.models import Alignment, Dependency

    portfolio_objective = builders.objective(cycle, "Grow the business", owner=director)
    objective = builders.objective(
        cycle, "Faster checkout", product=product, parent=portfolio_objective
    )
    key_result = builders.key_result(
        objective, "Conversion", owner=contributor, measure=Measure.INCREASE
    )
    check_in = builders.check_in(key_result, director, "10")
    item = RoadmapItemFactory(product=product, title="One-click pay")
    other_item = RoadmapItemFactory(product=product, title="Saved cards")
    third_item = RoadmapItemFactory(product=product, title="Wallets")
    alignment = Alignment.objects.create(item=item, key_result=key_result)
    dependency = Dependency.objects.create(blocked_item=item, blocking_item=other_item)
    other_portfolio = outsider.memberships.get().portfolio
    foreign_cycle = CycleFactory(portfolio=other_portfolio)
    foreign_product = ProductFactory(portfolio=other_portfolio, owner=outsider)
    foreign_objective = builders.objective(foreign_cycle, "Theirs", product=foreign_product)
    foreign_key_result = builders.key_result(foreign_objective, "Their metric")
    foreign_item = RoadmapItemFactory(product=foreign_product)
    return World(
        portfolio=portfolio,
        product=product,
        cycle=cycle,
        portfolio_objective=portfolio_objective,
        objective=objective,
        key_result=key_result,
        check_in=check_in,
        item=item,
        other_item=other_item,
        third_item=third_item,
        alignment=alignment,
        dependency=dependency,
        foreign_item=foreign_item,
        foreign_key_result=foreign_key_result,
    )


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None and user.is_authenticated:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api():
    """`api(user)` → an APIClient sending that person's token (none for anonymous)."""
    return client_for

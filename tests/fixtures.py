"""A portfolio with one person per role (DESIGN.md §7), shared by the whole suite.

Loaded through `pytest_plugins = ["tests.fixtures"]` in tests/conftest.py.

- `director`, `owning_pm` (owns `product`), `other_pm` (owns `other_product`),
  `contributor`, `other_contributor`, `stakeholder`: members of `portfolio`;
- `outsider`: director of `other_portfolio`, not a member of `portfolio`;
- `cycle`: `portfolio`'s active cycle, containing today;
- `person(role_name)`: any of the above by name, or an anonymous visitor for "anonymous".
"""

import pytest
from django.contrib.auth.models import AnonymousUser

from portfolio.models import Role
from tests.okrs.factories import CycleFactory
from tests.portfolio.factories import MembershipFactory, PortfolioFactory, ProductFactory
from tests.teams.factories import UserFactory

ROLE_NAMES = [
    "director",
    "owning_pm",
    "other_pm",
    "contributor",
    "other_contributor",
    "stakeholder",
    "outsider",
    "anonymous",
]


def _member(portfolio, role, display_name):
    user = UserFactory(display_name=display_name)
    MembershipFactory(portfolio=portfolio, user=user, role=role)
    return user


@pytest.fixture
def portfolio(db):
    return PortfolioFactory(name="Acme", slug="acme")


@pytest.fixture
def other_portfolio(db):
    return PortfolioFactory(name="Globex", slug="globex")


@pytest.fixture
def director(portfolio):
    return _member(portfolio, Role.DIRECTOR, "Dana Director")


@pytest.fixture
def owning_pm(portfolio):
    return _member(portfolio, Role.PRODUCT_MANAGER, "Priya Owner")


@pytest.fixture
def other_pm(portfolio):
    return _member(portfolio, Role.PRODUCT_MANAGER, "Marco Other")


@pytest.fixture
def contributor(portfolio):
    return _member(portfolio, Role.CONTRIBUTOR, "Eli Contributor")


@pytest.fixture
def other_contributor(portfolio):
    return _member(portfolio, Role.CONTRIBUTOR, "Noor Contributor")


@pytest.fixture
def stakeholder(portfolio):
    return _member(portfolio, Role.STAKEHOLDER, "Sofia Stakeholder")


@pytest.fixture
def outsider(other_portfolio):
    return _member(other_portfolio, Role.DIRECTOR, "Olga Outsider")


@pytest.fixture
def product(portfolio, owning_pm):
    return ProductFactory(portfolio=portfolio, name="Checkout", slug="checkout", owner=owning_pm)


@pytest.fixture
def other_product(portfolio, other_pm):
    return ProductFactory(portfolio=portfolio, name="Search", slug="search", owner=other_pm)


@pytest.fixture
def cycle(portfolio):
    return CycleFactory(portfolio=portfolio, name="This quarter")


@pytest.fixture
def person(request):
    """`person("owning_pm")` → that fixture's user; `person("anonymous")` → AnonymousUser."""

    def get(role_name: str):
        if role_name == "anonymous":
            return AnonymousUser()
        return request.getfixturevalue(role_name)

    return get

import pytest

from okrs.models import CycleState
from okrs.permissions import (
    can_check_in,
    can_create_key_result,
    can_create_objective,
    can_edit_key_result,
    can_edit_objective,
    can_manage_cycles,
)
from tests.fixtures import ROLE_NAMES
from tests.okrs.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.portfolio.factories import ProductFactory

pytestmark = pytest.mark.django_db

DIRECTOR = {"director"}
PRODUCT_EDITORS = {"director", "owning_pm"}


@pytest.fixture
def portfolio_objective(cycle, director):
    return ObjectiveFactory(cycle=cycle, product=None, owner=director)


@pytest.fixture
def product_objective(cycle, product, owning_pm):
    return ObjectiveFactory(cycle=cycle, product=product, owner=owning_pm)


@pytest.fixture
def key_result_of(request):
    """`key_result_of("product_objective", "contributor")`: a key result and its owner."""

    def make(objective_fixture: str, owner_fixture: str | None):
        owner = request.getfixturevalue(owner_fixture) if owner_fixture else None
        objective = request.getfixturevalue(objective_fixture)
        return KeyResultFactory(objective=objective, owner=owner)

    return make


def close(cycle):
    cycle.state = CycleState.CLOSED
    cycle.save()


class TestCanManageCycles:
    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_only_the_director(self, portfolio, person, role_name):
        assert can_manage_cycles(person(role_name), portfolio) is (role_name in DIRECTOR)


class TestCanCreateObjective:
    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_portfolio_level_is_the_directors(self, cycle, person, role_name):
        assert can_create_objective(person(role_name), cycle) is (role_name in DIRECTOR)

    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_product_level_is_the_director_and_owning_pms(self, cycle, product, person, role_name):
        assert can_create_objective(person(role_name), cycle, product) is (
            role_name in PRODUCT_EDITORS
        )

    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_other_product_is_its_own_pms(self, cycle, other_product, person, role_name):
        assert can_create_objective(person(role_name), cycle, other_product) is (
            role_name in {"director", "other_pm"}
        )

    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_nobody_in_a_closed_cycle(self, cycle, product, person, role_name):
        close(cycle)

        assert not can_create_objective(person(role_name), cycle)
        assert not can_create_objective(person(role_name), cycle, product)

    def test_nobody_for_an_archived_product(self, cycle, product, director, owning_pm):
        product.is_archived = True

        assert not can_create_objective(director, cycle, product)
        assert not can_create_objective(owning_pm, cycle, product)

    def test_nobody_for_a_product_of_another_portfolio(self, cycle, other_portfolio, director):
        foreign = ProductFactory(portfolio=other_portfolio)

        assert not can_create_objective(director, cycle, foreign)


class TestCanEditObjective:
    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_portfolio_objective_is_the_directors(self, portfolio_objective, person, role_name):
        user = person(role_name)
        assert can_edit_objective(user, portfolio_objective) is (role_name in DIRECTOR)
        assert can_create_key_result(user, portfolio_objective) is (role_name in DIRECTOR)

    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_product_objective_is_the_director_and_owning_pms(
        self, product_objective, person, role_name
    ):
        user = person(role_name)
        assert can_edit_objective(user, product_objective) is (role_name in PRODUCT_EDITORS)
        assert can_create_key_result(user, product_objective) is (role_name in PRODUCT_EDITORS)

    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_nobody_in_a_closed_cycle(
        self, cycle, portfolio_objective, product_objective, person, role_name
    ):
        close(cycle)
        user = person(role_name)

        assert not can_edit_objective(user, portfolio_objective)
        assert not can_edit_objective(user, product_objective)
        assert not can_create_key_result(user, product_objective)


class TestCanEditKeyResult:
    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_owning_a_key_result_does_not_let_you_edit_it(self, key_result_of, person, role_name):
        key_result = key_result_of("product_objective", "contributor")

        assert can_edit_key_result(person(role_name), key_result) is (role_name in PRODUCT_EDITORS)

    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_portfolio_key_results_are_the_directors(self, key_result_of, person, role_name):
        key_result = key_result_of("portfolio_objective", "owning_pm")

        assert can_edit_key_result(person(role_name), key_result) is (role_name in DIRECTOR)

    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_nobody_in_a_closed_cycle(self, cycle, key_result_of, person, role_name):
        key_result = key_result_of("product_objective", "owning_pm")
        close(cycle)

        assert not can_edit_key_result(person(role_name), key_result)


class TestCanCheckIn:
    @pytest.mark.parametrize(
        ("objective", "owner", "allowed"),
        [
            # A product key result owned by a contributor: its owner and the product's people.
            ("product_objective", "contributor", {"director", "owning_pm", "contributor"}),
            # Owned by another PM: that PM may check it in, as its owner.
            ("product_objective", "other_pm", {"director", "owning_pm", "other_pm"}),
            # Nobody owns it: the director and the PM owning the product.
            ("product_objective", None, {"director", "owning_pm"}),
            # A portfolio key result has no owning PM, only its owner.
            ("portfolio_objective", "contributor", {"director", "contributor"}),
            ("portfolio_objective", "owning_pm", {"director", "owning_pm"}),
            # A stakeholder never checks in, not even a key result they own.
            ("product_objective", "stakeholder", {"director", "owning_pm"}),
            # Owning a key result of a portfolio one is not in is worth nothing.
            ("product_objective", "outsider", {"director", "owning_pm"}),
        ],
    )
    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_table(self, key_result_of, person, role_name, objective, owner, allowed):
        key_result = key_result_of(objective, owner)

        assert can_check_in(person(role_name), key_result) is (role_name in allowed)

    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_nobody_in_a_closed_cycle(self, cycle, key_result_of, person, role_name):
        key_result = key_result_of("product_objective", "contributor")
        close(cycle)

        assert not can_check_in(person(role_name), key_result)

    def test_a_planning_cycle_takes_check_ins(self, portfolio, product, owning_pm):
        cycle = CycleFactory(portfolio=portfolio, state=CycleState.PLANNING)
        key_result = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle, product=product))

        assert can_check_in(owning_pm, key_result)

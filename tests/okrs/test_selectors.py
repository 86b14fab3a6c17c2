import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from okrs.models import CycleState
from okrs.permissions import can_check_in, can_edit_key_result
from okrs.selectors import (
    active_cycle,
    check_ins_visible_to,
    cycles_visible_to,
    key_results_visible_to,
    objective_tree,
    objectives_visible_to,
)
from tests.okrs.factories import (
    CheckInFactory,
    CycleFactory,
    KeyResultFactory,
    ObjectiveFactory,
)
from tests.portfolio.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def two_portfolios(cycle, other_portfolio, contributor, outsider):
    """One check-in in each portfolio: `(mine, theirs)`."""
    mine = CheckInFactory(
        key_result=KeyResultFactory(objective=ObjectiveFactory(cycle=cycle)), author=contributor
    )
    other_cycle = CycleFactory(portfolio=other_portfolio)
    theirs = CheckInFactory(
        key_result=KeyResultFactory(objective=ObjectiveFactory(cycle=other_cycle)),
        author=outsider,
    )
    return mine, theirs


class TestVisibleTo:
    def test_a_member_sees_only_their_portfolio(self, two_portfolios, contributor):
        mine, _ = two_portfolios
        key_result = mine.key_result

        assert list(cycles_visible_to(contributor)) == [key_result.objective.cycle]
        assert list(objectives_visible_to(contributor)) == [key_result.objective]
        assert list(key_results_visible_to(contributor)) == [key_result]
        assert list(check_ins_visible_to(contributor)) == [mine]

    def test_the_other_portfolio_sees_its_own(self, two_portfolios, outsider):
        _, theirs = two_portfolios

        assert list(check_ins_visible_to(outsider)) == [theirs]
        assert list(key_results_visible_to(outsider)) == [theirs.key_result]

    def test_anonymous_sees_nothing(self, two_portfolios):
        anonymous = AnonymousUser()

        assert not cycles_visible_to(anonymous).exists()
        assert not objectives_visible_to(anonymous).exists()
        assert not key_results_visible_to(anonymous).exists()
        assert not check_ins_visible_to(anonymous).exists()

    def test_rows_are_not_duplicated_by_other_members(
        self, two_portfolios, portfolio, contributor, director, owning_pm, stakeholder
    ):
        for _ in range(3):
            MembershipFactory(portfolio=portfolio)

        assert cycles_visible_to(contributor).count() == 1
        assert objectives_visible_to(contributor).count() == 1
        assert key_results_visible_to(contributor).count() == 1
        assert check_ins_visible_to(contributor).count() == 1

    def test_a_member_of_two_portfolios_sees_both_once(
        self, two_portfolios, other_portfolio, contributor
    ):
        MembershipFactory(portfolio=other_portfolio, user=contributor)

        assert check_ins_visible_to(contributor).count() == 2
        assert set(check_ins_visible_to(contributor)) == set(two_portfolios)


class TestActiveCycle:
    def test_none_without_cycles(self, portfolio):
        assert active_cycle(portfolio) is None

    def test_prefers_the_active_cycle_containing_today(self, portfolio):
        current = CycleFactory(portfolio=portfolio, starts_on=days(-10), ends_on=days(10))
        CycleFactory(portfolio=portfolio, starts_on=days(20), ends_on=days(40))
        CycleFactory(
            portfolio=portfolio, starts_on=days(30), ends_on=days(60), state=CycleState.PLANNING
        )

        assert active_cycle(portfolio) == current

    def test_else_the_most_recent_active_one(self, portfolio):
        CycleFactory(portfolio=portfolio, starts_on=days(-100), ends_on=days(-60))
        recent = CycleFactory(portfolio=portfolio, starts_on=days(-50), ends_on=days(-5))
        CycleFactory(
            portfolio=portfolio, starts_on=days(1), ends_on=days(60), state=CycleState.PLANNING
        )

        assert active_cycle(portfolio) == recent

    def test_else_the_latest_in_planning(self, portfolio):
        CycleFactory(
            portfolio=portfolio, starts_on=days(-10), ends_on=days(10), state=CycleState.CLOSED
        )
        CycleFactory(
            portfolio=portfolio, starts_on=days(1), ends_on=days(60), state=CycleState.PLANNING
        )
        latest = CycleFactory(
            portfolio=portfolio, starts_on=days(61), ends_on=days(120), state=CycleState.PLANNING
        )

        assert active_cycle(portfolio) == latest

    def test_closed_cycles_are_never_chosen(self, portfolio):
        CycleFactory(portfolio=portfolio, state=CycleState.CLOSED)

        assert active_cycle(portfolio) is None

    def test_ignores_other_portfolios(self, portfolio, other_portfolio):
        CycleFactory(portfolio=other_portfolio)

        assert active_cycle(portfolio) is None


class TestObjectiveTree:
    def build(self, cycle, product, owner, count: int):
        for index in range(count):
            root = ObjectiveFactory(cycle=cycle, owner=owner, position=index)
            child = ObjectiveFactory(
                cycle=cycle, product=product, parent=root, depth=1, owner=owner, position=index
            )
            for objective in (root, child):
                KeyResultFactory.create_batch(2, objective=objective, owner=owner)

    def walk(self, cycle, user) -> int:
        """Read everything a tree page shows, and the permissions it asks for."""
        seen = 0
        for objective in objective_tree(cycle):
            _ = (objective.owner.name, objective.cycle.name)
            if objective.product is not None:
                _ = objective.product.owner.name if objective.product.owner else None
            for key_result in objective.key_results.all():
                _ = key_result.owner.name
                can_check_in(user, key_result)
                can_edit_key_result(user, key_result)
                seen += 1
        return seen

    @pytest.mark.parametrize("count", [2, 10])
    def test_query_count_does_not_grow_with_the_cycle(
        self, cycle, product, owning_pm, count, django_assert_num_queries
    ):
        self.build(cycle, product, owning_pm, count)

        # objectives, key results, and the person's roles (loaded once).
        with django_assert_num_queries(3):
            assert self.walk(cycle, owning_pm) == count * 4

    def test_parents_come_before_children(self, cycle, product, owning_pm):
        self.build(cycle, product, owning_pm, 3)

        depths = [objective.depth for objective in objective_tree(cycle)]

        assert depths == sorted(depths)

    def test_only_the_cycles_objectives(self, cycle, portfolio):
        mine = ObjectiveFactory(cycle=cycle)
        ObjectiveFactory(cycle=CycleFactory(portfolio=portfolio))

        assert list(objective_tree(cycle)) == [mine]

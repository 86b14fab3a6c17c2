import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from okrs.models import CycleState
from okrs.permissions import can_check_in, can_edit_key_result
from okrs.selectors import (
    TREE_PAGE_SIZE,
    TreeFilters,
    active_cycle,
    check_ins_visible_to,
    cycles_visible_to,
    key_results_visible_to,
    objective_path_ids,
    objective_tree,
    objectives_visible_to,
    okr_tree_branch,
    okr_tree_roots,
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


class TestOkrTreeRoots:
    def build(self, cycle, product, owner, roots: int, children: int):
        for index in range(roots):
            root = ObjectiveFactory(cycle=cycle, owner=owner, position=index)
            KeyResultFactory.create_batch(2, objective=root, owner=owner)
            for _ in range(children):
                child = ObjectiveFactory(
                    cycle=cycle, product=product, parent=root, depth=1, owner=owner
                )
                KeyResultFactory(objective=child, owner=owner)

    def test_rows_carry_counts_from_sql(self, cycle, product, owning_pm):
        self.build(cycle, product, owning_pm, roots=1, children=3)

        (root,) = okr_tree_roots(cycle, open_ids=[]).nodes

        assert (root.child_count, root.key_result_count) == (3, 2)
        assert not root.expanded

    def test_first_roots_open_while_their_contents_fit(self, cycle, product, owning_pm):
        # Each root holds 2 key results and 20 child objectives: 22 rows.
        self.build(cycle, product, owning_pm, roots=4, children=20)

        level = okr_tree_roots(cycle)

        assert [node.expanded for node in level.nodes] == [True, True, False, False]
        assert len(level.nodes[0].children) == 20
        assert not any(child.expanded for child in level.nodes[0].children)

    @pytest.mark.parametrize("roots", [2, 12])
    def test_query_count_does_not_grow(
        self, cycle, product, owning_pm, roots, django_assert_num_queries
    ):
        self.build(cycle, product, owning_pm, roots=roots, children=2)
        open_ids = list(cycle.objectives.values_list("pk", flat=True))

        # roots, their children, key results of the open ones.
        with django_assert_num_queries(3):
            okr_tree_roots(cycle, open_ids=open_ids)
        # + all objectives and key results, light, for the filter.
        with django_assert_num_queries(5):
            okr_tree_roots(cycle, filters=TreeFilters(owner_id=owning_pm.pk))

    def test_filters_keep_the_path_to_a_match(self, cycle, product, owning_pm, director):
        root = ObjectiveFactory(cycle=cycle, owner=director)
        child = ObjectiveFactory(cycle=cycle, product=product, parent=root, depth=1, owner=director)
        mine = KeyResultFactory(objective=child, owner=owning_pm)
        KeyResultFactory(objective=child, owner=director)
        ObjectiveFactory(cycle=cycle, owner=director)  # nothing of owning_pm's under it

        level = okr_tree_roots(cycle, filters=TreeFilters(owner_id=owning_pm.pk))

        assert [node.objective for node in level.nodes] == [root]
        (kept,) = level.nodes[0].children
        assert [row.key_result for row in kept.key_results] == [mine]
        # The child objective counts as a match through its key result.
        assert (level.matching_objectives, level.matching_key_results) == (1, 1)


class TestOkrTreeBranch:
    def test_a_page_of_children_from_an_offset(self, cycle, product):
        root = ObjectiveFactory(cycle=cycle)
        children = [
            ObjectiveFactory(cycle=cycle, product=product, parent=root, depth=1, position=i)
            for i in range(TREE_PAGE_SIZE + 4)
        ]
        KeyResultFactory(objective=root)

        first = okr_tree_branch(root)
        rest = okr_tree_branch(root, offset=TREE_PAGE_SIZE)

        assert [node.objective for node in first.children] == children[:TREE_PAGE_SIZE]
        assert (first.more_children, first.next_offset, len(first.key_results)) == (
            4,
            TREE_PAGE_SIZE,
            1,
        )
        assert [node.objective for node in rest.children] == children[TREE_PAGE_SIZE:]
        assert (rest.more_children, rest.key_results) == (0, [])

    def test_objective_path_ids_walks_up_to_the_root(self, cycle, product):
        root = ObjectiveFactory(cycle=cycle)
        child = ObjectiveFactory(cycle=cycle, product=product, parent=root, depth=1)
        grandchild = ObjectiveFactory(cycle=cycle, product=product, parent=child, depth=2)

        assert objective_path_ids(grandchild) == [grandchild.pk, child.pk, root.pk]

import pytest
from django.contrib.auth.models import AnonymousUser

from roadmap.permissions import (
    can_align,
    can_create_item,
    can_edit_item,
    can_manage_dependencies,
    can_manage_share_links,
)
from roadmap.selectors import (
    alignments_visible_to,
    dependencies_visible_to,
    roadmap_items_visible_to,
)
from tests.fixtures import ROLE_NAMES
from tests.portfolio.factories import MembershipFactory, ProductFactory
from tests.roadmap.factories import AlignmentFactory, DependencyFactory, RoadmapItemFactory

pytestmark = pytest.mark.django_db

PRODUCT_EDITORS = {"director", "owning_pm"}
ITEM_PREDICATES = [can_edit_item, can_align, can_manage_dependencies]


@pytest.fixture
def item(product, contributor):
    return RoadmapItemFactory(product=product, owner=contributor)


class TestCanCreateItem:
    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_the_director_and_the_owning_pm(self, product, person, role_name):
        assert can_create_item(person(role_name), product) is (role_name in PRODUCT_EDITORS)

    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_nobody_on_an_archived_product(self, product, person, role_name):
        product.is_archived = True

        assert not can_create_item(person(role_name), product)


class TestItemPredicates:
    @pytest.mark.parametrize("predicate", ITEM_PREDICATES)
    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_the_director_and_the_owning_pm(self, item, person, role_name, predicate):
        assert predicate(person(role_name), item) is (role_name in PRODUCT_EDITORS)

    @pytest.mark.parametrize("predicate", ITEM_PREDICATES)
    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_other_products_items_are_their_pms(self, other_product, person, role_name, predicate):
        item = RoadmapItemFactory(product=other_product)

        assert predicate(person(role_name), item) is (role_name in {"director", "other_pm"})

    @pytest.mark.parametrize("predicate", ITEM_PREDICATES)
    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_nobody_on_an_archived_product(self, item, person, role_name, predicate):
        item.product.is_archived = True

        assert not predicate(person(role_name), item)

    def test_owning_the_item_is_not_enough(self, item, contributor):
        assert item.owner == contributor
        assert not can_edit_item(contributor, item)
        assert not can_align(contributor, item)


class TestCanManageShareLinks:
    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_portfolio_links_are_the_directors(self, portfolio, person, role_name):
        assert can_manage_share_links(person(role_name), portfolio) is (role_name == "director")

    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_product_links_are_the_director_and_owning_pm(
        self, portfolio, product, person, role_name
    ):
        assert can_manage_share_links(person(role_name), portfolio, product) is (
            role_name in PRODUCT_EDITORS
        )

    def test_a_product_must_be_of_that_portfolio(self, other_portfolio, outsider, product):
        assert not can_manage_share_links(outsider, other_portfolio, product)


class TestVisibility:
    @pytest.fixture
    def roadmaps(self, product, other_portfolio):
        """A dependency and an alignment in each portfolio: `(mine, theirs)`."""
        foreign = ProductFactory(portfolio=other_portfolio)
        return [
            (
                DependencyFactory(blocked_item=RoadmapItemFactory(product=owner_product)),
                AlignmentFactory(item=RoadmapItemFactory(product=owner_product)),
            )
            for owner_product in (product, foreign)
        ]

    def test_a_member_sees_only_their_portfolio(self, roadmaps, stakeholder, outsider):
        (my_dependency, my_alignment), (their_dependency, their_alignment) = roadmaps

        assert set(dependencies_visible_to(stakeholder)) == {my_dependency}
        assert set(alignments_visible_to(stakeholder)) == {my_alignment}
        assert set(roadmap_items_visible_to(stakeholder)) == {
            my_dependency.blocked_item,
            my_dependency.blocking_item,
            my_alignment.item,
        }
        assert set(dependencies_visible_to(outsider)) == {their_dependency}
        assert set(alignments_visible_to(outsider)) == {their_alignment}
        assert roadmap_items_visible_to(outsider).count() == 3

    def test_anonymous_sees_nothing(self, roadmaps):
        anonymous = AnonymousUser()

        assert not roadmap_items_visible_to(anonymous).exists()
        assert not alignments_visible_to(anonymous).exists()
        assert not dependencies_visible_to(anonymous).exists()

    def test_rows_are_not_duplicated_by_other_members(self, roadmaps, portfolio, director):
        for _ in range(3):
            MembershipFactory(portfolio=portfolio)

        assert roadmap_items_visible_to(director).count() == 3
        assert alignments_visible_to(director).count() == 1
        assert dependencies_visible_to(director).count() == 1

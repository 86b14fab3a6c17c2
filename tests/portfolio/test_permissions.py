import pytest
from django.contrib.auth.models import AnonymousUser

from portfolio.models import Role
from portfolio.permissions import (
    can_edit_product_content,
    can_manage_portfolio,
    forget_roles,
    is_director,
    is_member,
    is_owning_product_manager,
    role_in,
)
from portfolio.selectors import members_of, portfolios_visible_to, products_visible_to
from tests.fixtures import ROLE_NAMES
from tests.portfolio.factories import MembershipFactory, PortfolioFactory, ProductFactory

pytestmark = pytest.mark.django_db

MEMBERS = {"director", "owning_pm", "other_pm", "contributor", "other_contributor", "stakeholder"}


class TestRoleIn:
    @pytest.mark.parametrize(
        ("role_name", "expected"),
        [
            ("director", Role.DIRECTOR),
            ("owning_pm", Role.PRODUCT_MANAGER),
            ("other_pm", Role.PRODUCT_MANAGER),
            ("contributor", Role.CONTRIBUTOR),
            ("stakeholder", Role.STAKEHOLDER),
            ("outsider", None),
            ("anonymous", None),
        ],
    )
    def test_is_the_role_in_that_portfolio(self, portfolio, person, role_name, expected):
        assert role_in(person(role_name), portfolio) == expected

    def test_accepts_a_portfolio_id(self, portfolio, director):
        assert role_in(director, portfolio.pk) == Role.DIRECTOR

    def test_none_user_has_no_role(self, portfolio):
        assert role_in(None, portfolio) is None

    def test_loads_every_role_in_one_query_and_keeps_them(
        self, portfolio, director, django_assert_num_queries
    ):
        many = [PortfolioFactory() for _ in range(5)]
        for other in many:
            MembershipFactory(portfolio=other, user=director, role=Role.STAKEHOLDER)
        forget_roles(director)

        with django_assert_num_queries(1):
            for _ in range(3):
                assert role_in(director, portfolio) == Role.DIRECTOR
                assert all(is_member(director, other) for other in many)


class TestPredicates:
    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_is_member(self, portfolio, person, role_name):
        assert is_member(person(role_name), portfolio) is (role_name in MEMBERS)

    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_is_director(self, portfolio, person, role_name):
        assert is_director(person(role_name), portfolio) is (role_name == "director")

    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_can_manage_portfolio(self, portfolio, person, role_name):
        assert can_manage_portfolio(person(role_name), portfolio) is (role_name == "director")

    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_is_owning_product_manager(self, product, person, role_name):
        assert is_owning_product_manager(person(role_name), product) is (role_name == "owning_pm")

    @pytest.mark.parametrize("role_name", ROLE_NAMES)
    def test_can_edit_product_content(self, product, person, role_name):
        assert can_edit_product_content(person(role_name), product) is (
            role_name in {"director", "owning_pm"}
        )

    def test_an_owner_who_is_no_longer_a_pm_cannot_edit(self, portfolio, product, owning_pm):
        owning_pm.memberships.update(role=Role.CONTRIBUTOR)
        forget_roles(owning_pm)

        assert not is_owning_product_manager(owning_pm, product)
        assert not can_edit_product_content(owning_pm, product)

    def test_the_director_of_another_portfolio_cannot_edit_this_product(self, product, outsider):
        assert not can_edit_product_content(outsider, product)

    def test_a_product_without_owner_is_the_directors_only(self, portfolio, director, owning_pm):
        product = ProductFactory(portfolio=portfolio, owner=None)

        assert can_edit_product_content(director, product)
        assert not can_edit_product_content(owning_pm, product)


class TestVisibility:
    def test_portfolios_visible_to_a_member_are_theirs_only(
        self, portfolio, other_portfolio, director, outsider
    ):
        assert list(portfolios_visible_to(director)) == [portfolio]
        assert list(portfolios_visible_to(outsider)) == [other_portfolio]
        assert not portfolios_visible_to(AnonymousUser()).exists()

    def test_products_of_other_portfolios_are_hidden(
        self, product, other_product, other_portfolio, stakeholder, outsider
    ):
        hidden = ProductFactory(portfolio=other_portfolio)

        assert set(products_visible_to(stakeholder)) == {product, other_product}
        assert list(products_visible_to(outsider)) == [hidden]
        assert not products_visible_to(AnonymousUser()).exists()

    def test_visible_rows_are_not_duplicated_by_many_members(
        self, portfolio, product, director, owning_pm, other_pm, stakeholder
    ):
        assert portfolios_visible_to(director).count() == 1
        assert products_visible_to(director).count() == 1

    def test_members_of_lists_directors_first_without_extra_queries(
        self,
        portfolio,
        director,
        owning_pm,
        stakeholder,
        contributor,
        outsider,
        django_assert_num_queries,
    ):
        with django_assert_num_queries(1):
            members = [(m.user, m.role) for m in members_of(portfolio)]

        assert members[0] == (director, Role.DIRECTOR)
        assert [role for _, role in members] == [
            Role.DIRECTOR,
            Role.PRODUCT_MANAGER,
            Role.CONTRIBUTOR,
            Role.STAKEHOLDER,
        ]
        assert outsider not in [user for user, _ in members]

import pytest
from django.core.exceptions import ValidationError

from portfolio.models import Membership, Portfolio, Product, Role
from portfolio.permissions import role_in
from portfolio.services import (
    membership_remove,
    membership_set,
    portfolio_create,
    portfolio_update,
    product_archive,
    product_create,
    product_unarchive,
    product_update,
)
from tests.okrs.factories import CheckInFactory, KeyResultFactory, ObjectiveFactory
from tests.portfolio.factories import MembershipFactory, PortfolioFactory, ProductFactory
from tests.teams.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


class TestPortfolioCreate:
    def test_makes_the_director_a_director(self):
        dana = UserFactory()

        portfolio = portfolio_create(name="Acme", slug="acme", director=dana)

        assert Membership.objects.get(portfolio=portfolio, user=dana).role == Role.DIRECTOR

    def test_without_a_director_has_no_members(self):
        portfolio = portfolio_create(name="Acme", slug="acme")

        assert not portfolio.memberships.exists()

    def test_refuses_a_taken_slug_and_creates_nothing(self):
        PortfolioFactory(slug="acme")
        dana = UserFactory()

        with pytest.raises(ValidationError) as error:
            portfolio_create(name="Acme 2", slug="acme", director=dana)

        assert "slug" in error.value.message_dict
        assert Portfolio.objects.count() == 1
        assert not Membership.objects.filter(user=dana).exists()

    def test_refuses_an_invalid_slug(self):
        with pytest.raises(ValidationError) as error:
            portfolio_create(name="Acme", slug="not a slug!")

        assert "slug" in error.value.message_dict
        assert not Portfolio.objects.exists()


class TestPortfolioUpdate:
    def test_changes_the_given_fields(self, portfolio):
        portfolio_update(portfolio=portfolio, name="Acme Corp", description="All of it")

        portfolio.refresh_from_db()
        assert (portfolio.name, portfolio.description) == ("Acme Corp", "All of it")

    def test_refuses_bad_input_and_changes_nothing(self, portfolio):
        with pytest.raises(ValidationError):
            portfolio_update(portfolio=portfolio, name="", slug="x y")

        assert (portfolio.name, portfolio.slug) == ("Acme", "acme")
        portfolio.refresh_from_db()
        assert (portfolio.name, portfolio.slug) == ("Acme", "acme")

    def test_refuses_an_unknown_field(self, portfolio):
        with pytest.raises(TypeError):
            portfolio_update(portfolio=portfolio, owner=None)


class TestMembershipSet:
    def test_adds_a_person(self, portfolio):
        eli = UserFactory()

        membership = membership_set(portfolio=portfolio, user=eli, role=Role.CONTRIBUTOR)

        assert membership.role == Role.CONTRIBUTOR
        assert role_in(eli, portfolio) == Role.CONTRIBUTOR

    def test_changes_the_role_and_forgets_the_cached_one(self, portfolio, contributor):
        assert role_in(contributor, portfolio) == Role.CONTRIBUTOR

        membership_set(portfolio=portfolio, user=contributor, role=Role.PRODUCT_MANAGER)

        assert Membership.objects.get(user=contributor).role == Role.PRODUCT_MANAGER
        assert role_in(contributor, portfolio) == Role.PRODUCT_MANAGER
        assert Membership.objects.filter(user=contributor).count() == 1

    def test_refuses_an_unknown_role(self, portfolio, contributor):
        with pytest.raises(ValidationError) as error:
            membership_set(portfolio=portfolio, user=contributor, role="overlord")

        assert "is not a role" in error.value.message_dict["role"][0]
        assert Membership.objects.get(user=contributor).role == Role.CONTRIBUTOR

    def test_refuses_to_demote_the_last_director(self, portfolio, director):
        with pytest.raises(ValidationError) as error:
            membership_set(portfolio=portfolio, user=director, role=Role.STAKEHOLDER)

        assert "last director" in error.value.message_dict["role"][0]
        assert Membership.objects.get(user=director).role == Role.DIRECTOR

    def test_demotes_a_director_when_another_remains(self, portfolio, director):
        second = MembershipFactory(portfolio=portfolio, role=Role.DIRECTOR).user

        membership_set(portfolio=portfolio, user=director, role=Role.PRODUCT_MANAGER)

        assert Membership.objects.get(user=director).role == Role.PRODUCT_MANAGER
        assert Membership.objects.get(user=second).role == Role.DIRECTOR

    def test_a_director_elsewhere_does_not_count(self, portfolio, director, outsider):
        with pytest.raises(ValidationError, match="last director"):
            membership_set(portfolio=portfolio, user=director, role=Role.CONTRIBUTOR)


class TestMembershipRemove:
    def test_removes_the_membership_and_keeps_the_check_ins(self, portfolio, contributor, cycle):
        key_result = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle), owner=contributor)
        CheckInFactory(key_result=key_result, author=contributor)

        membership_remove(portfolio=portfolio, user=contributor)

        assert not Membership.objects.filter(user=contributor).exists()
        assert role_in(contributor, portfolio) is None
        assert key_result.check_ins.filter(author=contributor).count() == 1

    def test_refuses_to_remove_the_last_director(self, portfolio, director):
        with pytest.raises(ValidationError, match="last director"):
            membership_remove(portfolio=portfolio, user=director)

        assert Membership.objects.filter(user=director, role=Role.DIRECTOR).exists()

    def test_removes_a_director_when_another_remains(self, portfolio, director):
        MembershipFactory(portfolio=portfolio, role=Role.DIRECTOR)

        membership_remove(portfolio=portfolio, user=director)

        assert not Membership.objects.filter(user=director).exists()

    def test_a_person_who_is_not_a_member_changes_nothing(self, portfolio, director, outsider):
        membership_remove(portfolio=portfolio, user=outsider)

        assert Membership.objects.filter(user=outsider).count() == 1


class TestProductCreate:
    def test_makes_the_slug_from_the_name(self, portfolio, owning_pm):
        product = product_create(portfolio=portfolio, name="Mobile Checkout", owner=owning_pm)

        assert product.slug == "mobile-checkout"
        assert product.owner == owning_pm

    def test_suffixes_the_slug_until_it_is_unique_in_the_portfolio(self, portfolio):
        first = product_create(portfolio=portfolio, name="Checkout")
        second = product_create(portfolio=portfolio, name="Checkout!")
        third = product_create(portfolio=portfolio, name="checkout")

        assert [first.slug, second.slug, third.slug] == ["checkout", "checkout-2", "checkout-3"]

    def test_the_same_slug_is_free_in_another_portfolio(self, portfolio, other_portfolio):
        product_create(portfolio=portfolio, name="Checkout")

        assert product_create(portfolio=other_portfolio, name="Checkout").slug == "checkout"

    def test_a_name_without_letters_still_gets_a_slug(self, portfolio):
        assert product_create(portfolio=portfolio, name="!!!").slug == "product"

    def test_refuses_a_taken_explicit_slug(self, portfolio):
        product_create(portfolio=portfolio, name="Checkout", slug="checkout")

        with pytest.raises(ValidationError, match="already uses this slug"):
            product_create(portfolio=portfolio, name="Other", slug="checkout")

        assert Product.objects.count() == 1

    @pytest.mark.parametrize("role_name", ["contributor", "stakeholder", "outsider"])
    def test_refuses_an_owner_who_is_not_a_pm_or_director_here(self, portfolio, person, role_name):
        with pytest.raises(ValidationError) as error:
            product_create(portfolio=portfolio, name="Checkout", owner=person(role_name))

        assert "product manager or director" in error.value.message_dict["owner"][0]
        assert not Product.objects.exists()

    def test_a_director_may_own_a_product(self, portfolio, director):
        assert product_create(portfolio=portfolio, name="X", owner=director).owner == director

    def test_reports_every_problem_at_once(self, portfolio, contributor):
        with pytest.raises(ValidationError) as error:
            product_create(portfolio=portfolio, name="", slug="checkout", owner=contributor)

        assert {"name", "owner"} <= set(error.value.message_dict)


class TestProductUpdate:
    def test_changes_the_given_fields(self, product, other_pm):
        team = TeamFactory()

        product_update(product=product, name="Payments", owner=other_pm, team=team)

        product.refresh_from_db()
        assert (product.name, product.owner, product.team) == ("Payments", other_pm, team)
        assert product.slug == "checkout"

    def test_an_empty_slug_is_made_from_the_name(self, product, other_product):
        product_update(product=product, name="Search", slug="")

        assert product.slug == "search-2"

    def test_keeping_its_own_slug_is_fine(self, product):
        product_update(product=product, slug="checkout")

        assert product.slug == "checkout"

    def test_refuses_an_owner_who_is_not_a_pm_and_changes_nothing(
        self, product, owning_pm, stakeholder
    ):
        with pytest.raises(ValidationError) as error:
            product_update(product=product, name="Renamed", owner=stakeholder)

        assert "owner" in error.value.message_dict
        assert (product.name, product.owner) == ("Checkout", owning_pm)
        product.refresh_from_db()
        assert (product.name, product.owner) == ("Checkout", owning_pm)

    def test_refuses_a_slug_taken_in_the_portfolio(self, product, other_product):
        with pytest.raises(ValidationError, match="already uses this slug"):
            product_update(product=product, slug="search")

        product.refresh_from_db()
        assert product.slug == "checkout"

    def test_refuses_an_unknown_field(self, product):
        with pytest.raises(TypeError, match="is_archived"):
            product_update(product=product, is_archived=True)

    def test_refuses_to_move_the_product_to_another_portfolio(self, product, other_portfolio):
        with pytest.raises(TypeError):
            product_update(product=product, portfolio=other_portfolio)


class TestProductArchive:
    def test_archives_and_restores(self, product):
        product_archive(product=product)
        assert Product.objects.get(pk=product.pk).is_archived

        product_unarchive(product=product)
        assert not Product.objects.get(pk=product.pk).is_archived

    def test_archived_products_leave_the_active_list(self, product, other_product):
        product_archive(product=product)

        assert list(Product.objects.active()) == [other_product]


def test_factories_build_a_consistent_product():
    product = ProductFactory()

    assert product.portfolio.products.get() == product

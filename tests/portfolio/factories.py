import factory
from django.utils.text import slugify

from portfolio.models import Membership, Portfolio, Product, Role
from tests.teams.factories import UserFactory


class PortfolioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Portfolio

    name = factory.Sequence(lambda n: f"Portfolio {n}")
    slug = factory.LazyAttribute(lambda portfolio: slugify(portfolio.name))
    description = ""


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    portfolio = factory.SubFactory(PortfolioFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.CONTRIBUTOR


class ProductFactory(factory.django.DjangoModelFactory):
    """A product; pass `owner=` a product manager of the portfolio to give it one."""

    class Meta:
        model = Product

    portfolio = factory.SubFactory(PortfolioFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.LazyAttribute(lambda product: slugify(product.name))
    owner = None
    team = None
    description = ""

"""Reads of portfolios, memberships and products, starting from what the person may see."""

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from portfolio.models import Membership, Portfolio, Product, Role
from portfolio.permissions import can_manage_portfolio, role_in
from teams.models import Team, User

ROLE_ORDER = [Role.DIRECTOR, Role.PRODUCT_MANAGER, Role.CONTRIBUTOR, Role.STAKEHOLDER]


def visible_portfolio_ids(user) -> QuerySet:
    """A subquery of the ids of the person's portfolios, for `portfolio_id__in=`.

    A subquery rather than a join keeps every `*_visible_to` free of duplicate rows and
    leaves later `.filter()`/`.annotate()` on memberships unaffected.
    """
    return Membership.objects.for_user(user).values("portfolio_id")


def memberships_of(user) -> QuerySet[Membership]:
    return Membership.objects.for_user(user).select_related("portfolio").order_by("portfolio__name")


def portfolios_visible_to(user) -> QuerySet[Portfolio]:
    if not user.is_authenticated:
        return Portfolio.objects.none()
    return Portfolio.objects.filter(pk__in=visible_portfolio_ids(user))


def portfolio_cards_for(user) -> QuerySet[Portfolio]:
    """The home page's portfolio cards: the person's role and the active products."""
    return (
        portfolios_visible_to(user)
        .annotate(
            product_count=Count("products", filter=Q(products__is_archived=False), distinct=True)
        )
        .order_by("name")
    )


def products_visible_to(user) -> QuerySet[Product]:
    if not user.is_authenticated:
        return Product.objects.none()
    return Product.objects.filter(portfolio_id__in=visible_portfolio_ids(user))


def members_of(portfolio: Portfolio) -> QuerySet[Membership]:
    """The portfolio's members, directors first, then by name."""
    role_rank = Case(
        *(When(role=role, then=Value(rank)) for rank, role in enumerate(ROLE_ORDER)),
        default=Value(len(ROLE_ORDER)),
        output_field=IntegerField(),
    )
    return (
        Membership.objects.filter(portfolio=portfolio)
        .select_related("user")
        .alias(role_rank=role_rank)
        .order_by("role_rank", "user__display_name", "user__username")
    )


def portfolio_for(user, slug: str) -> Portfolio:
    """The portfolio at /p/<slug>/, or a 404 for anyone who is not a member."""
    return get_object_or_404(portfolios_visible_to(user), slug=slug)


def portfolio_page_context(user, portfolio: Portfolio, tab: str) -> dict:
    """What templates/portfolio/layout.html needs besides the cycle."""
    role = role_in(user, portfolio)
    return {
        "portfolio": portfolio,
        "tab": tab,
        "can_manage_portfolio": can_manage_portfolio(user, portfolio),
        # Directors share the portfolio, PMs their own products (the page says which).
        "can_share": role in (Role.DIRECTOR, Role.PRODUCT_MANAGER),
    }


def person_by_identifier(identifier: str):
    """The person whose e-mail address or username is `identifier`, or None."""
    identifier = identifier.strip()
    if not identifier:
        return None
    field = "email__iexact" if "@" in identifier else "username__iexact"
    return User.objects.filter(**{field: identifier}).first()


def product_owner_choices(portfolio: Portfolio) -> QuerySet:
    """The people who may own a product of the portfolio: its PMs and directors."""
    return User.objects.filter(
        memberships__portfolio=portfolio,
        memberships__role__in=[Role.PRODUCT_MANAGER, Role.DIRECTOR],
    ).order_by("display_name", "username")


def people_of(portfolio: Portfolio) -> QuerySet:
    """Every member of the portfolio, as people (for team leads and members)."""
    return User.objects.filter(memberships__portfolio=portfolio).order_by(
        "display_name", "username"
    )


def settings_products(portfolio: Portfolio) -> QuerySet[Product]:
    """The settings page's products: archived last, with owner and team."""
    return (
        Product.objects.in_portfolio(portfolio)
        .select_related("owner", "team")
        .order_by("is_archived", "name")
    )


def teams_for_settings(portfolio: Portfolio):
    """Every team (teams are organisation-wide) with lead and members, and how many of
    the members belong to this portfolio."""
    return (
        Team.objects.select_related("lead")
        .prefetch_related(
            Prefetch("members", queryset=User.objects.order_by("display_name", "username"))
        )
        .annotate(
            portfolio_members=Count(
                "members",
                filter=Q(members__memberships__portfolio=portfolio),
                distinct=True,
            )
        )
        .order_by("name")
    )

from django.db.models import Count, Q, QuerySet

from portfolio.models import Membership, Portfolio, Product


def memberships_of(user) -> QuerySet[Membership]:
    return Membership.objects.for_user(user).select_related("portfolio").order_by("portfolio__name")


def portfolios_visible_to(user) -> QuerySet[Portfolio]:
    if not user.is_authenticated:
        return Portfolio.objects.none()
    return Portfolio.objects.filter(memberships__user=user)


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
    return Product.objects.filter(portfolio__memberships__user=user)

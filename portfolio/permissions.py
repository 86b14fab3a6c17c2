"""Who may do what in a portfolio (DESIGN.md §7).

Predicates answer a bool and never raise. A person's roles are loaded in one query
the first time a predicate asks and kept on the user object, so a template that asks
for every card of a page costs one query, not one per card.
"""

import contextlib

from portfolio.models import Membership, Portfolio, Product, Role

ROLES_CACHE = "_lodestar_roles"


def _is_signed_in(user) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def roles_of(user) -> dict[int, str]:
    """`{portfolio_id: role}` for every portfolio the person belongs to."""
    if not _is_signed_in(user):
        return {}
    roles = getattr(user, ROLES_CACHE, None)
    if roles is None:
        roles = dict(Membership.objects.filter(user=user).values_list("portfolio_id", "role"))
        setattr(user, ROLES_CACHE, roles)
    return roles


def forget_roles(user) -> None:
    """Drop the cached roles after a membership change, so the next predicate reloads them."""
    with contextlib.suppress(AttributeError):
        delattr(user, ROLES_CACHE)


def role_in(user, portfolio: Portfolio | int | None) -> str | None:
    portfolio_id = getattr(portfolio, "pk", portfolio)
    if portfolio_id is None:
        return None
    return roles_of(user).get(portfolio_id)


def is_member(user, portfolio: Portfolio | int) -> bool:
    return role_in(user, portfolio) is not None


def is_director(user, portfolio: Portfolio | int) -> bool:
    return role_in(user, portfolio) == Role.DIRECTOR


def can_manage_portfolio(user, portfolio: Portfolio | int) -> bool:
    """Cycles, portfolio objectives, products and members."""
    return is_director(user, portfolio)


def is_owning_product_manager(user, product: Product) -> bool:
    return (
        role_in(user, product.portfolio_id) == Role.PRODUCT_MANAGER
        and product.owner_id is not None
        and product.owner_id == user.pk
    )


def can_edit_product_content(user, product: Product) -> bool:
    """Product objectives, key results and roadmap: the director or the owning PM."""
    return is_director(user, product.portfolio_id) or is_owning_product_manager(user, product)

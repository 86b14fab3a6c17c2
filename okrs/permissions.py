"""Who may plan and check in OKRs (DESIGN.md §7). Predicates answer a bool, never raise.

Nobody edits or checks in the objectives and key results of a closed cycle: its
scores are final.
"""

from okrs.models import Cycle, KeyResult, Objective
from portfolio.models import Portfolio, Product, Role
from portfolio.permissions import can_edit_product_content, is_director, role_in

CHECK_IN_BY_OWNERSHIP_ROLES = frozenset({Role.PRODUCT_MANAGER, Role.CONTRIBUTOR})


def can_manage_cycles(user, portfolio: Portfolio | int) -> bool:
    return is_director(user, portfolio)


def can_create_objective(user, cycle: Cycle, product: Product | None = None) -> bool:
    """Portfolio-level objectives are the director's; product ones also the owning PM's."""
    if cycle.is_closed:
        return False
    if product is None:
        return is_director(user, cycle.portfolio_id)
    if product.portfolio_id != cycle.portfolio_id or product.is_archived:
        return False
    return can_edit_product_content(user, product)


def can_edit_objective(user, objective: Objective) -> bool:
    if objective.cycle.is_closed:
        return False
    if objective.product_id is None:
        return is_director(user, objective.cycle.portfolio_id)
    return can_edit_product_content(user, objective.product)


def can_create_key_result(user, objective: Objective) -> bool:
    return can_edit_objective(user, objective)


def can_edit_key_result(user, key_result: KeyResult) -> bool:
    return can_edit_objective(user, key_result.objective)


def can_check_in(user, key_result: KeyResult) -> bool:
    """The director; the PM owning the objective's product; a PM or contributor owning the KR."""
    objective = key_result.objective
    if objective.cycle.is_closed:
        return False
    role = role_in(user, objective.cycle.portfolio_id)
    if role == Role.DIRECTOR:
        return True
    if role not in CHECK_IN_BY_OWNERSHIP_ROLES:
        return False
    if key_result.owner_id is not None and key_result.owner_id == user.pk:
        return True
    return (
        role == Role.PRODUCT_MANAGER
        and objective.product_id is not None
        and objective.product.owner_id == user.pk
    )

"""Who may change the roadmap (DESIGN.md §7). Predicates answer a bool, never raise.

An archived product's roadmap is read-only until the product is restored.
"""

from portfolio.models import Portfolio, Product
from portfolio.permissions import can_edit_product_content, is_director
from roadmap.models import RoadmapItem


def can_create_item(user, product: Product) -> bool:
    return not product.is_archived and can_edit_product_content(user, product)


def can_edit_item(user, item: RoadmapItem) -> bool:
    """Edit, move, archive: the director or the PM owning the item's product."""
    return can_create_item(user, item.product)


def can_align(user, item: RoadmapItem) -> bool:
    """Align or unalign the item to key results: the director, or the PM on their own items."""
    return can_create_item(user, item.product)


def can_manage_dependencies(user, item: RoadmapItem) -> bool:
    return can_create_item(user, item.product)


def can_manage_share_links(user, portfolio: Portfolio, product: Product | None = None) -> bool:
    """Portfolio links: the director. A product's links: also the PM owning the product."""
    if product is None:
        return is_director(user, portfolio)
    if product.portfolio_id != getattr(portfolio, "pk", portfolio):
        return False
    return can_edit_product_content(user, product)

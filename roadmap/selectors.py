"""Reads of the roadmap, starting from what the person may see (DESIGN.md §7)."""

from django.db.models import QuerySet

from portfolio.selectors import visible_portfolio_ids
from roadmap.models import Alignment, Dependency, RoadmapItem


def roadmap_items_visible_to(user) -> QuerySet[RoadmapItem]:
    if not user.is_authenticated:
        return RoadmapItem.objects.none()
    return RoadmapItem.objects.filter(product__portfolio_id__in=visible_portfolio_ids(user))


def alignments_visible_to(user) -> QuerySet[Alignment]:
    if not user.is_authenticated:
        return Alignment.objects.none()
    return Alignment.objects.filter(item__product__portfolio_id__in=visible_portfolio_ids(user))


def dependencies_visible_to(user) -> QuerySet[Dependency]:
    if not user.is_authenticated:
        return Dependency.objects.none()
    return Dependency.objects.filter(
        blocked_item__product__portfolio_id__in=visible_portfolio_ids(user)
    )

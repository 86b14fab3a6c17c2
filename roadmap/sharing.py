"""Share links: token helpers and the reads behind the share-link pages.

A token is `secrets.token_urlsafe(32)` (256 bits). Only its SHA-256 is stored; a visit
hashes the presented token, looks the row up by that hash and compares the two hashes
in constant time, so neither the database nor response timing reveals a live token.
"""

import hashlib
import hmac
import importlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Prefetch, QuerySet
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string, select_template
from django.utils import timezone

from okrs.models import KeyResult, Objective, ProductProgress
from okrs.progress import Status
from okrs.selectors import active_cycle
from okrs.status import expected_progress, status_of
from portfolio.models import Portfolio, Product
from portfolio.permissions import is_director, is_owning_product_manager
from roadmap.board import board_context, requested_page
from roadmap.models import ItemStatus, RoadmapItem, ShareLink

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LinkStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return self.value.capitalize()


def status_of_link(link: ShareLink, now=None) -> LinkStatus:
    now = now or timezone.now()
    if link.revoked_at is not None:
        return LinkStatus.REVOKED
    if link.expires_at is not None and link.expires_at <= now:
        return LinkStatus.EXPIRED
    return LinkStatus.ACTIVE


def share_link_for_token(token: str) -> ShareLink | None:
    """The live link behind `token`, or None (unknown, expired or revoked)."""
    if not token or len(token) > 128:
        return None
    presented = hash_token(token)
    link = (
        ShareLink.objects.select_related("portfolio", "product")
        .filter(token_hash=presented)
        .first()
    )
    if link is None or not hmac.compare_digest(link.token_hash, presented):
        return None
    if status_of_link(link) is not LinkStatus.ACTIVE:
        return None
    if link.product is not None and link.product.is_archived:
        return None
    return link


# The management page -----------------------------------------------------------------


def manageable_products(user, portfolio: Portfolio) -> list[Product]:
    """Products whose links this person may create: all for the director, else their own."""
    products = Product.objects.in_portfolio(portfolio).active().order_by("name")
    if is_director(user, portfolio):
        return list(products)
    return [product for product in products if is_owning_product_manager(user, product)]


def share_links_managed_by(user, portfolio: Portfolio) -> QuerySet[ShareLink]:
    """The links on /p/<slug>/share-links/: every link for the director, the links of
    their own products for a product manager, none for anybody else."""
    links = ShareLink.objects.filter(portfolio=portfolio).select_related("product", "created_by")
    if is_director(user, portfolio):
        return links
    return links.filter(
        product__owner_id=user.pk, product__isnull=False, product__is_archived=False
    )


@dataclass
class ShareLinkRow:
    link: ShareLink
    status: LinkStatus

    @property
    def scope(self) -> str:
        return self.link.product.name if self.link.product_id else "Whole portfolio"


def share_link_rows(user, portfolio: Portfolio) -> list[ShareLinkRow]:
    now = timezone.now()
    return [
        ShareLinkRow(link=link, status=status_of_link(link, now))
        for link in share_links_managed_by(user, portfolio)
    ]


# The public page ---------------------------------------------------------------------


def shared_items(link: ShareLink) -> QuerySet[RoadmapItem]:
    """What a link shows of the roadmap: its scope's live, not-dropped items."""
    items = (
        RoadmapItem.objects.in_portfolio(link.portfolio_id)
        .not_archived()
        .filter(product__is_archived=False)
        .exclude(status=ItemStatus.DROPPED)
    )
    if link.product_id:
        items = items.filter(product_id=link.product_id)
    return items


def _own_list(items: QuerySet[RoadmapItem]) -> list[RoadmapItem]:
    return list(
        items.select_related("product")
        .only(
            "id",
            "title",
            "status",
            "horizon",
            "starts_on",
            "ends_on",
            "position",
            "product__id",
            "product__name",
        )
        .order_by("horizon", "product__name", "position", "id")
    )


def _reusable(module: str, function: str, template: str):
    """The board/timeline builder another feature exposes, when it exists."""
    try:
        builder = getattr(importlib.import_module(module), function)
        select_template([template])
    except (ImportError, AttributeError, TemplateDoesNotExist):
        return None
    return builder


@dataclass
class ObjectiveView:
    objective: Objective
    status: Status
    key_results: list[tuple[KeyResult, Status]]


def shared_board_context(link: ShareLink, query=None, *, horizons=None) -> dict:
    """The public board of what the link shares, one page per column (`?column=&page=`
    in `query`). Its links are relative to /share/<token>/: "more" pages of the page
    itself, and their cards alone from /share/<token>/board/ (htmx)."""
    requested = requested_page(query or {})
    return board_context(
        shared_items(link),
        public=True,
        pages=dict([requested]) if requested else None,
        horizons=horizons,
        path="",
        fragment_path="board/",
        query=query,
    )


def shared_page_context(link: ShareLink, query=None) -> dict:
    """Everything /share/<token>/ renders, in a fixed number of queries."""
    cycle = active_cycle(link.portfolio)
    items = shared_items(link)
    context = {
        "link": link,
        "portfolio": link.portfolio,
        "product": link.product,
        "cycle": cycle,
        "objectives": [],
        "products": [],
        "shared_timeline": None,
        **shared_board_context(link, query),
    }
    # The timeline partial of the roadmap pages, in its public mode, once it exists;
    # until then the share page draws its own read-only version.
    timeline = _reusable("roadmap.timeline", "timeline_context", "roadmap/_timeline.html")
    if timeline is not None:
        context["shared_timeline"] = render_to_string(
            "roadmap/_timeline.html", timeline(items, cycle=cycle, public=True)
        )
    if timeline is None:
        item_list = _own_list(items)
        context["dated_items"] = sorted(
            (item for item in item_list if item.starts_on or item.ends_on),
            key=lambda item: (item.starts_on or item.ends_on, item.ends_on or item.starts_on),
        )
        context["undated_count"] = sum(
            1 for item in item_list if not (item.starts_on or item.ends_on)
        )
    if cycle is None:
        return context
    expected = expected_progress(cycle)
    context["expected"] = expected
    context["cycle_status"] = status_of(cycle.progress, expected)
    objectives = Objective.objects.in_cycle(cycle).prefetch_related(
        Prefetch("key_results", queryset=KeyResult.objects.order_by("position", "id"))
    )
    if link.product_id:
        objectives = objectives.for_product(link.product)
    else:
        objectives = objectives.portfolio_level()
        context["products"] = [
            (row, status_of(row.progress, expected))
            for row in ProductProgress.objects.filter(cycle=cycle, product__is_archived=False)
            .select_related("product")
            .order_by("product__name")
        ]
    context["objectives"] = [
        ObjectiveView(
            objective=objective,
            status=status_of(objective.progress, expected),
            key_results=[
                (kr, status_of(kr.progress, expected, kr.confidence))
                for kr in objective.key_results.all()
            ],
        )
        for objective in objectives.order_by("depth", "position", "id")
    ]
    return context

"""The roadmap timeline: dated items on a month grid, grouped by product."""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from okrs.selectors import cycle_page_context
from portfolio.selectors import portfolio_for, portfolio_page_context
from roadmap.selectors import board_items, roadmap_products
from roadmap.timeline import timeline_context


def _partial(request) -> bool:
    """An htmx request for the region, not htmx restoring a page from history."""
    return bool(request.htmx) and not request.htmx.history_restore_request


@require_GET
def roadmap_timeline(request, slug):
    portfolio = portfolio_for(request.user, slug)
    cycle_context = cycle_page_context(portfolio, request.GET.get("cycle"))
    products = list(roadmap_products(portfolio))
    product = next((p for p in products if p.slug == request.GET.get("product")), None)
    context = {
        **portfolio_page_context(request.user, portfolio, "timeline"),
        **cycle_context,
        **timeline_context(board_items(portfolio, product), cycle=cycle_context["cycle"]),
        "products": products,
        "product": product,
    }
    template = "roadmap/timeline.html#timeline" if _partial(request) else "roadmap/timeline.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response

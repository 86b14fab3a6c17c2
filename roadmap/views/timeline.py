"""The roadmap timeline: dated items on a month grid, one lane per product; lanes and
their further bars load on demand."""

from urllib.parse import urlencode

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from okrs.selectors import cycle_page_context
from portfolio.selectors import portfolio_for, portfolio_page_context
from roadmap.search import page_number
from roadmap.selectors import board_items, roadmap_products
from roadmap.timeline import timeline_context, timeline_lane_context


def _partial(request) -> bool:
    """An htmx request for the region, not htmx restoring a page from history."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _cycle_query(request, cycle) -> str:
    """`&cycle=<id>` when the page shows a chosen cycle, for the links it draws."""
    if cycle is None or not request.GET.get("cycle"):
        return ""
    return "&" + urlencode({"cycle": cycle.pk})


@require_GET
def roadmap_timeline(request, slug):
    portfolio = portfolio_for(request.user, slug)
    cycle_context = cycle_page_context(portfolio, request.GET.get("cycle"))
    cycle = cycle_context["cycle"]
    products = list(roadmap_products(portfolio))
    product = next((p for p in products if p.slug == request.GET.get("product")), None)
    context = {
        **portfolio_page_context(request.user, portfolio, "timeline"),
        **cycle_context,
        **timeline_context(
            board_items(portfolio), cycle=cycle, product=product, page=page_number(request.GET)
        ),
        "products": products,
        "product": product,
        "timeline_cycle_query": _cycle_query(request, cycle),
    }
    template = "roadmap/timeline.html#timeline" if _partial(request) else "roadmap/timeline.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def roadmap_timeline_lane(request, slug, product_slug):
    """A product's lane (`?page=1`) or its next bars (`?page=2`…), for htmx; without
    htmx, the timeline page filtered to that product shows the same bars."""
    portfolio = portfolio_for(request.user, slug)
    product = get_object_or_404(roadmap_products(portfolio), slug=product_slug)
    page = page_number(request.GET)
    if not _partial(request):
        query = {"product": product.slug, **({"page": page} if page > 1 else {})}
        if request.GET.get("cycle"):
            query["cycle"] = request.GET["cycle"]
        return redirect(f"{reverse('roadmap_timeline', args=[portfolio.slug])}?{urlencode(query)}")
    cycle = cycle_page_context(portfolio, request.GET.get("cycle"))["cycle"]
    context = {
        "portfolio": portfolio,
        **timeline_lane_context(board_items(portfolio), product, cycle=cycle, page=page),
        "timeline_cycle_query": _cycle_query(request, cycle),
        "timeline_focus": "lane" if page == 1 else "chunk",
    }
    template = "roadmap/_timeline.html#lane" if page == 1 else "roadmap/_timeline.html#more"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response

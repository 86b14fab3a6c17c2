"""The quarterly review /p/<slug>/review/?cycle=<id>: a cycle presented section by section."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from okrs.selectors import cycle_page_context
from portfolio.selectors import portfolio_for, portfolio_page_context
from roadmap.review import review_of


@require_GET
def review(request, slug):
    portfolio = portfolio_for(request.user, slug)
    cycles = cycle_page_context(portfolio, request.GET.get("cycle"))
    context = {
        **portfolio_page_context(request.user, portfolio, "review"),
        **cycles,
        "review": review_of(cycles["cycle"]),
    }
    return render(request, "roadmap/review.html", context)

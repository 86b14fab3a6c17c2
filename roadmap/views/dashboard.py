"""The portfolio dashboard (/p/<slug>/): progress, burn-up, what needs attention."""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from okrs.permissions import can_manage_cycles
from okrs.selectors import cycle_page_context
from portfolio.selectors import portfolio_for, portfolio_page_context
from roadmap.dashboard import dashboard_context


@require_GET
def dashboard(request, slug):
    portfolio = portfolio_for(request.user, slug)
    context = {
        **portfolio_page_context(request.user, portfolio, "dashboard"),
        **cycle_page_context(portfolio, request.GET.get("cycle")),
        "can_manage_cycles": can_manage_cycles(request.user, portfolio),
    }
    context.update(dashboard_context(portfolio, context["cycle"]))
    template = "roadmap/dashboard.html#dashboard-live" if request.htmx else "roadmap/dashboard.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response

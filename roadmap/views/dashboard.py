"""The portfolio dashboard (/p/<slug>/): progress, burn-up, what needs attention.

`?attention=40` and `?activity=30` show more of the two capped lists. An htmx request
aimed at one of those panels gets only that panel; the 30-second poll gets the live
region and sends the panels' current lengths along, so polling never folds them up.
"""

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from okrs.permissions import can_manage_cycles
from okrs.selectors import cycle_page_context
from portfolio.selectors import portfolio_for, portfolio_page_context
from roadmap.dashboard import (
    ACTIVITY_STEP,
    ATTENTION_STEP,
    activity_context,
    attention_context,
    dashboard_context,
)
from roadmap.search import shown_count

PANELS = {"attention-panel", "activity-panel"}


def _more_links(portfolio, cycle, attention: int, activity: int, context: dict) -> dict:
    def url(**shown):
        query = {"cycle": cycle.pk, "attention": attention, "activity": activity, **shown}
        return f"{reverse('dashboard', args=[portfolio.slug])}?{urlencode(query)}"

    links = {"attention_shown": attention, "activity_shown": activity}
    if "attention" in context:
        total = context["attention"].total
        links["attention_more_url"] = url(attention=attention + ATTENTION_STEP)
        links["attention_all_url"] = url(attention=total)
        links["attention_next"] = min(ATTENTION_STEP, max(total - attention, 0))
    links["activity_more_url"] = url(activity=activity + ACTIVITY_STEP)
    return links


@require_GET
def dashboard(request, slug):
    portfolio = portfolio_for(request.user, slug)
    attention = shown_count(request.GET.get("attention"), ATTENTION_STEP)
    activity = shown_count(request.GET.get("activity"), ACTIVITY_STEP)
    panel = request.htmx.target if request.htmx and request.htmx.target in PANELS else None
    context = {
        **portfolio_page_context(request.user, portfolio, "dashboard"),
        **cycle_page_context(portfolio, request.GET.get("cycle")),
        "can_manage_cycles": can_manage_cycles(request.user, portfolio),
    }
    cycle = context["cycle"]
    if panel and cycle is not None:
        if panel == "attention-panel":
            context.update(attention_context(portfolio, cycle, attention))
        else:
            context.update(activity_context(portfolio, cycle, activity))
        template = f"roadmap/dashboard.html#{panel}"
    else:
        context.update(
            dashboard_context(portfolio, cycle, attention_shown=attention, activity_shown=activity)
        )
        template = (
            "roadmap/dashboard.html#dashboard-live" if request.htmx else "roadmap/dashboard.html"
        )
    if cycle is not None:
        context.update(_more_links(portfolio, cycle, attention, activity, context))
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response

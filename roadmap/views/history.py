"""The audit trail of one object: /p/<slug>/history/<kind>/<pk>/ (directors only)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from portfolio.permissions import is_director
from portfolio.selectors import portfolio_for, portfolio_page_context
from roadmap import history


@require_GET
def object_history(request, slug, kind, pk):
    portfolio = portfolio_for(request.user, slug)
    if not is_director(request.user, portfolio):
        raise PermissionDenied
    subject = history.history_subject(portfolio, kind, pk)
    page, entries = history.history_page(kind, subject, request.GET.get("page"))
    back_label, back_url = history.back_link(portfolio, kind, subject)
    context = {
        **portfolio_page_context(request.user, portfolio, "history"),
        "kind": kind,
        "kind_label": history.kind_label(kind),
        "subject": subject,
        "page": page,
        "entries": entries,
        "back_label": back_label,
        "back_url": back_url,
    }
    template = "roadmap/history.html#history-entries" if request.htmx else "roadmap/history.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response

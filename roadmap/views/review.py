"""The quarterly review /p/<slug>/review/?cycle=<id>: a cycle presented section by section.

The page renders the first slides in full and the others as headings that load when
they come into view (`?slide=<objective id>`); `?slides=all` renders every slide (for
printing, and for reading without JavaScript); `?expand=<objective id>:shipped` (or
`:at_risk`) lists one slide's work in full.
"""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from okrs.selectors import cycle_page_context
from portfolio.selectors import portfolio_for, portfolio_page_context
from roadmap.review import review_of

LISTS = {"shipped", "at_risk"}


def _expand(value: str) -> tuple[int, str] | None:
    """`?expand=<objective id>:shipped` (or `:at_risk`): the slide list shown in full."""
    objective_id, _, kind = value.partition(":")
    if not value:
        return None
    if not objective_id.isdigit() or kind not in LISTS:
        raise Http404
    return int(objective_id), kind


def _slide(value: str) -> int | None:
    if value and not value.isdigit():
        raise Http404
    return int(value) if value else None


def _section(review, objective_id: int):
    section = next((s for s in review.sections if s.pk == objective_id), None)
    if section is None:
        raise Http404
    return section


@require_GET
@vary_on_headers("HX-Request")
def review(request, slug):
    portfolio = portfolio_for(request.user, slug)
    cycles = cycle_page_context(portfolio, request.GET.get("cycle"))
    expand = _expand(request.GET.get("expand", ""))
    slide = _slide(request.GET.get("slide", ""))
    review = review_of(
        cycles["cycle"],
        expand=expand,
        slide=slide,
        every_slide=request.GET.get("slides") == "all",
    )
    context = {
        **portfolio_page_context(request.user, portfolio, "review"),
        **cycles,
        "review": review,
        "autoprint": request.GET.get("print") == "1",
    }
    if request.htmx and slide:
        # A slide coming into view: the whole slide.
        context["section"] = _section(review, slide)
        return render(request, "roadmap/review.html#slide", context)
    if request.htmx and expand:
        # "Show all" on a slide: that list alone, in full.
        section = _section(review, expand[0])
        kind = expand[1]
        context.update(
            section=section,
            kind=kind,
            items=getattr(section, kind),
            total=getattr(section, f"{kind}_count"),
            hidden=0,
            expanded=True,
        )
        return render(request, "roadmap/review.html#work-list", context)
    return render(request, "roadmap/review.html", context)

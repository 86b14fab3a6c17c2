"""The alignment matrix: counts per PM, product and portfolio objective, and aligning
items to key results in place (DESIGN.md §1, §7)."""

import json
from urllib.parse import urlencode, urlsplit

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from okrs.selectors import cycle_page_context, cycles_visible_to, key_results_visible_to
from portfolio.selectors import portfolio_for, portfolio_page_context
from roadmap import alignment as matrix_selectors
from roadmap.models import Alignment
from roadmap.permissions import can_align
from roadmap.search import list_page, page_number, search_query
from roadmap.selectors import alignments_visible_to, roadmap_items_visible_to
from roadmap.services import alignment_create, alignment_delete
from teams.models import User

MATRIX = "roadmap/alignment.html"
# A cell or an explanation lists this many items a page: enough to act on, small enough
# to stay fast; a pager reaches the rest.
CELL_LIMIT = 100


class AlignForm(forms.Form):
    key_result = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        required=False,
        max_length=2000,
        label="Hypothesis (optional)",
        help_text="What should this item move, and why?",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _page_context(request, portfolio, cycle_id=None) -> dict:
    context = portfolio_page_context(request.user, portfolio, "alignment")
    context.update(cycle_page_context(portfolio, cycle_id or request.GET.get("cycle")))
    return context


def _detail_context(request, portfolio, cycle) -> dict:
    """A page behind one number of the matrix: about one cycle, so no cycle switcher."""
    context = portfolio_page_context(request.user, portfolio, "alignment")
    context["cycle"] = cycle
    return context


def _cycle_or_404(request, portfolio, cycle_id=None):
    cycle_id = cycle_id or request.GET.get("cycle")
    if cycle_id:
        if not str(cycle_id).isdigit():
            raise Http404
        return get_object_or_404(cycles_visible_to(request.user), pk=cycle_id, portfolio=portfolio)
    cycle = cycle_page_context(portfolio, None)["cycle"]
    if cycle is None:
        raise Http404
    return cycle


def _scope(row: str) -> tuple[dict, str]:
    """`product:<id>`, `pm:<id>` (0: no product manager) or `portfolio` → selector kwargs."""
    kind, _, value = (row or "portfolio").partition(":")
    if kind == "portfolio":
        return {}, "portfolio"
    if kind in {"product", "pm"} and value.isdigit():
        return ({"product_id": int(value)} if kind == "product" else {"owner_id": int(value)}), kind
    raise Http404


def _scope_label(portfolio, scope: dict, kind: str) -> str:
    if kind == "product":
        product = get_object_or_404(portfolio.products.all(), pk=scope["product_id"])
        return product.name
    if kind == "pm":
        if not scope["owner_id"]:
            return "Products without a product manager"
        return get_object_or_404(User, pk=scope["owner_id"]).name
    return portfolio.name


def _shown_groups(query) -> int:
    """`?groups=<n>`: how many product managers' rows the matrix renders."""
    value = query.get("groups", "")
    return min(int(value), 10_000) if value.isdigit() else 0


def _matrix(user, portfolio, cycle, *, shown: int = 0) -> matrix_selectors.Matrix:
    matrix = matrix_selectors.alignment_matrix(portfolio, cycle, shown=shown)
    for item in matrix.unaligned_preview:
        item.can_align = can_align(user, item)
    return matrix


def _matrix_url(portfolio, cycle) -> str:
    return f"{reverse('alignment_matrix', args=[portfolio.slug])}?cycle={cycle.pk}"


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def alignment_matrix(request, slug):
    portfolio = portfolio_for(request.user, slug)
    context = _page_context(request, portfolio)
    cycle = context["cycle"]
    if cycle is not None:
        context["matrix"] = _matrix(
            request.user, portfolio, cycle, shown=_shown_groups(request.GET)
        )
    template = MATRIX
    if request.htmx and cycle:
        # "Show more" swaps the matrix alone; the cycle switcher swaps the whole body.
        matrix_only = request.htmx.target == "alignment-matrix"
        template = "roadmap/_alignment_matrix.html" if matrix_only else f"{MATRIX}#matrix-body"
    return render(request, template, context)


@require_GET
@vary_on_headers("HX-Request")
def alignment_cell(request, slug):
    """The items behind one cell (or the key results behind the "Not covered" row)."""
    portfolio = portfolio_for(request.user, slug)
    cycle = _cycle_or_404(request, portfolio)
    objective = request.GET.get("objective", "")
    row = request.GET.get("row", "portfolio")
    _, mapping = matrix_selectors.root_objective_map(cycle)
    roots = set(mapping.values())
    if objective != matrix_selectors.UNALIGNED and (
        not objective.isdigit() or int(objective) not in roots
    ):
        raise Http404
    context = _detail_context(request, portfolio, cycle)
    objective_title = (
        "Unaligned"
        if objective == matrix_selectors.UNALIGNED
        else cycle.objectives.only("title").get(pk=objective).title
    )
    if row == "uncovered":
        key_results = list(
            matrix_selectors.uncovered_key_results(cycle, root_id=int(objective), mapping=mapping)
        )
        context.update(
            uncovered=key_results, heading=f"Not covered · {objective_title}", items=None
        )
    else:
        scope, kind = _scope(row)
        cell = matrix_selectors.cell_items(portfolio, cycle, objective, mapping=mapping, **scope)
        page = list_page(cell, number=page_number(request.GET), size=CELL_LIMIT)
        for item in page.rows:
            item.can_align = can_align(request.user, item)
        context.update(
            items=page.rows,
            page=page,
            heading=f"{_scope_label(portfolio, scope, kind)} · {objective_title}",
        )
    list_url = f"{reverse('alignment_cell', args=[portfolio.slug])}?" + urlencode(
        {"cycle": cycle.pk, "row": row, "objective": objective}
    )
    context["list_url"] = f"{list_url}&"
    # What the section reloads after an alignment changes: the page it is on.
    page = context.get("page")
    context["detail_url"] = f"{list_url}&page={page.number}" if page else list_url
    template = "roadmap/alignment_cell.html"
    return render(request, f"{template}#alignment-detail" if request.htmx else template, context)


def _picker_context(request, portfolio, item, cycle, form) -> dict:
    query = search_query(request.GET, "q")
    found = matrix_selectors.picker_key_results(cycle, query, product=item.product)
    aligned_ids = set(
        Alignment.objects.filter(item=item, key_result__objective__cycle=cycle).values_list(
            "key_result_id", flat=True
        )
    )
    groups: list[dict] = []
    for key_result in found.rows:
        if not groups or groups[-1]["objective"].pk != key_result.objective_id:
            groups.append({"objective": key_result.objective, "key_results": []})
        key_result.is_aligned = key_result.pk in aligned_ids
        groups[-1]["key_results"].append(key_result)
    context = _detail_context(request, portfolio, cycle)
    context.update(
        cycle=cycle,
        item=item,
        form=form,
        query=query,
        groups=groups,
        result_count=len(found.rows),
        results=found,
        picker_url=reverse("item_align", args=[portfolio.slug, item.pk]),
    )
    return context


def _updates_response(request, portfolio, cycle, event: str, detail: dict) -> HttpResponse:
    """Every region the change touches, swapped out of band, and the event."""
    context = portfolio_page_context(request.user, portfolio, "alignment")
    # Keep as many product managers' rows as the page shows (`?groups=` in its URL).
    current = urlsplit(request.htmx.current_url_abs_path or "")
    shown = _shown_groups(QueryDict(current.query))
    matrix = _matrix(request.user, portfolio, cycle, shown=shown)
    context.update(cycle=cycle, matrix=matrix, oob=True)
    response = render(request, "roadmap/alignment_updates.html", context)
    response["HX-Reswap"] = "none"
    response["HX-Trigger"] = json.dumps({event: detail, "dialogClose": True})
    return response


@vary_on_headers("HX-Request", "HX-Target")
def item_align(request, slug, item_id):
    """The key-result picker (GET) and aligning the item to the chosen key result (POST)."""
    portfolio = portfolio_for(request.user, slug)
    item = get_object_or_404(
        roadmap_items_visible_to(request.user).select_related("product"),
        pk=item_id,
        product__portfolio=portfolio,
    )
    if not can_align(request.user, item):
        raise PermissionDenied
    cycle = _cycle_or_404(request, portfolio, request.POST.get("cycle"))
    template = "roadmap/alignment_picker.html"
    form = AlignForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            key_result = (
                key_results_visible_to(request.user)
                .select_related("objective__cycle")
                .filter(pk=form.cleaned_data["key_result"], objective__cycle=cycle)
                .first()
            )
            try:
                if key_result is None:
                    raise ValidationError("Choose a key result of this cycle.")
                alignment_create(
                    item=item,
                    key_result=key_result,
                    created_by=request.user,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if request.htmx:
                    detail = {"item": item.pk, "keyResult": key_result.pk}
                    return _updates_response(request, portfolio, cycle, "itemAligned", detail)
                return redirect(_matrix_url(portfolio, cycle))
        context = _picker_context(request, portfolio, item, cycle, form)
        response = render(request, f"{template}#picker" if request.htmx else template, context)
        response.status_code = 422 if request.htmx else 200
        if request.htmx:
            response["HX-Retarget"] = "#dialog"
            response["HX-Reswap"] = "innerHTML"
        return response
    context = _picker_context(request, portfolio, item, cycle, form)
    if request.htmx and request.htmx.target == "picker-results":
        return render(request, f"{template}#picker-results", context)
    return render(request, f"{template}#picker" if request.htmx else template, context)


@require_POST
def alignment_remove(request, slug, pk):
    portfolio = portfolio_for(request.user, slug)
    alignment = get_object_or_404(
        alignments_visible_to(request.user).select_related(
            "item__product", "key_result__objective__cycle"
        ),
        pk=pk,
        item__product__portfolio=portfolio,
    )
    if not can_align(request.user, alignment.item):
        raise PermissionDenied
    cycle = alignment.key_result.objective.cycle
    detail = {"item": alignment.item_id, "keyResult": alignment.key_result_id}
    alignment_delete(alignment=alignment)
    if request.htmx:
        return _updates_response(request, portfolio, cycle, "itemUnaligned", detail)
    return redirect(_matrix_url(portfolio, cycle))


@require_GET
@vary_on_headers("HX-Request")
def explain_alignment_score(request, slug):
    """Which active items count in a score, and which of them are aligned."""
    portfolio = portfolio_for(request.user, slug)
    cycle = _cycle_or_404(request, portfolio)
    scope, kind = _scope(request.GET.get("row", "portfolio"))
    score_items = matrix_selectors.score_items(portfolio, cycle, **scope)
    figures = matrix_selectors.score_figures(score_items)
    page = list_page(score_items, number=page_number(request.GET), size=CELL_LIMIT)
    context = _detail_context(request, portfolio, cycle)
    list_url = f"{reverse('explain_alignment_score', args=[portfolio.slug])}?" + urlencode(
        {"cycle": cycle.pk, "row": request.GET.get("row", "portfolio")}
    )
    context.update(
        cycle=cycle,
        scope_label=_scope_label(portfolio, scope, kind),
        items=page.rows,
        page=page,
        list_url=f"{list_url}&",
        aligned=figures["aligned"],
        active=figures["active"],
        score=matrix_selectors.share(figures["aligned"], figures["active"]),
    )
    template = "roadmap/alignment_explain_score.html"
    return render(request, f"{template}#explanation" if request.htmx else template, context)


@require_GET
@vary_on_headers("HX-Request")
def explain_coverage(request, slug, objective_id):
    """Which key results of a portfolio objective's cascade an active item serves."""
    portfolio = portfolio_for(request.user, slug)
    cycle = _cycle_or_404(request, portfolio)
    columns, mapping = matrix_selectors.root_objective_map(cycle)
    objective = next((c for c in columns if c.pk == objective_id), None)
    if objective is None:
        raise Http404
    key_results = list(matrix_selectors.cascade_key_results(objective_id, mapping))
    covered = sum(1 for key_result in key_results if key_result.active_items)
    context = _detail_context(request, portfolio, cycle)
    context.update(
        cycle=cycle,
        objective=objective,
        key_results=key_results,
        covered=covered,
        coverage=matrix_selectors.share(covered, len(key_results)),
    )
    template = "roadmap/alignment_explain_coverage.html"
    return render(request, f"{template}#explanation" if request.htmx else template, context)

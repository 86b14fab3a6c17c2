"""OKR pages: the tree, dialog forms for cycles, objectives and key results, and the
breakdown behind every progress number.

Forms open in `<dialog id="dialog">` with htmx (GET answers the form partial; a failed
POST re-renders it with inline errors; a successful one answers 204 with
`HX-Trigger: okrsChanged, dialogClose`, and the tree reloads itself). Without
JavaScript the same URLs are full pages that redirect after a POST.
"""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from okrs import explain, services
from okrs.forms import CycleForm, KeyResultForm, ObjectiveForm, TreeFilterForm, add_service_errors
from okrs.permissions import (
    can_create_key_result,
    can_create_objective,
    can_edit_key_result,
    can_edit_objective,
    can_manage_cycles,
)
from okrs.selectors import (
    TREE_PAGE_SIZE,
    TreeFilters,
    cycle_for,
    cycle_page_context,
    key_result_for,
    objective_for,
    objective_parent_choices,
    objective_path_ids,
    okr_tree_branch,
    okr_tree_roots,
    portfolio_people,
    products_in,
)
from okrs.status import expected_progress
from portfolio.permissions import can_edit_product_content
from portfolio.selectors import portfolio_for, portfolio_page_context

FORM_TEMPLATE = "okrs/form.html"


def _vary(response):
    patch_vary_headers(response, ["HX-Request"])
    return response


def _tree_url(portfolio, cycle=None, *, show=None) -> str:
    """The tree, opened down to the objective `show` when given."""
    url = reverse("okr_tree", args=[portfolio.slug])
    query = {"cycle": cycle.pk} if cycle else {}
    if show is not None:
        query["open"] = ",".join(map(str, objective_path_ids(show)))
    return f"{url}?{urlencode(query)}" if query else url


def _saved(request, portfolio, cycle, message: str, *, reload: bool = False, show=None):
    """After a successful POST: 204 + events with htmx, else a redirect to the tree.

    A change to a cycle (`reload`) changes the page frame too (the cycle switcher), so
    htmx is told to load the tree of that cycle instead of refreshing one region. `show`
    is the objective whose contents changed: the reloaded tree opens it (okrs.js adds it
    to the objectives kept open).
    """
    if request.htmx:
        response = HttpResponse(status=204)
        if reload:
            messages.success(request, message)
            response["HX-Redirect"] = _tree_url(portfolio, cycle)
        else:
            changed = {"open": objective_path_ids(show)} if show is not None else None
            response["HX-Trigger"] = json.dumps({"okrsChanged": changed, "dialogClose": None})
        return response
    messages.success(request, message)
    return redirect(_tree_url(portfolio, cycle, show=show))


def _render_form(request, portfolio, context, *, status=200):
    context = {
        **portfolio_page_context(request.user, portfolio, "okrs"),
        "cancel_url": _tree_url(portfolio, context.get("cycle")),
        "in_dialog": bool(request.htmx),
        **context,
    }
    template = f"{FORM_TEMPLATE}#dialog-form" if request.htmx else FORM_TEMPLATE
    return _vary(render(request, template, context, status=status))


def _conflict_status(request, stale: bool) -> int:
    """409 for a refused stale edit, except for htmx: htmx does not swap 4xx answers,
    so the dialog gets a 200 with the message at the top (see docs/concurrency.md)."""
    return 409 if stale and not request.htmx else 200


def _editable_products(user, portfolio):
    return [
        p
        for p in products_in(portfolio).select_related("portfolio")
        if can_edit_product_content(user, p)
    ]


# The tree ------------------------------------------------------------------------
#
# The page lists the cycle's root objectives; an objective's contents (key results,
# child objectives) load when it is expanded, from `okr_tree_children`. Without
# JavaScript the expand toggle and "Show more" are links to full pages (the objective
# on its own, or the next page of a level), so everything stays reachable.


def _mark_editable(user, nodes) -> None:
    """`can_edit` on every row, from okrs.permissions (roles are cached: no query)."""
    for node in nodes:
        node.can_edit = can_edit_objective(user, node.objective)
        _mark_editable(user, node.children)


def _offset(request) -> int:
    value = request.GET.get("offset", "")
    return int(value) if value.isdigit() else 0


def _open_ids(request) -> list[int] | None:
    """`?open=1,2,3`: the objectives to show expanded (sent by okrs.js when the tree
    reloads itself, so a save keeps what was open). None when absent."""
    value = request.GET.get("open")
    if value is None:
        return None
    return [int(part) for part in value.split(",") if part.strip().isdigit()]


def _tree_frame(request, portfolio, cycle) -> dict:
    """What every tree response needs: the filters, the permissions, the links."""
    filters = TreeFilterForm(
        request.GET or None, products=products_in(portfolio), owners=portfolio_people(portfolio)
    )
    chosen = filters.cleaned_data if filters.is_valid() else {}
    tree_filters = TreeFilters(
        product_id=getattr(chosen.get("product"), "pk", None),
        owner_id=getattr(chosen.get("owner"), "pk", None),
        status=chosen.get("status") or None,
    )
    # The filters travel with every expand and "Show more" link.
    query = {"cycle": cycle.pk} if cycle else {}
    if chosen:
        query.update(
            (name, request.GET[name]) for name in ("product", "owner", "status") if chosen[name]
        )
    is_director = can_manage_cycles(request.user, portfolio)
    can_plan = cycle is not None and not cycle.is_closed
    return {
        **portfolio_page_context(request.user, portfolio, "okrs"),
        "filters": filters,
        "tree_filters": tree_filters,
        "filtered": tree_filters.active,
        "tree_query": urlencode(query),
        "expected": expected_progress(cycle) if cycle else None,
        "can_manage_cycles": is_director,
        "can_add_portfolio_objective": can_plan and is_director,
        "can_add_product_objective": can_plan and bool(_editable_products(request.user, portfolio)),
        "tree_url": reverse("okr_tree", args=[portfolio.slug]),
        "page_size": TREE_PAGE_SIZE,
    }


def _wants_more_rows(request) -> bool:
    """A "Show more" row (`id="okr-more-…"`) asks for the next rows of its list only."""
    return bool(request.htmx) and (request.htmx.target or "").startswith("okr-more-")


@require_GET
def okr_tree(request, slug):
    portfolio = portfolio_for(request.user, slug)
    cycle_context = cycle_page_context(portfolio, request.GET.get("cycle"))
    cycle = cycle_context["cycle"]
    frame = _tree_frame(request, portfolio, cycle)
    level = None
    if cycle is not None:
        level = okr_tree_roots(
            cycle,
            filters=frame["tree_filters"],
            offset=_offset(request),
            open_ids=_open_ids(request),
        )
        _mark_editable(request.user, level.nodes)
    context = {**frame, **cycle_context, "level": level}
    if level is not None and _wants_more_rows(request):
        template = "okrs/_objective_node.html#objective-rows"
        context.update(nodes=level.nodes, remaining=level.remaining, next_offset=level.next_offset)
    elif request.htmx:
        template = "okrs/tree.html#okr-tree"
    else:
        template = "okrs/tree.html"
    return _vary(render(request, template, context))


@require_GET
def okr_tree_children(request, slug, pk):
    """An objective's contents: the region an expand toggle fills (htmx), the next page
    of its child objectives ("Show more"), or, without htmx, a page showing that
    objective open (what the toggle and "Show more" links lead to without JavaScript)."""
    portfolio = portfolio_for(request.user, slug)
    objective = objective_for(request.user, portfolio, pk)
    cycle = objective.cycle
    frame = _tree_frame(request, portfolio, cycle)
    node = okr_tree_branch(objective, filters=frame["tree_filters"], offset=_offset(request))
    _mark_editable(request.user, [node])
    context = {
        **frame,
        "cycle": cycle,
        "node": node,
        "focus": node,
        "nodes": node.children,
        "remaining": node.more_children,
        "next_offset": node.next_offset,
        "more_parent": objective,
    }
    if _wants_more_rows(request):
        template = "okrs/_objective_node.html#objective-rows"
    elif request.htmx and request.htmx.target != "okr-tree":
        template = "okrs/_objective_node.html#objective-children"
    else:
        context.update(cycle_page_context(portfolio, cycle.pk))
        context["cycle"] = cycle
        context["focus_parent"] = objective.parent if objective.parent_id else None
        template = "okrs/tree.html#okr-tree" if request.htmx else "okrs/tree.html"
    return _vary(render(request, template, context))


# Cycles --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def cycle_create(request, slug):
    portfolio = portfolio_for(request.user, slug)
    if not can_manage_cycles(request.user, portfolio):
        raise PermissionDenied
    form = CycleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cycle = services.cycle_create(portfolio=portfolio, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _saved(request, portfolio, cycle, f"{cycle.name} created.", reload=True)
    return _render_form(
        request,
        portfolio,
        {
            "form": form,
            "title": "New cycle",
            "action": reverse("cycle_create", args=[portfolio.slug]),
            "submit_label": "Create cycle",
        },
    )


@require_http_methods(["GET", "POST"])
def cycle_edit(request, slug, pk):
    portfolio = portfolio_for(request.user, slug)
    cycle = cycle_for(request.user, portfolio, pk)
    if not can_manage_cycles(request.user, portfolio) or cycle.is_closed:
        raise PermissionDenied
    form = CycleForm(request.POST or None, instance=cycle)
    if request.method == "POST" and form.is_valid():
        try:
            cycle = services.cycle_update(cycle=cycle, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _saved(request, portfolio, cycle, f"{cycle.name} saved.", reload=True)
    return _render_form(
        request,
        portfolio,
        {
            "form": form,
            "cycle": cycle,
            "title": f"Edit {cycle.name}",
            "action": reverse("cycle_edit", args=[portfolio.slug, cycle.pk]),
            "submit_label": "Save cycle",
            "close_url": reverse("cycle_close", args=[portfolio.slug, cycle.pk]),
        },
    )


@require_http_methods(["GET", "POST"])
def cycle_close(request, slug, pk):
    portfolio = portfolio_for(request.user, slug)
    cycle = cycle_for(request.user, portfolio, pk)
    if not can_manage_cycles(request.user, portfolio):
        raise PermissionDenied
    error = None
    if request.method == "POST":
        try:
            cycle = services.cycle_close(cycle=cycle)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return _saved(
                request,
                portfolio,
                cycle,
                f"{cycle.name} closed: its scores are final.",
                reload=True,
            )
    return _render_form(
        request,
        portfolio,
        {
            "cycle": cycle,
            "confirm": True,
            "error": error,
            "title": f"Close {cycle.name}?",
            "action": reverse("cycle_close", args=[portfolio.slug, cycle.pk]),
            "submit_label": "Close cycle",
        },
    )


# Objectives ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def objective_create(request, slug):
    portfolio = portfolio_for(request.user, slug)
    source = request.POST if request.method == "POST" else request.GET
    cycle = cycle_page_context(portfolio, source.get("cycle"))["cycle"]
    if cycle is None:
        raise Http404("This portfolio has no cycle yet.")
    is_director = can_manage_cycles(request.user, portfolio)
    products = [p.pk for p in _editable_products(request.user, portfolio)]
    if cycle.is_closed or not (is_director or products):
        raise PermissionDenied
    parent_id = request.GET.get("parent")
    parent_product = (
        objective_parent_choices(cycle, portfolio_level=False)
        .filter(pk=parent_id, product__in=products)
        .values_list("product_id", flat=True)
        .first()
        if parent_id and parent_id.isdigit()
        else None
    )
    form = ObjectiveForm(
        request.POST or None,
        initial={"parent": parent_id, "product": request.GET.get("product") or parent_product},
        products=products_in(portfolio).filter(pk__in=products),
        parents=objective_parent_choices(cycle, portfolio_level=False),
        owners=portfolio_people(portfolio),
        product_required=not is_director,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if not can_create_objective(request.user, cycle, data["product"]):
            raise PermissionDenied
        try:
            objective = services.objective_create(cycle=cycle, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _saved(
                request,
                portfolio,
                cycle,
                f"“{objective.title}” created.",
                show=objective.parent,
            )
    return _render_form(
        request,
        portfolio,
        {
            "form": form,
            "cycle": cycle,
            "hidden": {"cycle": cycle.pk},
            "title": "New objective",
            "action": reverse("objective_create", args=[portfolio.slug]),
            "submit_label": "Create objective",
        },
    )


@require_http_methods(["GET", "POST"])
def objective_edit(request, slug, pk):
    portfolio = portfolio_for(request.user, slug)
    objective = objective_for(request.user, portfolio, pk)
    if not can_edit_objective(request.user, objective):
        raise PermissionDenied
    parents = objective_parent_choices(
        objective.cycle, portfolio_level=objective.is_portfolio_level
    ).exclude(pk=objective.pk)
    initial = {
        "title": objective.title,
        "description": objective.description,
        "parent": objective.parent_id,
        "owner": objective.owner_id,
        "kind": objective.kind,
        "weight": objective.weight,
        "rollup_children": objective.rollup_children,
        "version": objective.version,
    }
    form = ObjectiveForm(
        request.POST or None,
        initial=initial,
        products=products_in(portfolio),
        parents=parents,
        owners=portfolio_people(portfolio),
        editing=True,
    )
    stale = False
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        expected_version = fields.pop("version", None)
        try:
            objective = services.objective_update(
                objective=objective, expected_version=expected_version, **fields
            )
        except ValidationError as error:
            stale = isinstance(error, services.StaleEditError)
            add_service_errors(form, error)
        else:
            return _saved(
                request, portfolio, objective.cycle, f"“{objective.title}” saved.", show=objective
            )
    return _render_form(
        request,
        portfolio,
        {
            "form": form,
            "cycle": objective.cycle,
            "title": "Edit objective",
            "subtitle": objective.product.name if objective.product_id else "Portfolio objective",
            "action": reverse("objective_edit", args=[portfolio.slug, objective.pk]),
            "submit_label": "Save objective",
            "stale": stale,
        },
        status=_conflict_status(request, stale),
    )


# Key results ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def key_result_create(request, slug, objective_pk):
    portfolio = portfolio_for(request.user, slug)
    objective = objective_for(request.user, portfolio, objective_pk)
    if not can_create_key_result(request.user, objective):
        raise PermissionDenied
    form = KeyResultForm(request.POST or None, owners=portfolio_people(portfolio))
    if request.method == "POST" and form.is_valid():
        try:
            key_result = services.key_result_create(objective=objective, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _saved(
                request,
                portfolio,
                objective.cycle,
                f"“{key_result.title}” created.",
                show=objective,
            )
    return _render_form(
        request,
        portfolio,
        {
            "form": form,
            "cycle": objective.cycle,
            "title": "New key result",
            "subtitle": objective.title,
            "action": reverse("key_result_create", args=[portfolio.slug, objective.pk]),
            "submit_label": "Create key result",
            "measure_form": True,
        },
    )


@require_http_methods(["GET", "POST"])
def key_result_edit(request, slug, pk):
    portfolio = portfolio_for(request.user, slug)
    key_result = key_result_for(request.user, portfolio, pk)
    if not can_edit_key_result(request.user, key_result):
        raise PermissionDenied
    initial = {
        name: getattr(key_result, name)
        for name in (
            "title",
            "description",
            "measure",
            "unit",
            "start_value",
            "target_value",
            "weight",
        )
    }
    initial["owner"] = key_result.owner_id
    initial["version"] = key_result.version
    form = KeyResultForm(
        request.POST or None, initial=initial, owners=portfolio_people(portfolio), editing=True
    )
    stale = False
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        expected_version = fields.pop("version", None)
        try:
            key_result = services.key_result_update(
                key_result=key_result, expected_version=expected_version, **fields
            )
        except ValidationError as error:
            stale = isinstance(error, services.StaleEditError)
            add_service_errors(form, error)
        else:
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Trigger"] = json.dumps(
                    {"okrsChanged": None, "keyResultUpdated": None, "dialogClose": None}
                )
                return response
            messages.success(request, f"“{key_result.title}” saved.")
            return redirect(
                _tree_url(portfolio, key_result.objective.cycle, show=key_result.objective)
            )
    return _render_form(
        request,
        portfolio,
        {
            "form": form,
            "cycle": key_result.objective.cycle,
            "title": "Edit key result",
            "subtitle": key_result.objective.title,
            "action": reverse("key_result_edit", args=[portfolio.slug, key_result.pk]),
            "submit_label": "Save key result",
            "measure_form": True,
            "stale": stale,
        },
        status=_conflict_status(request, stale),
    )


# Breakdowns ----------------------------------------------------------------------


def _render_breakdown(request, portfolio, cycle, breakdown):
    context = {
        **portfolio_page_context(request.user, portfolio, "okrs"),
        "cycle": cycle,
        "breakdown": breakdown,
        "back_url": _tree_url(portfolio, cycle),
        "in_dialog": bool(request.htmx),
    }
    template = "okrs/explain.html#breakdown" if request.htmx else "okrs/explain.html"
    return _vary(render(request, template, context))


@require_GET
def explain_objective(request, slug, pk):
    portfolio = portfolio_for(request.user, slug)
    objective = objective_for(request.user, portfolio, pk)
    return _render_breakdown(
        request, portfolio, objective.cycle, explain.objective_breakdown(objective)
    )


@require_GET
def explain_portfolio(request, slug):
    portfolio = portfolio_for(request.user, slug)
    cycle = cycle_page_context(portfolio, request.GET.get("cycle"))["cycle"]
    if cycle is None:
        raise Http404("This portfolio has no cycle yet.")
    return _render_breakdown(request, portfolio, cycle, explain.portfolio_breakdown(cycle))


@require_GET
def explain_product(request, slug, product_slug):
    portfolio = portfolio_for(request.user, slug)
    product = get_object_or_404(products_in(portfolio), slug=product_slug)
    cycle = cycle_page_context(portfolio, request.GET.get("cycle"))["cycle"]
    if cycle is None:
        raise Http404("This portfolio has no cycle yet.")
    return _render_breakdown(request, portfolio, cycle, explain.product_breakdown(cycle, product))

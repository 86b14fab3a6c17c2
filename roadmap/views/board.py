"""The roadmap board (portfolio and product), the item dialog, moves, archiving and
dependencies."""

import json
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from okrs.selectors import cycle_page_context
from okrs.services import StaleEditError
from portfolio.selectors import portfolio_for, portfolio_page_context
from roadmap.board import board_context, board_page_of, page_url, requested_page
from roadmap.forms import (
    BoardFilterForm,
    DependencyForm,
    ItemMoveForm,
    RoadmapItemForm,
    add_service_errors,
)
from roadmap.permissions import (
    can_align,
    can_create_item,
    can_edit_item,
    can_manage_dependencies,
)
from roadmap.search import id_list, search_query, wants_fragment
from roadmap.selectors import (
    blocker_choices,
    board_items,
    cycle_key_results,
    cycle_objectives,
    dependencies_visible_to,
    dependency_candidates,
    item_dependencies,
    item_for_edit,
    key_result_choices,
    key_result_matches,
    portfolio_people,
    roadmap_product_for,
    roadmap_products,
)
from roadmap.services import (
    alignment_create,
    alignment_delete,
    dependency_create,
    dependency_delete,
    roadmap_item_archive,
    roadmap_item_create,
    roadmap_item_move,
    roadmap_item_update,
)

_members = portfolio_people
_products = roadmap_products


def _partial(request) -> bool:
    """An htmx request for the region, not htmx restoring a page from history."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _vary(response):
    patch_vary_headers(response, ["HX-Request"])
    return response


def _vary_on_target(response):
    """For the item dialog, which answers a picker's search with its list alone."""
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _board_filters(query, portfolio, cycle, product=None):
    """The filter form and the filters it gives (the product page keeps its product)."""
    filter_form = BoardFilterForm(
        query or None,
        products=_products(portfolio),
        members=_members(portfolio),
        objectives=cycle_objectives(cycle),
    )
    filters = filter_form.filters() if query else {}
    if product is not None:
        filters["product"] = product
    return filter_form, filters


def _board_page(request, portfolio, product=None):
    cycle_context = cycle_page_context(portfolio, request.GET.get("cycle"))
    cycle = cycle_context["cycle"]
    products = list(_products(portfolio))
    filter_form, filters = _board_filters(request.GET, portfolio, cycle, product)
    creatable = [p for p in products if can_create_item(request.user, p)]
    if product is not None:
        creatable = [p for p in creatable if p.pk == product.pk]
    requested = requested_page(request.GET)
    # "Show more" in a column swaps its own button (id board-more-<horizon>) for the
    # next cards; everything else that targets the board gets the whole board.
    more = bool(
        requested and _partial(request) and request.htmx.target == f"board-more-{requested[0]}"
    )
    board = board_context(
        board_items(portfolio),
        user=request.user,
        pages=dict([requested]) if requested else None,
        horizons=[requested[0]] if more else None,
        path=request.path,
        query=request.GET,
        can_drag=bool(creatable),
        **filters,
    )
    if more:
        context = {**board, "portfolio": portfolio, "column": board["board_columns"][0]}
        return _vary(render(request, "roadmap/_board.html#column-cards", context))
    context = {
        **portfolio_page_context(request.user, portfolio, "roadmap"),
        **cycle_context,
        **board,
        "product": product,
        "filter_form": filter_form,
        "can_create": bool(creatable),
        "create_product": creatable[0] if len(creatable) == 1 else None,
    }
    template = "roadmap/board.html#board" if _partial(request) else "roadmap/board.html"
    return _vary(render(request, template, context))


@require_GET
def roadmap_board(request, slug):
    return _board_page(request, portfolio_for(request.user, slug))


@require_GET
def product_roadmap(request, slug, product_slug):
    portfolio = portfolio_for(request.user, slug)
    product = roadmap_product_for(portfolio, product_slug)
    return _board_page(request, portfolio, product)


# The item dialog -----------------------------------------------------------------------


def _item_form(request, portfolio, *, item=None, products=None, data=None, can_align_=True):
    cycle = cycle_page_context(portfolio, None)["cycle"]
    initial = {}
    if item is not None:
        initial = {
            "title": item.title,
            "product": item.product_id,
            "owner": item.owner_id,
            "status": item.status,
            "horizon": item.horizon,
            "starts_on": item.starts_on,
            "ends_on": item.ends_on,
            "effort": item.effort,
            "description": item.description,
            "key_results": [a.key_result_id for a in item.alignments.all()],
            "version": item.version,
        }
    else:
        initial = {"owner": request.user.pk, "horizon": request.GET.get("horizon", "next")}
        if request.GET.get("product"):
            initial["product"] = next(
                (p.pk for p in products if p.slug == request.GET["product"]), None
            )
    product_choices = roadmap_products(portfolio, ids=[p.pk for p in products])
    form = RoadmapItemForm(
        data,
        initial=initial,
        products=product_choices,
        members=_members(portfolio),
        key_results=cycle_key_results(cycle),
        can_align=can_align_,
        editing=item is not None,
        # Its own ids: the board's filter form behind the dialog has a "status" too.
        auto_id="item_%s",
    )
    if item is not None:
        form.fields["product"].disabled = True
    # The select lists the products already loaded (validation still asks the database).
    field = form.fields["product"]
    field.widget.choices = [(p.pk, field.label_from_instance(p)) for p in products]
    return form, cycle


def _save_alignments(user, item, wanted, current, cycle) -> None:
    """Make the item's alignments within `cycle` those of `wanted`; alignments to other
    cycles' key results are not in the dialog and stay."""
    wanted_ids = {kr.pk for kr in wanted}
    current = [a for a in current if cycle and a.key_result.objective.cycle_id == cycle.pk]
    for alignment in current:
        if alignment.key_result_id not in wanted_ids:
            alignment_delete(alignment=alignment)
    current_ids = {a.key_result_id for a in current}
    for key_result in wanted:
        if key_result.pk not in current_ids:
            alignment_create(item=item, key_result=key_result, created_by=user)


# The dialog's pickers: a short list, and a search (`?kr_q=`, `?blocker_q=`) that htmx
# swaps into it (`HX-Target` names the list) or, without JavaScript, reloads the dialog.
KEY_RESULT_RESULTS = "item-kr-results"
BLOCKER_CHOICES = "item-blocker-choices"


def _key_result_context(request, form, cycle, product) -> dict:
    """The key results the fieldset shows: those ticked, suggestions for `product`, and
    the matches of `?kr_q=` when the page was reloaded with a search."""
    if "key_results" not in form.fields or cycle is None:
        return {}
    offered = key_result_choices(cycle, product=product, chosen=form.chosen_key_result_ids())
    shown = [key_result.pk for key_result in offered.rows]
    context = {
        "key_result_choices": offered,
        "key_results_for": product,
        # The search leaves out what the fieldset already shows (JSON for `hx-vals`).
        "kr_search_vals": json.dumps({"kr_shown": ",".join(map(str, shown))}),
        "kr_query": search_query(request.GET, "kr_q"),
    }
    if context["kr_query"]:
        context["key_result_results"] = key_result_matches(
            cycle, context["kr_query"], product=product, shown=shown
        )
    return context


def _key_result_results(request, cycle, product):
    """The search's matches, with the key results ticked among earlier matches."""
    query = search_query(request.GET, "kr_q")
    context = {
        "cycle": cycle,
        "kr_query": query,
        "key_result_results": key_result_matches(
            cycle,
            query,
            product=product,
            shown=id_list(request.GET.getlist("kr_shown")),
            ticked=id_list(request.GET.getlist("key_results")),
        ),
    }
    return _vary_on_target(render(request, "roadmap/_item_dialog.html#kr-results", context))


def _saved(request, portfolio, item, event):
    if not request.htmx:
        return redirect("roadmap_board", portfolio.slug)
    response = HttpResponse(status=204)
    trigger_client_event(response, event, {"item": item.pk})
    trigger_client_event(response, "dialogClose")
    return response


def _dialog(request, context, status=200):
    template = "roadmap/_item_dialog.html" if request.htmx else "roadmap/board_item.html"
    return _vary_on_target(render(request, template, context, status=status))


def _product_of(products, value):
    """The product a new item is for: the one posted or asked for (id or slug), else the
    first offered (the select's default)."""
    value = str(value or "")
    return next((p for p in products if value in {str(p.pk), p.slug}), products[0])


def roadmap_item_create_view(request, slug):
    portfolio = portfolio_for(request.user, slug)
    products = [p for p in _products(portfolio) if can_create_item(request.user, p)]
    if not products:
        raise PermissionDenied
    if request.method == "GET" and wants_fragment(request, KEY_RESULT_RESULTS):
        cycle = cycle_page_context(portfolio, None)["cycle"]
        return _key_result_results(
            request, cycle, _product_of(products, request.GET.get("product"))
        )
    form, cycle = _item_form(
        request,
        portfolio,
        products=products,
        data=request.POST if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        product = form.cleaned_data["product"]
        if not can_create_item(request.user, product):
            raise PermissionDenied
        try:
            # The item and its alignments are saved together or not at all.
            with transaction.atomic():
                item = roadmap_item_create(product=product, **form.item_fields())
                _save_alignments(
                    request.user, item, form.cleaned_data.get("key_results", []), [], cycle
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _saved(request, portfolio, item, "roadmapItemSaved")
    product = _product_of(products, form["product"].value())
    context = {
        **portfolio_page_context(request.user, portfolio, "roadmap"),
        **_key_result_context(request, form, cycle, product),
        "form": form,
        "item": None,
        "cycle": cycle,
        "can_edit": True,
        "search_keeps": {
            name: request.GET[name] for name in ("product", "horizon") if request.GET.get(name)
        },
    }
    return _dialog(request, context)


def _blocker_context(request, item, form=None) -> dict:
    """The "Add an item this waits for" select: a short list of candidates, or the
    matches of `?blocker_q=`, with the blocker just posted kept."""
    form = form or DependencyForm(candidates=dependency_candidates(item))
    query = search_query(request.GET, "blocker_q")
    choices = blocker_choices(item, query, chosen=form.chosen_id())
    form.offer(choices.rows)
    return {"dependency_form": form, "blocker_choices": choices, "blocker_query": query}


def _dependency_context(request, item, form=None):
    may_manage = can_manage_dependencies(request.user, item)
    return {
        "item": item,
        "dependencies": list(item_dependencies(item)),
        "can_manage_dependencies": may_manage,
        **(_blocker_context(request, item, form) if may_manage else {}),
    }


def roadmap_item_edit(request, slug, pk):
    portfolio = portfolio_for(request.user, slug)
    item = item_for_edit(request.user, portfolio, pk)
    can_edit = can_edit_item(request.user, item)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    may_align = can_align(request.user, item)
    if request.method == "GET" and wants_fragment(request, KEY_RESULT_RESULTS):
        if not (can_edit and may_align):
            raise PermissionDenied
        cycle = cycle_page_context(portfolio, None)["cycle"]
        return _key_result_results(request, cycle, item.product)
    if request.method == "GET" and wants_fragment(request, BLOCKER_CHOICES):
        if not can_manage_dependencies(request.user, item):
            raise PermissionDenied
        context = {"portfolio": portfolio, "item": item, **_blocker_context(request, item)}
        return _vary_on_target(
            render(request, "roadmap/_item_dialog.html#blocker-choices", context)
        )
    current = list(item.alignments.select_related("key_result__objective"))
    item._prefetched_objects_cache = {"alignments": current}
    form, cycle = _item_form(
        request,
        portfolio,
        item=item,
        products=list(_products(portfolio)),
        data=request.POST if request.method == "POST" else None,
        can_align_=may_align,
    )
    stale = False
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                roadmap_item_update(
                    item=item,
                    actor=request.user,
                    expected_version=form.cleaned_data.get("version"),
                    **form.item_fields(),
                )
                if may_align:
                    _save_alignments(
                        request.user, item, form.cleaned_data["key_results"], current, cycle
                    )
        except ValidationError as error:
            stale = isinstance(error, StaleEditError)
            add_service_errors(form, error)
        else:
            return _saved(request, portfolio, item, "roadmapItemSaved")
    context = {
        **portfolio_page_context(request.user, portfolio, "roadmap"),
        **_dependency_context(request, item),
        **(_key_result_context(request, form, cycle, item.product) if can_edit else {}),
        "form": form,
        "cycle": cycle,
        "can_edit": can_edit,
        "alignments": current,
        "stale": stale,
    }
    # htmx does not swap 4xx answers: the dialog gets a 200 with the message on top,
    # a plain form post gets 409 (docs/concurrency.md).
    return _dialog(request, context, status=409 if stale and not request.htmx else 200)


@require_POST
def roadmap_item_archive_view(request, slug, pk):
    portfolio = portfolio_for(request.user, slug)
    item = item_for_edit(request.user, portfolio, pk)
    if not can_edit_item(request.user, item):
        raise PermissionDenied
    roadmap_item_archive(item=item)
    return _saved(request, portfolio, item, "roadmapItemArchived")


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@require_POST
def roadmap_item_move_view(request, slug, pk):
    portfolio = portfolio_for(request.user, slug)
    item = item_for_edit(request.user, portfolio, pk)
    if not can_edit_item(request.user, item):
        raise PermissionDenied
    form = ItemMoveForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Choose a column and a position.", status=400)
    try:
        roadmap_item_move(
            item=item,
            horizon=form.cleaned_data["horizon"],
            position=form.cleaned_data["position"],
            actor=request.user,
        )
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400)
    if request.htmx:
        response = HttpResponse(status=204)
        trigger_client_event(response, "roadmapItemMoved", {"item": item.pk})
        return response
    board = _safe_next(request, f"/p/{portfolio.slug}/roadmap/")
    return redirect(f"{_page_showing(portfolio, item, board.split('#')[0])}#item-{item.pk}")


def _page_showing(portfolio, item, board: str) -> str:
    """The board URL `board` turned to the page of the column where the moved item now
    shows (columns are paged: "Move to Later" may land it far down the column)."""
    parts = urlsplit(board)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return board
    if match.url_name not in {"roadmap_board", "product_roadmap"}:
        return board
    product = None
    if match.url_name == "product_roadmap":
        product = roadmap_product_for(portfolio, match.kwargs["product_slug"])
    query = QueryDict(parts.query, mutable=True)
    cycle = cycle_page_context(portfolio, query.get("cycle"))["cycle"]
    _, filters = _board_filters(query, portfolio, cycle, product)
    page = board_page_of(board_items(portfolio), item, **filters)
    return page_url(parts.path, query, item.horizon, page)


# Dependencies -------------------------------------------------------------------------


def _dependencies_response(request, portfolio, item, form=None, changed=False):
    if not request.htmx:
        return redirect("roadmap_item_edit", portfolio.slug, item.pk)
    response = render(
        request,
        "roadmap/_item_dialog.html#dependencies",
        {"portfolio": portfolio, **_dependency_context(request, item, form)},
    )
    if changed:
        trigger_client_event(response, "roadmapItemSaved", {"item": item.pk})
    return response


@require_POST
def roadmap_item_dependency_add(request, slug, pk):
    portfolio = portfolio_for(request.user, slug)
    item = item_for_edit(request.user, portfolio, pk)
    if not can_manage_dependencies(request.user, item):
        raise PermissionDenied
    form = DependencyForm(request.POST, candidates=dependency_candidates(item))
    if form.is_valid():
        try:
            dependency_create(blocked_item=item, blocking_item=form.cleaned_data["blocking_item"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _dependencies_response(request, portfolio, item, changed=True)
    if not request.htmx:
        context = {
            **portfolio_page_context(request.user, portfolio, "roadmap"),
            **_dependency_context(request, item, form),
        }
        current = list(item.alignments.select_related("key_result__objective"))
        item._prefetched_objects_cache = {"alignments": current}
        context["form"], context["cycle"] = _item_form(
            request, portfolio, item=item, products=list(_products(portfolio))
        )
        context["can_edit"] = can_edit_item(request.user, item)
        context["alignments"] = current
        if context["can_edit"]:
            context.update(
                _key_result_context(request, context["form"], context["cycle"], item.product)
            )
        return render(request, "roadmap/board_item.html", context)
    return _dependencies_response(request, portfolio, item, form)


@require_POST
def roadmap_dependency_delete(request, slug, pk):
    portfolio = portfolio_for(request.user, slug)
    dependency = get_object_or_404(
        dependencies_visible_to(request.user)
        .filter(blocked_item__product__portfolio=portfolio)
        .select_related("blocked_item__product__portfolio"),
        pk=pk,
    )
    item = dependency.blocked_item
    if not can_manage_dependencies(request.user, item):
        raise PermissionDenied
    dependency_delete(dependency=dependency)
    return _dependencies_response(request, portfolio, item, changed=True)

"""“My work” (/me/): check in my key results and move my roadmap items along."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from okrs.permissions import can_check_in
from okrs.selectors import key_results_visible_to
from okrs.services import check_in_create
from roadmap.forms import CheckInForm, ItemQuickUpdateForm
from roadmap.my_work import (
    ITEMS_STEP,
    check_in_form,
    item_rows,
    key_result_row,
    my_work_context,
    objective_group,
)
from roadmap.permissions import can_edit_item
from roadmap.search import shown_count
from roadmap.selectors import check_in_values, roadmap_items_visible_to
from roadmap.services import roadmap_item_update

KEY_RESULT_RELATIONS = ("owner", "objective__cycle__portfolio", "objective__product__owner")


def _pk(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_GET
def my_work(request):
    """`?items=50` lists more roadmap items and `?check_in=<pk>` opens that key result's
    check-in form; under htmx each answers with only the rows it adds or opens."""
    shown = shown_count(request.GET.get("items"), ITEMS_STEP)
    open_pk = _pk(request.GET.get("check_in"))
    target = request.htmx.target if request.htmx else None
    if target == "my-items-more":
        context = item_rows(request.user, shown - ITEMS_STEP, shown)
        response = render(request, "roadmap/my_work.html#item-rows", context)
    elif open_pk is not None and target == f"kr-{open_pk}":
        key_result = _key_result(request.user, open_pk)
        if not can_check_in(request.user, key_result):
            raise PermissionDenied
        row = key_result_row(
            request.user,
            key_result,
            check_in_values([key_result.pk]).get(key_result.pk, []),
            form=check_in_form(key_result, focus=True),
        )
        response = render(request, "roadmap/my_work.html#kr-row", {"row": row})
    else:
        context = my_work_context(request.user, items=shown, open_key_result=open_pk)
        response = render(request, "roadmap/my_work.html", {**context, "tab": "me"})
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _key_result(user, pk):
    return get_object_or_404(
        key_results_visible_to(user).select_related(*KEY_RESULT_RELATIONS), pk=pk
    )


@require_POST
def my_work_check_in(request, pk):
    key_result = _key_result(request.user, pk)
    if not can_check_in(request.user, key_result):
        raise PermissionDenied
    form = CheckInForm(request.POST, key_result=key_result)
    saved = False
    if form.is_valid():
        try:
            check_in_create(key_result=key_result, author=request.user, **form.service_arguments())
            saved = True
        except ValidationError as error:
            form.add_service_errors(error)
    if saved and not request.htmx:
        return redirect("my_work")
    if not request.htmx:
        context = my_work_context(request.user)
        for group in context["groups"]:
            for row in group.rows:
                if row.key_result.pk == key_result.pk:
                    row.form = form
        response = render(request, "roadmap/my_work.html", {**context, "tab": "me"})
        patch_vary_headers(response, ["HX-Request"])
        return response
    # Re-read: in eager mode the roll-up has already updated the stored progress.
    key_result = _key_result(request.user, pk)
    row = key_result_row(
        request.user,
        key_result,
        check_in_values([key_result.pk]).get(key_result.pk, []),
        form=None if saved else form,
    )
    context = {
        "row": row,
        "group": objective_group(key_result.objective),
        "saved": saved,
    }
    response = render(request, "roadmap/my_work.html#check-in-result", context)
    if saved:
        trigger_client_event(response, "checkInCreated", {"key_result": key_result.pk})
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
def my_work_item_update(request, pk):
    item = get_object_or_404(
        roadmap_items_visible_to(request.user).select_related("product__portfolio", "owner"),
        pk=pk,
    )
    if not can_edit_item(request.user, item):
        raise PermissionDenied
    form = ItemQuickUpdateForm(request.POST)
    error = None
    if form.is_valid():
        try:
            roadmap_item_update(item=item, actor=request.user, **form.changes())
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = "Choose a status and a horizon from the lists."
    if not request.htmx:
        return redirect("my_work")
    item.refresh_from_db()
    response = render(
        request,
        "roadmap/my_work.html#item-row",
        {"entry": {"item": item, "can_edit": True, "form": form, "error": error}},
    )
    if not error:
        trigger_client_event(response, "roadmapItemSaved", {"item": item.pk})
    patch_vary_headers(response, ["HX-Request"])
    return response

"""The key result page: history, chart against plan and forecast, aligned items,
and the check-in form for those allowed."""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django_htmx.http import trigger_client_event

from okrs import progress
from okrs.charts import TimeChart
from okrs.models import Measure
from okrs.permissions import can_check_in, can_edit_key_result
from okrs.selectors import cycle_page_context
from okrs.services import check_in_create
from okrs.status import expected_progress, status_of
from portfolio.selectors import portfolio_for, portfolio_page_context
from roadmap.forms import CheckInForm
from roadmap.my_work import number
from roadmap.selectors import key_result_alignments, key_result_for_page, key_result_history

TRENDING = {Measure.INCREASE, Measure.DECREASE}


def _chart(key_result, check_ins) -> dict:
    """Geometry of the value-over-time chart: check-ins, the plan and the forecast."""
    cycle = key_result.objective.cycle
    start, target = key_result.start_value, key_result.target_value
    points = [(c.checked_in_at.date(), c.value) for c in check_ins]
    forecast = key_result.forecast
    if forecast is None and len(check_ins) >= 2:
        forecast = progress.forecast(
            measure=key_result.measure,
            start=start,
            target=target,
            check_ins=[(c.checked_in_at, c.value) for c in check_ins],
            starts_on=cycle.starts_on,
            ends_on=cycle.ends_on,
        )
    values = [float(v) for _, v in points] + [float(start), float(target)]
    low, high = min(values), max(values)
    margin = (high - low) * 0.08 or 1
    chart = TimeChart(cycle.starts_on, cycle.ends_on, low - margin, high + margin, width=720)
    forecast_path = ""
    forecast_value = None
    if forecast is not None and points and key_result.measure in TRENDING:
        forecast_value = start + (target - start) * Decimal(str(forecast))
        forecast_path = chart.path([points[-1], (cycle.ends_on, forecast_value)])
    plan = [(cycle.starts_on, start), (cycle.ends_on, target)]
    today = timezone.localdate()
    return {
        "chart": chart,
        "line": chart.path([(cycle.starts_on, start), *points] if points else []),
        "dots": [
            {"x": chart.x(day), "y": chart.y(value), "value": number(value), "day": day}
            for day, value in points
        ],
        "plan": chart.path(plan),
        "target_y": chart.y(target),
        "forecast_path": forecast_path,
        "forecast": forecast,
        "forecast_value": forecast_value,
        "month_ticks": chart.month_ticks(),
        "value_ticks": chart.value_ticks(),
        "today_x": chart.x(today) if cycle.starts_on <= today <= cycle.ends_on else None,
        "cycle_end_x": chart.x(cycle.ends_on + timedelta(days=0)),
    }


def key_result_detail(request, slug, pk):
    portfolio = portfolio_for(request.user, slug)
    key_result = key_result_for_page(request.user, portfolio, pk)
    allowed = can_check_in(request.user, key_result)
    form = None
    saved = False
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied
        form = CheckInForm(request.POST, key_result=key_result)
        if form.is_valid():
            try:
                check_in_create(
                    key_result=key_result, author=request.user, **form.service_arguments()
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                if not request.htmx:
                    return redirect("key_result_detail", portfolio.slug, key_result.pk)
                key_result = key_result_for_page(request.user, portfolio, pk)
                form, saved = None, True
    if allowed and form is None:
        form = CheckInForm(key_result=key_result)
    check_ins = list(key_result_history(key_result))
    for check_in in check_ins:
        check_in.display_value = number(check_in.value)
    cycle = key_result.objective.cycle
    expected = expected_progress(cycle)
    context = {
        **portfolio_page_context(request.user, portfolio, "okrs"),
        **cycle_page_context(portfolio, str(cycle.pk)),
        "key_result": key_result,
        "current": number(key_result.current_value),
        "start": number(key_result.start_value),
        "target": number(key_result.target_value),
        "objective": key_result.objective,
        "status": status_of(key_result.progress, expected, key_result.confidence),
        "expected": expected,
        "check_ins": check_ins,
        "alignments": list(key_result_alignments(key_result)),
        "form": form,
        "can_check_in": allowed,
        "can_edit": can_edit_key_result(request.user, key_result),
        **_chart(key_result, sorted(check_ins, key=lambda c: (c.checked_in_at, c.pk))),
    }
    template = "roadmap/key_result_detail.html"
    if request.htmx and request.method == "POST":
        template += "#key-result"
    response = render(request, template, context)
    if saved:
        trigger_client_event(response, "checkInCreated", {"key_result": key_result.pk})
    patch_vary_headers(response, ["HX-Request"])
    return response

"""Template helpers for progress numbers: `{% load progress_tags %}`."""

from django import template

from okrs import numbers
from okrs.progress import Status

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.456 → "46%"; None → "—" (no measures yet)."""
    if value is None or value == "":
        return "—"
    return f"{round(float(value) * 100)}%"


@register.filter
def metric(value) -> str:
    """A key result's value as people read it: 1,059,350 or 99.9."""
    return numbers.metric(value)


@register.inclusion_tag("components/progress_bar.html")
def progress_bar(value, expected=None, status=None, label=""):
    """A bar for `value` in [0, 1] with a marker at `expected`; `status` colours it."""
    return {
        "value": value,
        "width": 0 if value is None else round(min(max(float(value), 0.0), 1.0) * 100, 1),
        "expected": None if expected is None else round(float(expected) * 100, 1),
        "status": Status(status) if status else None,
        "label": label,
    }


@register.inclusion_tag("components/status_chip.html")
def status_chip(status):
    return {"status": Status(status) if status else Status.NO_DATA}

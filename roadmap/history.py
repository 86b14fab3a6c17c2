"""Reads of the audit trail: one object's history page (/p/<slug>/history/<kind>/<pk>/).

The log itself is django-auditlog's `LogEntry`, written by its signal handlers (see
`*/audit.py`). A key result's history also shows its check-ins and alignments, a roadmap
item's its alignments, including those deleted since: they are found through the key
result or item named in their "created" entry.
"""

from dataclasses import dataclass, field

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.timezone import is_naive, localtime, make_aware

from okrs.models import CheckIn, KeyResult, Objective
from portfolio.models import Membership, Portfolio
from roadmap.models import Alignment, RoadmapItem, ShareLink

PAGE_SIZE = 50
EMPTY = "—"

ACTIONS = {
    LogEntry.Action.CREATE: "created",
    LogEntry.Action.UPDATE: "changed",
    LogEntry.Action.DELETE: "deleted",
}

# kind in the URL → (model, path from the model to its portfolio, what the page calls it)
KINDS: dict[str, tuple[type[models.Model], str, str]] = {
    "objective": (Objective, "cycle__portfolio", "Objective"),
    "key-result": (KeyResult, "objective__cycle__portfolio", "Key result"),
    "roadmap-item": (RoadmapItem, "product__portfolio", "Roadmap item"),
    "share-link": (ShareLink, "portfolio", "Share link"),
    "membership": (Membership, "portfolio", "Membership"),
}

# kind → the related records whose entries the page includes: (model, field naming the object)
CHILDREN: dict[str, list[tuple[type[models.Model], str]]] = {
    "key-result": [(CheckIn, "key_result"), (Alignment, "key_result")],
    "roadmap-item": [(Alignment, "item")],
}

# What a related record is called above its entry.
SUBJECT_LABELS = {CheckIn: "Check-in", Alignment: "Alignment"}

# Fields that say nothing to a reader: the id is in the URL, the rest is bookkeeping.
HIDDEN_FIELDS = {"id"}


def history_subject(portfolio: Portfolio, kind: str, pk: int) -> models.Model:
    """The object whose history is asked for, within the portfolio, else a 404."""
    if kind not in KINDS:
        raise Http404("No history of that kind.")
    model, path, _label = KINDS[kind]
    return get_object_or_404(model.objects.filter(**{path: portfolio}), pk=pk)


def kind_label(kind: str) -> str:
    return KINDS[kind][2]


def back_link(portfolio: Portfolio, kind: str, subject: models.Model) -> tuple[str, str]:
    """Where the object lives: (label, URL) for the page's way back."""
    slug = portfolio.slug
    if kind == "key-result":
        return "Key result", reverse("key_result_detail", args=[slug, subject.pk])
    if kind == "objective":
        return "OKRs", reverse("okr_tree", args=[slug])
    if kind == "roadmap-item":
        return "Roadmap", reverse("roadmap_board", args=[slug])
    if kind == "share-link":
        return "Share links", reverse("share_links", args=[slug])
    return "People", reverse("settings_people", args=[slug])


@dataclass
class FieldChange:
    label: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    timestamp: object
    actor: str
    action: str
    subject: str  # empty for the object itself; "Check-in: …" for a related record
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def shows_values_only(self) -> bool:
        """A creation has no "before", a deletion no "after": one column of values."""
        return self.action in ("created", "deleted")

    @property
    def values(self) -> list[tuple[str, str]]:
        side = "after" if self.action == "created" else "before"
        values = [(change.label, getattr(change, side)) for change in self.changes]
        return [(label, value) for label, value in values if value != EMPTY]


def _entries_of(kind: str, subject: models.Model):
    """The log entries of the object and of its related records (also deleted ones)."""
    condition = Q(
        content_type=ContentType.objects.get_for_model(type(subject)), object_pk=str(subject.pk)
    )
    for model, fk_name in CHILDREN.get(kind, []):
        content_type = ContentType.objects.get_for_model(model)
        created_here = LogEntry.objects.filter(
            content_type=content_type,
            action=LogEntry.Action.CREATE,
            **{f"changes__{fk_name}__1": str(subject.pk)},
        ).values("object_pk")
        # Records from before the audit trail existed have no "created" entry.
        existing = [
            str(pk)
            for pk in model.objects.filter(**{fk_name: subject}).values_list("pk", flat=True)
        ]
        condition |= Q(content_type=content_type) & (
            Q(object_pk__in=created_here) | Q(object_pk__in=existing)
        )
    return (
        LogEntry.objects.filter(condition)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )


def _display_value(raw, model_field, names: dict) -> str:
    if raw is None or raw == "None" or raw == "":
        return EMPTY
    if model_field is None:
        return str(raw)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(raw, raw))
    if isinstance(model_field, models.ForeignKey):
        return names.get((model_field.related_model, str(raw)), f"#{raw} (deleted)")
    if isinstance(model_field, models.BooleanField):
        return {"True": "Yes", "False": "No"}.get(str(raw), str(raw))
    if isinstance(model_field, models.DateTimeField):
        moment = parse_datetime(str(raw))
        if moment is not None:
            if is_naive(moment):
                moment = make_aware(moment)
            return date_format(localtime(moment), "DATETIME_FORMAT")
    elif isinstance(model_field, models.DateField):
        day = parse_date(str(raw))
        if day is not None:
            return date_format(day, "DATE_FORMAT")
    if isinstance(model_field, models.DecimalField) and "." in str(raw):
        return str(raw).rstrip("0").rstrip(".")
    return str(raw)


def _model_field(model, name):
    if model is None:
        return None
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:  # removed since the entry was written
        return None
    return model_field if getattr(model_field, "concrete", False) else None


def _is_relation(model, name) -> bool:
    try:
        return model is not None and model._meta.get_field(name).is_relation
    except FieldDoesNotExist:
        return False


def _names_of_related(entries) -> dict:
    """`(model, "pk") → name` for every foreign key value on the page: one query per model."""
    wanted: dict[type[models.Model], set[str]] = {}
    for entry in entries:
        model = entry.content_type.model_class()
        for name, values in (entry.changes or {}).items():
            model_field = _model_field(model, name)
            if isinstance(model_field, models.ForeignKey):
                ids = {str(value) for value in values if value not in (None, "None", "")}
                wanted.setdefault(model_field.related_model, set()).update(ids)
    names = {}
    for model, ids in wanted.items():
        valid = [pk for pk in ids if pk.isdigit()]
        for obj in model._default_manager.filter(pk__in=valid):
            names[(model, str(obj.pk))] = str(getattr(obj, "name", None) or obj)
    return names


def _history_entry(entry: LogEntry, subject_model, names: dict) -> HistoryEntry:
    model = entry.content_type.model_class()
    changes = []
    for name, values in (entry.changes or {}).items():
        if name in HIDDEN_FIELDS or len(values) != 2:
            continue
        model_field = _model_field(model, name)
        if model_field is None and _is_relation(model, name):
            continue  # a reverse relation: its "None" says nothing
        label = (
            capfirst(str(model_field.verbose_name))
            if model_field
            else capfirst(name.replace("_", " "))
        )
        changes.append(
            FieldChange(
                label=label,
                before=_display_value(values[0], model_field, names),
                after=_display_value(values[1], model_field, names),
            )
        )
    subject = ""
    if model is not None and model is not subject_model:
        label = SUBJECT_LABELS.get(model) or capfirst(str(model._meta.verbose_name))
        subject = f"{label}: {entry.object_repr}"
    actor = entry.actor.name if entry.actor else "System"
    return HistoryEntry(
        timestamp=entry.timestamp,
        actor=actor,
        action=ACTIONS.get(entry.action, "accessed"),
        subject=subject,
        changes=changes,
    )


def history_page(kind: str, subject: models.Model, page_number) -> tuple[Page, list[HistoryEntry]]:
    """One page (50 entries, newest first) of the object's history, ready to display."""
    page = Paginator(_entries_of(kind, subject), PAGE_SIZE).get_page(page_number)
    entries = list(page.object_list)
    names = _names_of_related(entries)
    return page, [_history_entry(entry, type(subject), names) for entry in entries]

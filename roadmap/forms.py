"""Forms of the PM's workspace: check-ins, roadmap items, dependencies, board filters.

Forms parse and validate what a person typed; the services validate again and own
every write. `add_service_errors` puts a service's `ValidationError` on the right field.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from okrs.models import MAX_NOTE_LENGTH, Measure
from okrs.services import clean_metric_value
from roadmap.models import Horizon, ItemStatus
from roadmap.search import id_list

MILESTONE_CHOICES = [("1", "Done"), ("0", "Not done")]


def add_service_errors(form: forms.Form, error: ValidationError, field_map=None) -> None:
    """Show a service's `ValidationError` on the form: on its field when the form has
    one (after renaming through `field_map`), else as a form-wide error."""
    field_map = field_map or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        field = field_map.get(name, name)
        form.add_error(field if field in form.fields else None, messages)


class CheckInForm(forms.Form):
    """A check-in of one key result: value (done / not done for a milestone), confidence,
    note and an optional day within the cycle for a late check-in."""

    value = forms.CharField(
        label="New value", max_length=40, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    confidence = forms.IntegerField(
        label="Confidence (0–10)",
        min_value=0,
        max_value=10,
        required=False,
        error_messages={
            "min_value": "Confidence is a whole number from 0 to 10.",
            "max_value": "Confidence is a whole number from 0 to 10.",
            "invalid": "Confidence is a whole number from 0 to 10.",
        },
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What changed since last week?"}),
        error_messages={"max_length": f"Keep the note under {MAX_NOTE_LENGTH:,} characters."},
    )
    checked_on = forms.DateField(
        label="Date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Leave empty for now; pick an earlier day of the cycle for a late check-in.",
    )

    def __init__(self, *args, key_result, **kwargs):
        self.key_result = key_result
        prefix = kwargs.pop("prefix", None) or f"kr{key_result.pk}"
        super().__init__(*args, prefix=prefix, **kwargs)
        cycle = key_result.objective.cycle
        self.fields["checked_on"].widget.attrs.update(
            min=cycle.starts_on.isoformat(),
            max=min(cycle.ends_on, timezone.localdate()).isoformat(),
        )
        if key_result.measure == Measure.MILESTONE:
            self.fields["value"] = forms.ChoiceField(
                label="Milestone", choices=MILESTONE_CHOICES, widget=forms.RadioSelect
            )
            self.initial.setdefault("value", "1" if key_result.current_value == 1 else "0")
        elif key_result.unit:
            self.fields["value"].label = f"New value ({key_result.unit})"
        self.initial.setdefault("confidence", key_result.confidence)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"
                self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].auto_id}_error"

    def clean_value(self):
        try:
            return clean_metric_value(self.cleaned_data["value"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["value"]) from None

    def clean_checked_on(self):
        day = self.cleaned_data.get("checked_on")
        if day is None:
            return None
        cycle = self.key_result.objective.cycle
        if day > timezone.localdate():
            raise ValidationError("A check-in cannot be dated in the future.")
        if day < cycle.starts_on:
            raise ValidationError(f"A check-in cannot be dated before {cycle.name} starts.")
        if day > cycle.ends_on:
            raise ValidationError(f"A check-in cannot be dated after {cycle.name} ends.")
        return day

    def service_arguments(self) -> dict:
        """The keyword arguments of `check_in_create` (besides key result and author)."""
        day = self.cleaned_data.get("checked_on")
        checked_in_at = None
        if day is not None and day < timezone.localdate():
            # Late in the day, so that it sorts after anything checked in earlier that day.
            checked_in_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(18)))
        return {
            "value": self.cleaned_data["value"],
            "confidence": self.cleaned_data.get("confidence"),
            "note": self.cleaned_data.get("note", ""),
            "checked_in_at": checked_in_at,
        }

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error, {"checked_in_at": "checked_on"})


class RoadmapItemForm(forms.Form):
    """Create or edit a roadmap item, with the key results it serves.

    `key_results` accepts any key result of `key_results` (the cycle's), but the dialog
    renders a short list of them (`chosen_key_result_ids` ticked, a few suggestions and
    search matches): a cycle has thousands."""

    title = forms.CharField(max_length=200)
    product = forms.ModelChoiceField(queryset=None, empty_label=None)
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="No owner")
    status = forms.ChoiceField(choices=ItemStatus.choices)
    horizon = forms.ChoiceField(choices=Horizon.choices)
    starts_on = forms.DateField(
        label="Starts",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    ends_on = forms.DateField(
        label="Ends",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    effort = forms.IntegerField(
        label="Effort (points)", required=False, min_value=0, max_value=1000
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    key_results = forms.ModelMultipleChoiceField(
        label="Serves these key results",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self, *args, products, members, key_results, can_align=True, editing=False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["owner"].queryset = members
        self.fields["owner"].label_from_instance = lambda user: user.name
        self.fields["key_results"].queryset = key_results
        if not can_align:
            del self.fields["key_results"]
        if editing:
            # The version the dialog was opened at: a save from an older one is refused.
            self.fields["version"] = forms.IntegerField(
                widget=forms.HiddenInput, required=False, min_value=1
            )

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "An item cannot end before it starts.")
        return cleaned

    def chosen_key_result_ids(self) -> list[int]:
        """The key results ticked: as posted, or the item's alignments before a post."""
        if "key_results" not in self.fields:
            return []
        return id_list(self["key_results"].value() or [])

    def item_fields(self) -> dict:
        """The fields `roadmap_item_create` / `roadmap_item_update` take."""
        names = ["title", "owner", "status", "horizon", "starts_on", "ends_on", "effort"]
        fields = {name: self.cleaned_data[name] for name in names}
        fields["description"] = self.cleaned_data["description"]
        return fields


class DependencyForm(forms.Form):
    """Add a blocker. Any of `candidates` is accepted; the select offers only the items
    given to `offer` (a short list: a portfolio has thousands of open items)."""

    blocking_item = forms.ModelChoiceField(
        label="Add an item this waits for", queryset=None, empty_label="Choose an item…"
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["blocking_item"].queryset = candidates
        self.offer([])

    def chosen_id(self) -> list[int]:
        """The blocker posted (as a list: none or one)."""
        return id_list([self["blocking_item"].value() or ""])[:1]

    def offer(self, items) -> None:
        field = self.fields["blocking_item"]
        field.widget.choices = [("", field.empty_label)] + [
            (item.pk, f"{item.title} · {item.product.name}") for item in items
        ]


class ItemMoveForm(forms.Form):
    horizon = forms.ChoiceField(choices=Horizon.choices)
    position = forms.IntegerField(min_value=0)


class ItemQuickUpdateForm(forms.Form):
    """The small status and horizon selects of “My work”."""

    status = forms.ChoiceField(choices=ItemStatus.choices, required=False)
    horizon = forms.ChoiceField(choices=Horizon.choices, required=False)

    def changes(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if value}


class QuickSelect(forms.Select):
    """A `Select` that writes its options in Python instead of one template each: the
    board's filters offer every objective and member of a portfolio (hundreds)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], " selected" if option["selected"] else "", option["label"])
                for _group, group_options, _index in widget["optgroups"]
                for option in group_options
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(widget["attrs"]), options
        )


class BoardFilterForm(forms.Form):
    """The board's GET filters; the URL is the shareable state."""

    product = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="All products", to_field_name="slug"
    )
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="Anyone")
    status = forms.ChoiceField(choices=[("", "Any status"), *ItemStatus.choices], required=False)
    objective = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any objective")

    def __init__(self, *args, products, members, objectives, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["owner"].queryset = members
        self.fields["owner"].label_from_instance = lambda user: user.name
        self.fields["objective"].queryset = objectives
        for field in self.fields.values():
            field.widget = QuickSelect(attrs={"data-autosubmit": ""}, choices=field.choices)

    def filters(self) -> dict:
        """The filters for `board_context`, empty ones left out; none when invalid."""
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}

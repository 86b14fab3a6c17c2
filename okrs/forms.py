"""Forms for cycles, objectives and key results, and the OKR tree's filters.

Forms validate what a person typed; the services validate the rest. `add_service_errors`
puts a service's `ValidationError` on the field it names, so nothing is saved and the
person sees why next to the field.
"""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from okrs.models import Cycle, CycleState, Measure, ObjectiveKind
from okrs.progress import Status

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NUMBER = forms.NumberInput(attrs={"step": "any"})

# Constraint messages raised by `full_clean` without a field name, mapped to the field
# the person has to change.
MESSAGE_FIELDS = {
    "target must be above": "target_value",
    "target must be below": "target_value",
    "cycle must end after": "ends_on",
    "already has a cycle with this name": "name",
}


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's `ValidationError` on the form: on its field when it names one."""
    if hasattr(error, "error_dict"):
        items = error.error_dict.items()
    else:
        items = [(NON_FIELD_ERRORS, error.error_list)]
    for name, errors in items:
        for message in ValidationError(errors).messages:
            field = name if name in form.fields else None
            if field is None:
                field = next(
                    (
                        f
                        for text, f in MESSAGE_FIELDS.items()
                        if text in message and f in form.fields
                    ),
                    None,
                )
            form.add_error(field, message)


def version_field() -> forms.IntegerField:
    """The hidden version an edit form was opened at (optimistic concurrency)."""
    return forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class CycleForm(forms.ModelForm):
    state = forms.ChoiceField(
        choices=[(CycleState.PLANNING, "Planning"), (CycleState.ACTIVE, "Active")],
        help_text="Close a cycle with “Close cycle”: it freezes the scores.",
    )

    class Meta:
        model = Cycle
        fields = ["name", "starts_on", "ends_on", "state"]
        widgets = {"starts_on": DATE, "ends_on": DATE}
        labels = {"starts_on": "Starts on", "ends_on": "Ends on"}

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on <= starts_on:
            self.add_error("ends_on", "A cycle must end after it starts.")
        return cleaned

    def _post_clean(self):
        """Skip ModelForm's model validation: the services validate the model (unique
        name, constraints) and report back through `add_service_errors`; the form only
        checks what was typed."""


class ObjectiveForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    product = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="Portfolio objective (no product)",
        help_text="A product objective cascades from a portfolio objective.",
    )
    parent = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Cascades from",
        empty_label="Nothing (a top objective)",
    )
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="No owner yet")
    kind = forms.ChoiceField(choices=ObjectiveKind.choices, initial=ObjectiveKind.COMMITTED)
    weight = forms.DecimalField(
        min_value=0, max_digits=6, decimal_places=2, initial=1, widget=NUMBER
    )
    rollup_children = forms.BooleanField(
        required=False,
        initial=True,
        label="Count cascading objectives in its progress",
    )

    def __init__(
        self, *args, products, parents, owners, product_required=False, editing=False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["parent"].queryset = parents
        self.fields["parent"].label_from_instance = lambda o: (
            f"{'— ' * o.depth}{o.title}" + (f" ({o.product.name})" if o.product_id else "")
        )
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda user: user.name
        if product_required:
            self.fields["product"].required = True
            self.fields["product"].empty_label = None
        if editing:
            del self.fields["product"]
            self.fields["version"] = version_field()

    def clean(self):
        cleaned = super().clean()
        product, parent = cleaned.get("product"), cleaned.get("parent")
        if "product" in self.fields and product is not None and parent is None:
            self.add_error("parent", "Choose the portfolio objective this one cascades from.")
        if (
            "product" in self.fields
            and product is None
            and parent is not None
            and parent.product_id
        ):
            self.add_error(
                "parent", "A portfolio objective can only cascade from another portfolio objective."
            )
        return cleaned


class KeyResultForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    measure = forms.ChoiceField(
        choices=Measure.choices,
        initial=Measure.INCREASE,
        help_text="A milestone is done or not done: it needs no start or target.",
    )
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="No owner yet")
    start_value = forms.DecimalField(
        required=False, max_digits=18, decimal_places=4, initial=0, label="Start", widget=NUMBER
    )
    target_value = forms.DecimalField(
        required=False, max_digits=18, decimal_places=4, label="Target", widget=NUMBER
    )
    unit = forms.CharField(max_length=24, required=False, help_text="“%”, “€”, “users”…")
    weight = forms.DecimalField(
        min_value=0,
        max_digits=6,
        decimal_places=2,
        initial=1,
        widget=NUMBER,
        help_text="Its share in the objective's progress.",
    )

    def __init__(self, *args, owners, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda user: user.name
        if editing:
            self.fields["version"] = version_field()

    def clean(self):
        cleaned = super().clean()
        measure = cleaned.get("measure")
        start, target = cleaned.get("start_value"), cleaned.get("target_value")
        if measure == Measure.MILESTONE:
            cleaned["start_value"], cleaned["target_value"] = 0, 1
            return cleaned
        if start is None and "start_value" not in self.errors:
            if measure in (Measure.INCREASE, Measure.DECREASE):
                self.add_error("start_value", "Enter the value this key result starts from.")
            else:
                cleaned["start_value"] = 0
        if target is None and "target_value" not in self.errors:
            self.add_error("target_value", "Enter the target value.")
        if start is not None and target is not None:
            if measure == Measure.INCREASE and target <= start:
                self.add_error(
                    "target_value", "To increase, the target must be above the start value."
                )
            if measure == Measure.DECREASE and target >= start:
                self.add_error(
                    "target_value", "To decrease, the target must be below the start value."
                )
        return cleaned


class TreeFilterForm(forms.Form):
    product = forms.ModelChoiceField(queryset=None, required=False, empty_label="All products")
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="Anyone")
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *((s.value, s.label) for s in Status)]
    )

    def __init__(self, *args, products, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["product"].to_field_name = "slug"
        self.fields["owner"].queryset = owners
        self.fields["owner"].to_field_name = "username"
        self.fields["owner"].label_from_instance = lambda user: user.name
        for field in self.fields.values():
            field.widget.attrs["data-autosubmit"] = ""

    @property
    def active(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())

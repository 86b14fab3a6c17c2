"""Admin for operators. Saving an objective, key result or cycle here does not run the
roll-up: cached progress catches up at the next `recompute_cycle`, which beat runs every
15 minutes for active cycles. That delay is acceptable for an operator's fix; people use
the app, whose services roll up at once.
"""

from django import forms
from django.contrib import admin

from okrs.models import (
    CheckIn,
    Cycle,
    KeyResult,
    Measure,
    Objective,
    ProductProgress,
    ProgressSnapshot,
)

KEY_RESULT_COMPUTED_FIELDS = (
    "current_value",
    "confidence",
    "last_checked_in_at",
    "progress",
    "forecast",
    "final_score",
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the app derives or appends; the admin only shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ("name", "portfolio", "starts_on", "ends_on", "state", "progress")
    list_filter = ("state", "portfolio")
    search_fields = ("name", "portfolio__name")
    list_select_related = ("portfolio",)
    autocomplete_fields = ("portfolio",)
    readonly_fields = ("progress", "created_at", "updated_at")
    date_hierarchy = "starts_on"


class KeyResultForm(forms.ModelForm):
    class Meta:
        model = KeyResult
        fields = (
            "objective",
            "owner",
            "title",
            "description",
            "measure",
            "unit",
            "start_value",
            "target_value",
            "weight",
            "position",
        )

    def clean(self):
        cleaned_data = super().clean()
        # The database constraint also involves current_value, which the form excludes,
        # so Django skips it during validation: check the part the form can see.
        if cleaned_data.get("measure") == Measure.MILESTONE and (
            cleaned_data.get("start_value") != 0 or cleaned_data.get("target_value") != 1
        ):
            raise forms.ValidationError("A milestone starts at 0 (not done) and ends at 1 (done).")
        return cleaned_data


class KeyResultInline(admin.TabularInline):
    model = KeyResult
    form = KeyResultForm
    fields = (
        "title",
        "owner",
        "measure",
        "unit",
        "start_value",
        "target_value",
        "weight",
        *KEY_RESULT_COMPUTED_FIELDS,
    )
    readonly_fields = KEY_RESULT_COMPUTED_FIELDS
    autocomplete_fields = ("owner",)
    show_change_link = True
    extra = 0


class ObjectiveForm(forms.ModelForm):
    class Meta:
        model = Objective
        fields = (
            "cycle",
            "product",
            "parent",
            "owner",
            "title",
            "description",
            "kind",
            "weight",
            "rollup_children",
            "position",
        )

    def clean(self):
        cleaned_data = super().clean()
        # Once created, cycle and parent are read-only here: take them from the instance.
        saved = self.instance if self.instance.pk else None
        cycle = cleaned_data.get("cycle", saved and saved.cycle)
        parent = cleaned_data.get("parent", saved and saved.parent)
        product = cleaned_data.get("product")
        # The placement rules of okrs.services, which the admin does not go through.
        if cycle is not None and parent is not None and parent.cycle_id != cycle.pk:
            self.add_error("parent", "The parent objective must be in the same cycle.")
        elif parent is not None and product is None and parent.product_id is not None:
            self.add_error(
                "parent",
                "A portfolio objective can only cascade from another portfolio objective.",
            )
        if cycle is not None and product is not None and product.portfolio_id != cycle.portfolio_id:
            self.add_error("product", "The product must belong to the cycle's portfolio.")
        return cleaned_data


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    form = ObjectiveForm
    list_display = (
        "title",
        "cycle",
        "product",
        "owner",
        "kind",
        "weight",
        "depth",
        "progress",
        "final_score",
    )
    list_filter = ("kind", "cycle__state", "cycle")
    search_fields = ("title", "description", "product__name")
    list_select_related = ("cycle", "product", "owner")
    autocomplete_fields = ("cycle", "product", "parent", "owner")
    readonly_fields = ("depth", "progress", "final_score", "created_at", "updated_at")
    inlines = (KeyResultInline,)

    def get_readonly_fields(self, request, obj=None):
        # Moving an objective re-parents a whole subtree (depths, cycles in the tree):
        # that belongs to the app's service, so the admin sets the place only on creation.
        if obj is not None:
            return (*self.readonly_fields, "cycle", "parent")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.depth = obj.parent.depth + 1 if obj.parent else 0
        super().save_model(request, obj, form, change)


@admin.register(KeyResult)
class KeyResultAdmin(admin.ModelAdmin):
    form = KeyResultForm
    list_display = (
        "title",
        "objective",
        "cycle",
        "owner",
        "measure",
        "current_value",
        "target_value",
        "progress",
        "confidence",
        "last_checked_in_at",
    )
    list_filter = ("measure", "objective__cycle__state", "objective__cycle")
    search_fields = ("title", "description", "objective__title", "owner__username")
    list_select_related = ("objective__cycle", "owner")
    autocomplete_fields = ("objective", "owner")
    readonly_fields = (*KEY_RESULT_COMPUTED_FIELDS, "created_at", "updated_at")

    @admin.display(description="Cycle", ordering="objective__cycle__starts_on")
    def cycle(self, key_result):
        return key_result.objective.cycle


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    # Append-only: a correction is a new check-in, posted in the app so that the key
    # result and the roll-up follow. Without delete permission the admin also refuses
    # to delete a key result, objective or cycle that has check-ins: history stays.
    list_display = ("key_result", "value", "confidence", "author", "checked_in_at")
    search_fields = ("key_result__title", "author__username", "note")
    list_select_related = ("key_result", "author")
    date_hierarchy = "checked_in_at"

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProgressSnapshot)
class ProgressSnapshotAdmin(ReadOnlyAdmin):
    # Derived rows: deleting them (or cascading from a cycle) is harmless, the roll-up
    # writes today's again.
    list_display = ("cycle", "scope", "scope_id", "day", "progress", "expected")
    list_filter = ("scope", "cycle")
    search_fields = ("cycle__name",)
    list_select_related = ("cycle",)
    date_hierarchy = "day"


@admin.register(ProductProgress)
class ProductProgressAdmin(ReadOnlyAdmin):
    list_display = ("product", "cycle", "progress", "updated_at")
    list_filter = ("cycle",)
    search_fields = ("product__name", "cycle__name")
    list_select_related = ("product", "cycle")

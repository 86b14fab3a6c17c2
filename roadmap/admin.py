from django import forms
from django.contrib import admin
from django.db.models import Count

from roadmap.models import Alignment, Dependency, RoadmapItem, ShareLink


class AlignmentForm(forms.ModelForm):
    """Both ends of an alignment must be in the same portfolio (not a DB constraint)."""

    parent_item = None  # set by AlignmentFormSet: the item being edited, maybe unsaved

    class Meta:
        model = Alignment
        fields = ("item", "key_result", "note")

    def clean(self):
        cleaned_data = super().clean()
        key_result = cleaned_data.get("key_result")
        item = cleaned_data.get("item") or self.parent_item
        if (
            key_result is not None
            and item is not None
            and item.product_id is not None
            and key_result.objective.cycle.portfolio_id != item.product.portfolio_id
        ):
            self.add_error("key_result", "The key result must be in the item's portfolio.")
        return cleaned_data


class AlignmentFormSet(forms.BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # The new item has no pk yet; give the form the object being saved.
        form.parent_item = self.instance
        return form


class AlignmentInline(admin.TabularInline):
    model = Alignment
    form = AlignmentForm
    formset = AlignmentFormSet
    fields = ("key_result", "note", "created_by", "created_at")
    readonly_fields = ("created_by", "created_at")
    autocomplete_fields = ("key_result",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("key_result", "created_by")


@admin.register(RoadmapItem)
class RoadmapItemAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "product",
        "owner",
        "status",
        "horizon",
        "starts_on",
        "ends_on",
        "alignment_count",
        "is_archived",
    )
    list_filter = ("status", "horizon", "is_archived", "product__portfolio")
    search_fields = ("title", "description", "product__name")
    list_select_related = ("product", "owner")
    autocomplete_fields = ("product", "owner")
    readonly_fields = ("created_at", "updated_at")
    inlines = (AlignmentInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_alignment_count=Count("alignments"))

    @admin.display(description="Aligned to", ordering="_alignment_count")
    def alignment_count(self, item):
        return item._alignment_count

    def save_formset(self, request, form, formset, change):
        alignments = formset.save(commit=False)
        for alignment in alignments:
            if alignment.created_by_id is None:
                alignment.created_by = request.user
            alignment.save()
        for alignment in formset.deleted_objects:
            alignment.delete()
        formset.save_m2m()


@admin.register(Alignment)
class AlignmentAdmin(admin.ModelAdmin):
    form = AlignmentForm
    list_display = ("item", "key_result", "created_by", "created_at")
    fields = ("item", "key_result", "note", "created_by", "created_at")
    search_fields = ("item__title", "key_result__title", "note")
    list_select_related = ("item", "key_result", "created_by")
    autocomplete_fields = ("item", "key_result")
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Dependency)
class DependencyAdmin(admin.ModelAdmin):
    # Shown and deletable, not created here: the "no cycle" rule is checked by the
    # roadmap service, which the admin would bypass.
    list_display = ("blocked_item", "blocking_item", "created_at")
    search_fields = ("blocked_item__title", "blocking_item__title")
    list_select_related = ("blocked_item", "blocking_item")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    # Links are created in the app, which shows the token once; only its hash is here.
    list_display = (
        "__str__",
        "portfolio",
        "product",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "view_count",
        "last_viewed_at",
    )
    list_filter = ("portfolio",)
    search_fields = ("label", "portfolio__name", "product__name", "created_by__username")
    list_select_related = ("portfolio", "product", "created_by")
    fields = (
        "label",
        "portfolio",
        "product",
        "expires_at",
        "revoked_at",
        "token_hash",
        "created_by",
        "created_at",
        "view_count",
        "last_viewed_at",
    )
    readonly_fields = (
        "portfolio",
        "product",
        "revoked_at",
        "token_hash",
        "created_by",
        "created_at",
        "view_count",
        "last_viewed_at",
    )

    def has_add_permission(self, request):
        return False

from django.contrib import admin

from portfolio.models import Membership, Portfolio, Product


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    extra = 0


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "portfolio", "role", "created_at")
    list_filter = ("role", "portfolio")
    search_fields = ("user__username", "user__display_name", "user__email", "portfolio__name")
    list_select_related = ("user", "portfolio")
    autocomplete_fields = ("user", "portfolio")
    readonly_fields = ("created_at",)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "portfolio", "owner", "team", "is_archived", "updated_at")
    list_filter = ("is_archived", "portfolio")
    search_fields = ("name", "slug", "owner__username", "owner__display_name")
    list_select_related = ("portfolio", "owner", "team")
    autocomplete_fields = ("portfolio", "owner", "team")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "updated_at")

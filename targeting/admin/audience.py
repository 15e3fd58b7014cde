"""Support admin of app audiences: read-only (once public, never private)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from targeting.models import AppAudience


@admin.register(AppAudience)
class AppAudienceAdmin(admin.ModelAdmin):
    list_display = ["app", "private", "make_public_at", "published_at", "group_names"]
    list_filter = ["private", "app__partner"]
    list_select_related = ["app"]
    search_fields = ["app__name", "app__store_product_id"]
    search_help_text = _("Search by app name or Store product ID.")
    fields = [
        "app",
        "private",
        "group_names",
        "make_public_at",
        "published_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request) -> QuerySet[AppAudience]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("known user groups"))
    def group_names(self, audience: AppAudience) -> str:
        return ", ".join(sorted(group.name for group in audience.groups.all()))

    def has_add_permission(self, request) -> bool:
        return False  # partners choose the audience in the dashboard

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

"""Support admin of package flights: read-only, as partners rank them.

Writes go through ``targeting.services.flights`` (contiguous ranks), which
the partner pages call; support staff look flights up.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from targeting.models import Flight


@admin.register(Flight)
class FlightAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "app",
        "rank",
        "version",
        "rollout_percentage",
        "group_names",
    ]
    list_filter = ["app__partner"]
    list_select_related = ["app"]
    search_fields = ["name", "app__name", "app__store_product_id"]
    search_help_text = _("Search by flight name, app name or Store product ID.")
    ordering = ["app__name", "-rank"]
    fields = [
        "app",
        "name",
        "rank",
        "version",
        "rollout_percentage",
        "group_names",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request) -> QuerySet[Flight]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("known user groups"))
    def group_names(self, flight: Flight) -> str:
        return ", ".join(sorted(group.name for group in flight.groups.all()))

    def has_add_permission(self, request) -> bool:
        return False  # partners create flights in the dashboard

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

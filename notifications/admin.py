"""Support admin of push notifications: what each app sent to whom and how
it went, the channels customers registered, and whether an app's WNS
credentials are set. Read-only: partners send notifications on their pages,
where the rules are checked; the client secret is never shown."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from notifications.models import Channel, Notification, WnsCredentials
from targeting.admin.offers import ReadOnlyAdmin


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "app",
        "audience",
        "group",
        "status",
        "send_at",
        "channels",
        "sent",
        "failed",
        "expired",
    ]
    list_filter = ["status", "audience", "app__partner"]
    list_select_related = ["app", "group"]
    search_fields = ["name", "title", "app__name", "app__store_product_id"]
    date_hierarchy = "created_at"
    readonly_fields = [
        field.name for field in Notification._meta.fields if field.name != "id"
    ]


@admin.register(Channel)
class ChannelAdmin(ReadOnlyAdmin):
    list_display = ["uri", "app_customer", "active", "expires_at", "last_result"]
    list_filter = ["active", "last_result"]
    list_select_related = ["app_customer__app", "app_customer__customer"]
    search_fields = ["=app_customer__customer__email", "uri"]
    show_full_result_count = False  # millions of rows: no count(*) a page
    readonly_fields = [
        field.name for field in Channel._meta.fields if field.name != "id"
    ]


@admin.register(WnsCredentials)
class WnsCredentialsAdmin(ReadOnlyAdmin):
    list_display = ["app", "package_sid", "updated_at", "token_obtained_at"]
    list_select_related = ["app"]
    search_fields = ["app__name", "app__store_product_id", "package_sid"]
    fields = [
        "app",
        "package_sid",
        "secret_set",
        "updated_at",
        "updated_by",
        "token_obtained_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("client secret"))
    def secret_set(self, credentials: WnsCredentials) -> str:
        return _("set (encrypted, never shown)")

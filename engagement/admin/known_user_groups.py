"""Support admin of known user groups: look up lists and erasures.

Names never change and groups are never deleted (product.md §4); support
staff erase a person with ``manage.py erase_person`` instead.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from engagement.models import KnownUserGroup, KnownUserGroupAddress, PersonErasure


@admin.register(KnownUserGroup)
class KnownUserGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "partner", "member_count", "address_count", "updated_at"]
    list_filter = ["partner"]
    list_select_related = ["partner"]
    search_fields = ["name", "partner__name", "addresses__email"]
    readonly_fields = [
        "partner",
        "name",
        "kind",
        "address_count",
        "member_count",
        "created_by",
        "created_at",
        "updated_by",
        "updated_at",
    ]
    fields = readonly_fields

    def get_search_results(self, request, queryset, search_term):
        queryset, _duplicates = super().get_search_results(
            request, queryset, search_term
        )
        return queryset.distinct(), False

    def has_add_permission(self, request) -> bool:
        return False  # partners create groups in the dashboard

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(KnownUserGroupAddress)
class KnownUserGroupAddressAdmin(admin.ModelAdmin):
    list_display = ["email", "group", "is_member"]
    list_filter = [("customer", admin.EmptyFieldListFilter), "group__partner"]
    list_select_related = ["group"]
    search_fields = ["email", "group__name"]
    search_help_text = _("Search by e-mail address or group name.")
    readonly_fields = ["group", "email", "customer"]
    show_full_result_count = False

    @admin.display(boolean=True, description=_("member"))
    def is_member(self, address: KnownUserGroupAddress) -> bool:
        return address.is_member

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PersonErasure)
class PersonErasureAdmin(admin.ModelAdmin):
    list_display = [
        "erased_at",
        "requested_by",
        "customers_deleted",
        "addresses_deleted",
        "email_sha256",
    ]
    search_fields = ["email_sha256", "requested_by"]
    search_help_text = _("Search by requester or by the SHA-256 of the address.")
    date_hierarchy = "erased_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

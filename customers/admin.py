"""Support staff's view of partners, apps and customers."""

from __future__ import annotations

from datetime import datetime

from django.contrib import admin
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from customers.models import App, AppCustomer, Customer, Partner, PartnerMembership


def admin_time(value: datetime | None) -> str:
    """A time as support staff read it: in the site's time zone, localized,
    with the zone named ("Nov. 29, 2026, 7:21 a.m. UTC"), never ISO text."""
    if value is None:
        return "–"
    local = timezone.localtime(value)
    return f"{date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


class SelectListFilter(admin.ChoicesFieldListFilter):
    """A choices filter shown as a select with a box that narrows it as one
    types (static/js/admin-select-filter.js), for fields with hundreds of
    choices: the market's 249 countries would be 249 links."""

    template = "admin/select_filter.html"


class PartnerMembershipInline(admin.TabularInline):
    model = PartnerMembership
    extra = 0
    autocomplete_fields = ["user"]


class AppInline(admin.TabularInline):
    model = App
    extra = 0
    fields = ["name", "store_product_id", "created_at"]
    readonly_fields = ["created_at"]
    show_change_link = True


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    fields = ["name", "time_zone"]
    search_fields = ["name", "apps__store_product_id"]
    inlines = [PartnerMembershipInline, AppInline]


@admin.register(PartnerMembership)
class PartnerMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "partner", "role", "created_at"]
    list_filter = ["role", "partner"]
    list_select_related = ["user", "partner"]
    search_fields = ["user__username", "user__email", "partner__name"]
    autocomplete_fields = ["user", "partner"]


@admin.register(App)
class AppAdmin(admin.ModelAdmin):
    list_display = ["name", "store_product_id", "partner", "created_at"]
    list_filter = ["partner"]
    list_select_related = ["partner"]
    search_fields = ["name", "store_product_id", "partner__name"]
    autocomplete_fields = ["partner"]


class AppCustomerInline(admin.TabularInline):
    model = AppCustomer
    extra = 0
    autocomplete_fields = ["app"]
    fields = [
        "app",
        "platform",
        "acquired_on",
        "acquisition_type",
        "last_active_on",
        "rating",
        "churn_score",
        "app_spend",
    ]
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "authenticated",
        "market",
        "gender",
        "birth_date",
        "store_spend",
        "updated_at",
    ]
    list_filter = ["authenticated", "gender", ("market", SelectListFilter)]
    search_fields = ["email"]
    search_help_text = _("Search by e-mail address (or part of it).")
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AppCustomerInline]
    # Counting a million rows on every page would make the list crawl.
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None) -> bool:
        # A person is erased through the logged erasure (the "Erase personal
        # data" action of the groups' customer admin), never deleted here.
        return False


@admin.register(AppCustomer)
class AppCustomerAdmin(admin.ModelAdmin):
    list_display = [
        "customer",
        "app",
        "platform",
        "acquisition_type",
        "acquired_on",
        "last_active_on",
        "rating",
        "churn_score",
        "app_spend",
    ]
    list_filter = ["app__partner", "app", "platform", "acquisition_type"]
    list_select_related = ["customer", "app"]
    search_fields = ["customer__email", "app__store_product_id"]
    search_help_text = _("Search by customer e-mail or Store product ID.")
    autocomplete_fields = ["app", "customer"]
    show_full_result_count = False

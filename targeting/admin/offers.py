"""Support admin of targeted offers: what each app offers to which segment,
how often it converted, and the conversions the Store reported. Read-only:
partners change offers on their pages, where the rules are checked."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from targeting.models import Offer, OfferConversion
from targeting.selectors.offers import offer_annotate_conversions


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "app",
        "offer_type",
        "addon_product_id",
        "segment",
        "conversions",
        "updated_at",
    ]
    list_filter = ["offer_type", "app__partner"]
    list_select_related = ["app", "segment"]
    search_fields = ["name", "addon_product_id", "app__name", "app__store_product_id"]
    fields = [
        "app",
        "name",
        "offer_type",
        "addon_product_id",
        "segment",
        "conversions",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        return offer_annotate_conversions(super().get_queryset(request))

    @admin.display(description=_("conversions"), ordering="conversion_count")
    def conversions(self, offer: Offer) -> int:
        return offer.conversion_count


@admin.register(OfferConversion)
class OfferConversionAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "addon_product_id",
        "tracking",
        "customer",
        "purchase_reference",
        "recorded_at",
    ]
    list_select_related = ["tracking", "customer"]
    search_fields = ["addon_product_id", "purchase_reference", "customer__email"]
    search_help_text = _("Search by add-on, purchase reference or e-mail address.")
    date_hierarchy = "occurred_at"
    show_full_result_count = False

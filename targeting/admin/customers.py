"""The customer's admin page, with what they get of each app (product.md §6.7).

engagement's admin replaced the customers' registration with one that adds
the groups; this module extends that one in turn with the flight, the
visibility and the offers of each of the customer's apps.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from engagement.admin.customers import CustomerGroupsAdmin, html_table
from targeting.selectors.customers import customer_targeting_list

TARGETING_FIELDS = ["targeting"]

admin.site.unregister(Customer)


@admin.register(Customer)
class CustomerTargetingAdmin(CustomerGroupsAdmin):
    readonly_fields = [*CustomerGroupsAdmin.readonly_fields, *TARGETING_FIELDS]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        fieldsets[0][1]["fields"] = [
            f for f in fieldsets[0][1]["fields"] if f not in TARGETING_FIELDS
        ]
        if obj is not None:
            fieldsets.append(
                (_("What each app gives them"), {"fields": TARGETING_FIELDS})
            )
        return fieldsets

    @admin.display(description=_("flight, visibility and offers per app"))
    def targeting(self, customer: Customer) -> str:
        rows = [
            (
                row.app.name,
                format_html(
                    '<a href="{}">{}</a> ({})',
                    reverse("admin:targeting_flight_change", args=[row.flight.pk]),
                    row.flight.name,
                    row.flight.version,
                )
                if row.flight
                else _("non-flighted package"),
                _("yes") if row.visible else _("no (private audience)"),
                format_html_join(
                    ", ",
                    "{} ({})",
                    (
                        (", ".join(entry["offers"]), entry["trackingId"])
                        for entry in row.offers
                    ),
                )
                or _("none"),
            )
            for row in customer_targeting_list(customer=customer)
        ]
        if not rows:
            return _("Not a customer of any app")
        return html_table(
            [_("app"), _("flight"), _("can see the app"), _("offers")], rows
        )

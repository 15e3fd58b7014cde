"""The customer's admin page, with the groups they are in (product.md §6.7).

``customers`` owns the customer admin and knows nothing of groups; this
module replaces its registration with a subclass that adds them.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from customers.admin import CustomerAdmin
from customers.models import Customer
from engagement.selectors.customers import (
    customer_known_user_group_addresses,
    customer_segment_list,
)

GROUP_FIELDS = ["segments", "known_user_groups"]


def html_table(headers: list, rows: list[tuple]) -> str:
    """Render rows of (already escaped or plain) cells as a small HTML table."""
    head = format_html_join("", "<th scope='col'>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),)
            for row in rows
        ),
    )
    return format_html(
        "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body
    )


admin.site.unregister(Customer)


@admin.register(Customer)
class CustomerGroupsAdmin(CustomerAdmin):
    readonly_fields = [*CustomerAdmin.readonly_fields, *GROUP_FIELDS]

    def get_fieldsets(self, request, obj=None):
        fields = [f for f in self.get_fields(request, obj) if f not in GROUP_FIELDS]
        fieldsets = [(None, {"fields": fields})]
        if obj is not None:
            fieldsets.append((_("Customer groups"), {"fields": GROUP_FIELDS}))
        return fieldsets

    @admin.display(description=_("segments of their apps"))
    def segments(self, customer: Customer) -> str:
        explain = reverse("admin:engagement_segment_explain")
        rows = [
            (
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:engagement_segment_change", args=[segment.pk]),
                    segment.name,
                ),
                segment.app.name,
                segment.get_status_display(),
                _("member") if segment.is_member else _("not a member"),
                format_html(
                    '<a href="{}?customer={}&amp;segment={}">{}</a>',
                    explain,
                    customer.pk,
                    segment.pk,
                    _("Explain"),
                ),
            )
            for segment in customer_segment_list(customer=customer)
        ]
        if not rows:
            return _("No segments")
        return html_table(
            [_("segment"), _("app"), _("status"), _("membership"), ""], rows
        )

    @admin.display(description=_("known user group addresses"))
    def known_user_groups(self, customer: Customer) -> str:
        rows = [
            (
                format_html(
                    '<a href="{}">{}</a>',
                    reverse(
                        "admin:engagement_knownusergroup_change",
                        args=[address.group_id],
                    ),
                    address.group.name,
                ),
                address.group.partner.name,
                address.email,
                _("member")
                if address.customer_id == customer.pk
                else _("listed, not linked"),
            )
            for address in customer_known_user_group_addresses(customer=customer)
        ]
        if not rows:
            return _("No known user groups")
        return html_table([_("group"), _("partner"), _("e-mail"), _("status")], rows)

"""The customer's admin page, with the groups they are in (product.md §6.7).

``customers`` owns the customer admin and knows nothing of groups; this
module replaces its registration with a subclass that adds them.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers.admin import CustomerAdmin
from customers.models import Customer
from engagement.models import PersonErasure
from engagement.selectors.customers import (
    customer_known_user_group_addresses,
    customer_segment_list,
)
from engagement.services.person_erasure import person_erase

GROUP_FIELDS = ["segments", "known_user_groups"]
# Addresses listed on the confirmation page; the rest are counted.
ERASE_LISTED = 50


class ErasureRequestForm(forms.Form):
    requested_by = forms.CharField(
        label=_("Requested by"),
        max_length=PersonErasure._meta.get_field("requested_by").max_length,
        help_text=_("Who asked for the erasure: a name, a ticket number…"),
    )


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
    actions = ["erase_personal_data"]

    def has_erase_permission(self, request: HttpRequest) -> bool:
        # Erasing records a PersonErasure: whoever may add one may erase.
        return request.user.has_perm("engagement.add_personerasure")

    @admin.action(
        description=_("Erase personal data of the selected customers"),
        permissions=["erase"],
    )
    def erase_personal_data(self, request: HttpRequest, queryset: QuerySet):
        """Ask who requested it, then erase each selected person through the
        logged erasure (engagement.services.person_erasure): their customer
        accounts and every known user group address listing them."""
        emails = sorted(set(queryset.values_list("email", flat=True)))
        form = ErasureRequestForm(request.POST if "post" in request.POST else None)
        if form.is_valid():
            erased = 0
            for email in emails:
                try:
                    person_erase(
                        email=email, requested_by=form.cleaned_data["requested_by"]
                    )
                except ValidationError as exc:
                    self.message_user(
                        request, f"{email}: {' '.join(exc.messages)}", messages.ERROR
                    )
                else:
                    erased += 1
            self.message_user(
                request,
                ngettext(
                    "Erased %(count)d person; the erasure is logged.",
                    "Erased %(count)d people; each erasure is logged.",
                    erased,
                )
                % {"count": erased},
                messages.SUCCESS,
            )
            return None  # back to the customer list
        context = {
            **self.admin_site.each_context(request),
            "title": _("Erase personal data"),
            "opts": self.model._meta,
            "form": form,
            "emails": emails[:ERASE_LISTED],
            "more": max(len(emails) - ERASE_LISTED, 0),
            "count": len(emails),
            "queryset": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "erasures": reverse("admin:engagement_personerasure_changelist"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/customers/customer/erase_confirmation.html", context
        )

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
                format_html(
                    '<a href="{}">{}</a>',
                    reverse(
                        "admin:engagement_knownusergroupaddress_change",
                        args=[address.pk],
                    ),
                    address.email,
                ),
                _("member")
                if address.customer_id == customer.pk
                else _("listed, not linked"),
            )
            for address in customer_known_user_group_addresses(customer=customer)
        ]
        if not rows:
            return _("No known user groups")
        return html_table([_("group"), _("partner"), _("e-mail"), _("status")], rows)

"""Support admin: why is this customer in or out of this segment (product.md §6.7)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from customers.http import IdField
from customers.models import Customer
from engagement.errors import ExplainError
from engagement.models import Segment, SegmentRun
from engagement.selectors.customers import customer_find
from engagement.selectors.explain import segment_membership_explain


class SegmentAutocomplete(AutocompleteSelect):
    """The admin's autocomplete, rendering nothing for a typed id that cannot
    be one (Django's widget looks every chosen value up, unchecked)."""

    def optgroups(self, name, value, attr=None):
        ids = []
        for item in value:
            try:
                ids.append(str(IdField().clean(item)))
            except forms.ValidationError:
                continue
        return super().optgroups(name, ids, attr)


class SegmentChoiceField(forms.ModelChoiceField):
    """A segment by id; what cannot be an id is refused before the database
    sees it (SQLite overflows on a number past bigint)."""

    def to_python(self, value):
        if value not in self.empty_values:
            IdField().clean(value)
        return super().to_python(value)


class MembershipExplainForm(forms.Form):
    customer = forms.CharField(
        label=_("Customer"),
        max_length=254,
        help_text=_("E-mail address or customer ID."),
    )
    segment = SegmentChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.select_related("app"),
        # Any foreign key to Segment names the autocomplete's source; the
        # segment admin's search answers it.
        widget=SegmentAutocomplete(SegmentRun._meta.get_field("segment"), admin.site),
    )

    def clean_customer(self) -> Customer:
        customer = customer_find(key=self.cleaned_data["customer"])
        if customer is None:
            raise ExplainError.NO_CUSTOMER.error()
        return customer


def membership_explain_view(
    request: HttpRequest, *, model_admin: admin.ModelAdmin
) -> HttpResponse:
    """Show the form and, once a customer and a segment are given, the checks."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    bound = "customer" in request.GET
    form = MembershipExplainForm(
        request.GET if bound else None,
        initial={"segment": request.GET.get("segment")},
    )
    explanation = None
    if bound and form.is_valid():
        explanation = segment_membership_explain(
            segment=form.cleaned_data["segment"],
            customer=form.cleaned_data["customer"],
        )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Explain membership"),
        "opts": Segment._meta,
        "form": form,
        "media": model_admin.media + form.media,
        "explanation": explanation,
    }
    return TemplateResponse(request, "admin/engagement/segment/explain.html", context)

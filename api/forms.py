"""The form of the API token settings page: a new partner token as an editor
names it. The name's rules are the service's (``api_token_create``), shown on
the field by the view."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from api.models import ApiToken


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Token name"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=gettext_lazy(
            "What uses it, so that you can tell tokens apart: "
            "“Nightly CRM sync”, for example."
        ),
    )
    can_write = forms.BooleanField(
        label=gettext_lazy("Can change groups"),
        required=False,
        initial=True,
        help_text=gettext_lazy(
            "Create known user groups and replace their addresses. "
            "Untick for a read-only token, which can only list and read groups."
        ),
    )

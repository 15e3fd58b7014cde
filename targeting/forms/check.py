"""The check-a-customer form: one e-mail address, read as known user groups
read theirs (trimmed, lower-cased)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from engagement.addresses import addresses_from_list
from targeting.errors import CustomerCheckError


class CustomerCheckForm(forms.Form):
    email = forms.CharField(
        label=gettext_lazy("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_email(self) -> str:
        """Return the normalised address, or refuse anything but one address."""
        parsed = addresses_from_list([self.cleaned_data["email"]])
        if parsed.invalid or not parsed.addresses:
            raise CustomerCheckError.INVALID_EMAIL.error()
        return parsed.addresses[0]

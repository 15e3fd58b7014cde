"""Forms of known user groups: the address box, the .csv import, the confirm."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from customers.names import name_clean
from engagement.addresses import (
    ParsedAddresses,
    addresses_check,
    addresses_from_csv,
    addresses_parse,
)
from engagement.errors import KnownUserGroupError

SIGNING_SALT = "engagement.known_user_group_import"
CONFIRM_MAX_AGE = 60 * 60  # seconds a shown diff can still be confirmed


class CsvFileField(forms.FileField):
    widget = forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})

    def parse(self, upload) -> ParsedAddresses:
        return addresses_from_csv(upload)


class KnownUserGroupForm(forms.Form):
    """Create (with a name) or edit (without) a group's addresses.

    On create the addresses come from the box or from a .csv file.
    """

    name = forms.CharField(label=gettext_lazy("Group name"), max_length=100)
    addresses = forms.CharField(
        label=gettext_lazy("E-mail addresses"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "Separate addresses with spaces, commas, semicolons or line breaks."
        ),
    )
    csv_file = CsvFileField(
        label=gettext_lazy("Or import a .csv file"),
        required=False,
        help_text=gettext_lazy(
            "UTF-8, comma or semicolon separated, at most 1 MB; a column named "
            "email, or the first column."
        ),
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.parsed: ParsedAddresses | None = None
        if editing:
            del self.fields["name"]
            del self.fields["csv_file"]

    def clean_name(self) -> str:
        return name_clean(self.cleaned_data["name"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        text = cleaned.get("addresses") or ""
        upload = cleaned.get("csv_file")
        if upload and text.strip():
            raise KnownUserGroupError.BOTH.error()
        field = "csv_file" if upload else "addresses"
        try:
            if upload:
                self.parsed = self.fields["csv_file"].parse(upload)
            else:
                self.parsed = addresses_parse(text)
            cleaned["emails"] = addresses_check(self.parsed, rows=bool(upload))
        except ValidationError as exc:
            self.add_error(field, exc)
        return cleaned


class KnownUserGroupImportForm(forms.Form):
    csv_file = CsvFileField(label=gettext_lazy("A .csv file of e-mail addresses"))

    def clean_csv_file(self):
        upload = self.cleaned_data["csv_file"]
        self.parsed = self.fields["csv_file"].parse(upload)
        self.cleaned_data["emails"] = addresses_check(self.parsed, rows=True)
        return upload


def import_payload_sign(*, group_id: int, emails: list[str]) -> str:
    """Carry parsed addresses to the confirm step, tamper-proof."""
    return signing.dumps(
        {"group": group_id, "emails": emails}, salt=SIGNING_SALT, compress=True
    )


class KnownUserGroupConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, group_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_id = group_id

    def clean_payload(self) -> list[str]:
        try:
            data = signing.loads(
                self.cleaned_data["payload"], salt=SIGNING_SALT, max_age=CONFIRM_MAX_AGE
            )
        except signing.SignatureExpired:
            raise KnownUserGroupError.EXPIRED.error() from None
        except signing.BadSignature:
            raise KnownUserGroupError.BAD_SIGNATURE.error() from None
        if data.get("group") != self.group_id:
            raise KnownUserGroupError.OTHER_GROUP.error()
        return data["emails"]

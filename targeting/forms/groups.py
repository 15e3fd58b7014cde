"""The known user groups field every use of groups shows."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from customers.http import IdField
from targeting.errors import GroupChoiceError


class KnownUserGroupsField(forms.ModelMultipleChoiceField):
    """Known user groups chosen by id; a value that cannot be an id is refused
    before the query (past bigint: an ``OverflowError`` on SQLite, a
    ``DataError`` on PostgreSQL)."""

    def clean(self, value):
        for pk in value or []:
            try:
                IdField().clean(pk)
            except ValidationError:
                raise GroupChoiceError.UNKNOWN_GROUP.error() from None
        return super().clean(value)

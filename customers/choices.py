"""Model choice fields: choices chosen by id, and short lists read whole."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator

from customers.http import IdField


class ReadWholeChoiceIterator(ModelChoiceIterator):
    """The choices of the field's queryset, read whole and kept on it.

    Django's iterator streams the queryset with ``iterator()``, which on
    PostgreSQL declares a server-side cursor: three statements where one
    does for a few rows, and again every time the choices are listed. This
    reads the queryset once (a form that looked at it already read it) and
    lists it from there.
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ReadWholeModelChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` for a list short enough to read in one statement."""

    iterator = ReadWholeChoiceIterator


class IdModelChoiceField(forms.ModelChoiceField):
    """A model chosen by id: a value that cannot be an id (past bigint, an
    ``OverflowError`` on SQLite) is looked up as no id at all, so Django
    answers it as any choice that is not offered."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            try:
                IdField().clean(value)
            except ValidationError:
                value = 0  # no row has it: Django's own "Select a valid choice"
        return super().to_python(value)

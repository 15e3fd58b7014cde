"""Model choice fields for short lists: a partner's apps, its segments."""

from __future__ import annotations

from django import forms
from django.forms.models import ModelChoiceIterator


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

"""Forms of the customer groups pages, one module per kind of group."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def service_errors_attach(*, form: forms.Form, error: ValidationError) -> None:
    """Show a service's ``ValidationError`` on the form that called it.

    Errors keyed by a field the form has go next to that field; all others
    (unkeyed, or keyed by a field the form does not show) are the form's own.
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)

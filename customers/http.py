"""Request parsing every view shares: ids from URLs and forms, redirect targets.

An id that is not a whole number within the primary keys' range (bigint) is
refused before it reaches the database: on PostgreSQL a larger number is a
``DataError`` (a 500), on SQLite an ``OverflowError``. A redirect target
taken from the request (``next``) must stay on this site.
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

# The largest value of BigAutoField (bigint), on PostgreSQL and SQLite alike.
MAX_ID = 2**63 - 1


class IdConverter:
    """Match a primary key in a URL (``<id:pk>``): 1 to ``MAX_ID``.

    A path with anything else in that place does not match, so it is a 404.
    """

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(f"{value} is out of the id range")
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)


class IdField(forms.IntegerField):
    """A form field for an id sent in a query string or a body."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


def id_or_404(value: object) -> int:
    """Return ``value`` as an id, or raise ``Http404`` when it cannot be one."""
    field = IdField()
    try:
        return field.clean(value)
    except forms.ValidationError:
        raise Http404("Not an id.") from None


def redirect_target(
    request: HttpRequest, *, url: str | None, fallback: str | object
) -> str:
    """Return ``url`` when it stays on this site, else ``fallback`` resolved.

    ``url`` comes from the request (a ``next`` parameter), so it is checked
    with ``url_has_allowed_host_and_scheme``: another host, a
    scheme-relative ``//host`` or a plain-HTTP link from a secure page all
    give ``fallback`` (a URL, a URL name or a model, as
    ``redirect()`` takes).
    """
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(fallback)

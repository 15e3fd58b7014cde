"""Notification channels: what an app registers for a customer (through the
API), valid 30 days from each registration."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from customers.bulk import rows_insert_select
from customers.models import AppCustomer
from notifications.errors import ChannelError
from notifications.models import CHANNEL_LIFETIME, Channel

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _host_matches(host: str, pattern: str) -> bool:
    """``example.com`` is that host; ``.example.com`` is it and its subdomains."""
    return host == pattern.lstrip(".") or (
        pattern.startswith(".") and host.endswith(pattern)
    )


def channel_uri_check(uri: str) -> str:
    """Return ``uri`` if toasts may be posted to it, else raise
    ``ValidationError`` (``channel_not_wns``).

    Workers post each toast with the app's WNS access token to its channel
    URI, so only WNS's hosts (``WNS_CHANNEL_HOSTS``; a leading dot takes the
    domain's subdomains) are accepted, over https; a loopback host listed
    there (the local stand-in) may use http.
    """
    hosts = settings.WNS_CHANNEL_HOSTS
    try:
        URLValidator(schemes=["http", "https"])(uri)
        parts = urlsplit(uri)
        host = (parts.hostname or "").lower()
    except (ValidationError, ValueError):
        host, parts = "", None
    allowed = bool(host) and any(_host_matches(host, pattern) for pattern in hosts)
    secure = parts is not None and (parts.scheme == "https" or host in LOOPBACK)
    if not (allowed and secure):
        raise ChannelError.NOT_WNS.error(hosts=", ".join(hosts))
    return uri


def channel_register(
    *, app_customer: AppCustomer, uri: str, now: dt.datetime | None = None
) -> Channel:
    """Register a channel URI for an app customer, or refresh it: registered
    now, expiring 30 days later, active again (an app registers a channel WNS
    gave it anew even after a 410).

    Raises ``ValidationError`` for a URI that is not WNS's
    (``channel_uri_check``).
    """
    channel_uri_check(uri)
    now = now or timezone.now()
    channel, _created = Channel.objects.update_or_create(
        app_customer=app_customer,
        uri=uri,
        defaults={
            "registered_at": now,
            "expires_at": now + CHANNEL_LIFETIME,
            "active": True,
        },
    )
    return channel


def channels_register_at(
    *, app_customers: QuerySet[AppCustomer], prefix: str, now: dt.datetime | None = None
) -> int:
    """Register a channel ``<prefix><app customer id>`` for each of these app
    customers, in one ``INSERT … SELECT`` (the demo seed and the benchmark:
    a local stand-in's channels for many customers at once). Return how many."""
    now = now or timezone.now()
    return rows_insert_select(
        model=Channel,
        fields=(
            "app_customer",
            "uri",
            "registered_at",
            "expires_at",
            "active",
            "last_result",
        ),
        rows=app_customers.annotate(
            u=Concat(
                Value(prefix), Cast(F("pk"), CharField()), output_field=CharField()
            ),
            r=Value(now),
            e=Value(now + CHANNEL_LIFETIME),
            a=Value(True),
            lr=Value(""),
        ).values_list("pk", "u", "r", "e", "a", "lr"),
    )

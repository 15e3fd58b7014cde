"""Notification channels: what an app registers for a customer (through the
API), valid 30 days from each registration."""

from __future__ import annotations

import datetime as dt

from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from customers.bulk import rows_insert_select
from customers.models import AppCustomer
from notifications.models import CHANNEL_LIFETIME, Channel


def channel_register(
    *, app_customer: AppCustomer, uri: str, now: dt.datetime | None = None
) -> Channel:
    """Register a channel URI for an app customer, or refresh it: registered
    now, expiring 30 days later, active again (an app registers a channel WNS
    gave it anew even after a 410)."""
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

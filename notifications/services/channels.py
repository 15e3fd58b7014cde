"""Notification channels: what an app registers for a customer (through the
API), valid 30 days from each registration."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

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

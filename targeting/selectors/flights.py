"""Read use cases of package flights: an app's list, and who gets which.

``flight_for_customer`` answers in one query whatever the number of flights
and groups: the app's flights whose groups list the customer as a member
(``knownusergroupaddress.customer_id`` is indexed, and so is the flight-group
table by group), highest rank first; the rollout bucket is then computed
for those few flights.
"""

from __future__ import annotations

import hashlib

from django.db.models import Count, Exists, OuterRef, QuerySet

from customers.models import App, Customer, Partner
from engagement.models import KnownUserGroupAddress
from targeting.models import Flight


def flight_list(*, app: App) -> QuerySet[Flight]:
    """The app's flights, highest rank first, with their groups."""
    return Flight.objects.filter(app=app).order_by("-rank").prefetch_related("groups")


def flight_app_list(*, partner: Partner) -> QuerySet[App]:
    """The partner's apps by name, each with its ``flight_count``."""
    return (
        App.objects.for_partner(partner)
        .annotate(flight_count=Count("flights"))
        .order_by("name")
    )


def flight_list_for_partner(*, partner: Partner) -> QuerySet[Flight]:
    """The partner's flights of every app; look flights up through it so
    other partners' 404."""
    return Flight.objects.filter(app__partner=partner).select_related("app")


def rollout_bucket(*, flight_id: int, customer_id: int) -> int:
    """Return the customer's stable bucket, 0–99, for one flight.

    A flight with a rollout of p % includes the buckets below p, so raising
    the percentage only adds people.
    """
    digest = hashlib.sha256(f"{flight_id}:{customer_id}".encode()).hexdigest()
    return int(digest[:8], 16) % 100


def flight_for_customer(*, app: App, customer: Customer) -> Flight | None:
    """Return the flight ``customer`` gets of ``app``, or ``None`` for the
    non-flighted package.

    The highest-ranked flight one of whose known user groups has the
    customer as a member (an address linked to their account: pending
    addresses never count) and whose rollout includes them. One query.
    """
    member = KnownUserGroupAddress.objects.filter(
        customer=customer, group__flights=OuterRef("pk")
    )
    flights = Flight.objects.filter(Exists(member), app=app).order_by("-rank")
    for flight in flights:
        bucket = rollout_bucket(flight_id=flight.pk, customer_id=customer.pk)
        if bucket < flight.rollout_percentage:
            return flight
    return None

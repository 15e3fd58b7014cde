"""Check a customer, partner side: which flight an e-mail address would get
and whether it can see the app, explained by known user groups only.

Privacy (product.md §6.6): the answer is built from the partner's own known
user group addresses for that e-mail (their status, member or pending, is
already on the group's page), the app's flights and its audience. Customers
are never looked up by e-mail, nor are segments, app customers or other
partners' groups read: an address that none of the partner's groups list
gets the same answer whether or not it is anyone's account.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.utils import timezone

from customers.models import App, Customer
from engagement.models import KnownUserGroup, KnownUserGroupAddress
from targeting.models import Flight
from targeting.selectors.audience import app_visible_to, audience_get
from targeting.selectors.flights import (
    flight_for_customer,
    flight_list,
    rollout_bucket,
)


@dataclass(frozen=True)
class GroupListing:
    """One of the partner's known user groups that lists the address."""

    group: KnownUserGroup
    member: bool  # the address matches a signed-in account; else pending


class FlightOutcome(StrEnum):
    """Why a flight does or does not reach the address."""

    GETS = "gets"  # a member, inside the rollout: the flight they get
    RANKED_BELOW = "ranked_below"  # would reach them, but a higher one does
    OUTSIDE_ROLLOUT = "outside_rollout"  # a member, outside the rollout
    PENDING = "pending"  # listed, but not matched to an account
    NOT_LISTED = "not_listed"  # none of its groups list the address


@dataclass(frozen=True)
class FlightCheck:
    """One flight of the app and how it treats the address."""

    flight: Flight
    listings: list[GroupListing]  # its groups that list the address
    outcome: FlightOutcome


@dataclass(frozen=True)
class CustomerCheck:
    """What one e-mail address would get of an app, and why."""

    email: str
    flight: Flight | None  # None: the non-flighted package
    flights: list[FlightCheck]  # every flight of the app, highest rank first
    visible: bool
    private: bool  # the app is private now (not public, not yet due)
    make_public_at: dt.datetime | None
    audience_listings: list[GroupListing]  # the private audience's groups

    @property
    def listed(self) -> bool:
        """Whether a flight's group lists the address at all."""
        return any(check.listings for check in self.flights)


def _listings(
    groups: list[KnownUserGroup], linked: dict[int, bool]
) -> list[GroupListing]:
    return [
        GroupListing(group=group, member=linked[group.pk])
        for group in groups
        if group.pk in linked
    ]


def _outcome(
    *, flight: Flight, listings: list[GroupListing], customer: Customer | None
) -> FlightOutcome:
    if not listings:
        return FlightOutcome.NOT_LISTED
    if customer is None or not any(listing.member for listing in listings):
        return FlightOutcome.PENDING
    bucket = rollout_bucket(flight_id=flight.pk, customer_id=customer.pk)
    if bucket >= flight.rollout_percentage:
        return FlightOutcome.OUTSIDE_ROLLOUT
    return FlightOutcome.GETS


def customer_check(
    *, app: App, email: str, now: dt.datetime | None = None
) -> CustomerCheck:
    """Return which flight ``email`` (normalised) would get of ``app`` and
    whether it can see the app, with each flight's reason.

    The person is known only through the partner's known user group
    addresses for ``email``: a member address gives their account, and
    ``flight_for_customer`` and ``app_visible_to`` answer for it; without
    one they get the non-flighted package and see the app only if it is
    public. A constant number of queries.
    """
    now = now or timezone.now()
    addresses = KnownUserGroupAddress.objects.filter(
        group__partner_id=app.partner_id, email=email
    ).select_related("customer")
    linked: dict[int, bool] = {}  # group id → the address is a member
    customer: Customer | None = None
    for address in addresses:
        linked[address.group_id] = address.customer_id is not None
        customer = customer or address.customer
    flights = list(flight_list(app=app))
    chosen = (
        None if customer is None else flight_for_customer(app=app, customer=customer)
    )
    checks = []
    for flight in flights:
        listings = _listings(list(flight.groups.all()), linked)
        outcome = _outcome(flight=flight, listings=listings, customer=customer)
        if outcome == FlightOutcome.GETS and flight != chosen:
            outcome = FlightOutcome.RANKED_BELOW
        checks.append(FlightCheck(flight=flight, listings=listings, outcome=outcome))
    audience = audience_get(app=app)
    private = (
        audience is not None and audience.private and not audience.is_published(now)
    )
    if customer is None:
        visible = not private
    else:
        visible = app_visible_to(app=app, customer=customer, now=now)
    return CustomerCheck(
        email=email,
        flight=chosen,
        flights=checks,
        visible=visible,
        private=private,
        make_public_at=audience.make_public_at if private else None,
        audience_listings=(
            _listings(list(audience.groups.all()), linked) if private else []
        ),
    )

"""What store services ask of one app and one customer (product.md §6.6).

Store services see individuals: a customer's segments are theirs to know.
Each look-up is one indexed query, so a whole answer costs a constant
number of queries whatever the numbers of segments, groups and offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from customers.models import App, AppCustomer, Customer, store_product_id_validator
from engagement.models import KnownUserGroup, Segment
from targeting.models import Flight
from targeting.selectors.audience import app_visible_to
from targeting.selectors.flights import flight_for_customer
from targeting.selectors.offers import offers_for_customer


@dataclass(frozen=True)
class StoreTargeting:
    """Everything that applies to one customer of one app."""

    app: App
    customer: Customer
    acquired: bool  # the customer acquired the app (an app customer)
    segments: list[Segment]  # the app's active segments they are a member of
    known_user_groups: list[KnownUserGroup]  # the partner's, as a member
    flight: Flight | None  # None: the non-flighted package
    visible: bool
    offers: list[dict[str, Any]]  # product.md §6.4's shape


def store_app_get(*, product_id: str) -> App | None:
    """The app with this Store product ID (any case), if any; a string that
    cannot be one (a NUL would be a database error) is not looked up."""
    product_id = product_id.upper()
    if not store_product_id_validator.regex.match(product_id):
        return None
    return App.objects.filter(store_product_id=product_id).first()


def store_customer_get(
    *, email: str | None = None, customer_id: int | None = None
) -> Customer | None:
    """The customer with this e-mail address (any case) or id, if any."""
    if email is not None:
        return Customer.objects.filter(email=email.strip().lower()).first()
    return Customer.objects.filter(pk=customer_id).first()


def store_app_customer_get(
    *, app: App, email: str | None = None, customer_id: int | None = None
) -> AppCustomer | None:
    """The app's customer with this e-mail address or customer id, if any."""
    customers = AppCustomer.objects.filter(app=app).select_related("customer")
    if email is not None:
        return customers.filter(customer__email=email.strip().lower()).first()
    return customers.filter(customer_id=customer_id).first()


def store_customer_targeting(*, app: App, customer: Customer) -> StoreTargeting:
    """Resolve the app's segments, known user groups, flight, visibility and
    offers for ``customer``: six queries, whatever the numbers."""
    segments = Segment.objects.filter(
        Segment.active_q(), app=app, memberships__customer=customer
    ).order_by("name", "pk")
    groups = KnownUserGroup.objects.filter(
        partner_id=app.partner_id, addresses__customer=customer
    ).order_by("name", "pk")
    return StoreTargeting(
        app=app,
        customer=customer,
        acquired=AppCustomer.objects.filter(app=app, customer=customer).exists(),
        segments=list(segments.only("pk", "name")),
        known_user_groups=list(groups.only("pk", "name")),
        flight=flight_for_customer(app=app, customer=customer),
        visible=app_visible_to(app=app, customer=customer),
        offers=offers_for_customer(app=app, customer=customer),
    )

"""What one customer gets of each of their apps, for the support admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from customers.models import App, Customer
from targeting.models import Flight
from targeting.selectors.audience import app_visible_to
from targeting.selectors.flights import flight_for_customer
from targeting.selectors.offers import offers_for_customer


@dataclass(frozen=True)
class CustomerAppTargeting:
    """The flight (None: the non-flighted package), visibility and offers."""

    app: App
    flight: Flight | None
    visible: bool
    offers: list[dict[str, Any]]


def customer_targeting_list(*, customer: Customer) -> list[CustomerAppTargeting]:
    """For each app the customer acquired, by name, what the Store gives them:
    the resolution selectors' answers (a constant number of queries per app).
    """
    apps = App.objects.filter(app_customers__customer=customer).order_by("name")
    return [
        CustomerAppTargeting(
            app=app,
            flight=flight_for_customer(app=app, customer=customer),
            visible=app_visible_to(app=app, customer=customer),
            offers=offers_for_customer(app=app, customer=customer),
        )
        for app in apps
    ]

"""Read use cases about one customer's groups, for support staff."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from customers.models import AppCustomer, Customer
from engagement.models import KnownUserGroupAddress, Segment, SegmentMembership


def customer_find(*, key: str) -> Customer | None:
    """The customer with this id or e-mail address (any case), if any."""
    key = key.strip()
    lookup = Q(pk=int(key)) if key.isdigit() else Q(email=key.lower())
    return Customer.objects.filter(lookup).first()


def customer_segment_list(*, customer: Customer) -> QuerySet[Segment]:
    """Segments of the customer's apps and those holding them, with ``is_member``.

    One query however many segments; a stored membership of an app the
    customer has since left is listed too.
    """
    membership = SegmentMembership.objects.filter(
        segment=OuterRef("pk"), customer=customer
    )
    apps = AppCustomer.objects.filter(customer=customer).values("app_id")
    return (
        Segment.objects.annotate(is_member=Exists(membership))
        .filter(Q(app__in=apps) | Q(is_member=True))
        .select_related("app")
        .order_by("app__name", "name", "pk")
    )


def customer_known_user_group_addresses(
    *, customer: Customer
) -> QuerySet[KnownUserGroupAddress]:
    """Addresses of known user groups linked to the customer or listing their
    e-mail address (listed but not linked: the account is not authenticated
    or the linker has not run yet)."""
    return (
        KnownUserGroupAddress.objects.filter(
            Q(customer=customer) | Q(email=customer.email.lower())
        )
        .select_related("group__partner")
        .order_by("group__partner__name", "group__name")
    )

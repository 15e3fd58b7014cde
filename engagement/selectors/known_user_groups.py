"""Read use cases of known user groups."""

from __future__ import annotations

from django.db.models import QuerySet

from customers.models import Partner
from engagement.models import KnownUserGroup, KnownUserGroupAddress

STATUSES = ("member", "pending")


def known_user_group_list(*, partner: Partner) -> QuerySet[KnownUserGroup]:
    """The partner's known user groups; look groups up through it so others 404."""
    return KnownUserGroup.objects.filter(partner=partner).select_related("partner")


def known_user_group_addresses(
    *, group: KnownUserGroup, status: str = ""
) -> QuerySet[KnownUserGroupAddress]:
    """The group's addresses by e-mail, optionally only members or pending."""
    addresses = group.addresses.order_by("email")
    if status == "member":
        return addresses.filter(customer__isnull=False)
    if status == "pending":
        return addresses.filter(customer__isnull=True)
    return addresses

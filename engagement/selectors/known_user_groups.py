"""Read use cases of known user groups."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from customers.models import Partner
from engagement.addresses import formula_escape
from engagement.models import KnownUserGroup, KnownUserGroupAddress

STATUSES = ("member", "pending")


@dataclass(frozen=True)
class AddressChange:
    """What replacing a group's addresses adds, removes and keeps."""

    added: int
    removed: int
    kept: int
    duplicates: int = 0


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


def known_user_group_diff(
    *, group: KnownUserGroup, addresses: list[str]
) -> AddressChange:
    """Count what replacing the group's addresses with ``addresses`` would do."""
    wanted = set(addresses)
    current = set(group.addresses.values_list("email", flat=True))
    return AddressChange(
        added=len(wanted - current),
        removed=len(current - wanted),
        kept=len(wanted & current),
    )


def known_user_group_export_rows(*, group: KnownUserGroup) -> Iterator[list[str]]:
    """The export CSV rows: a header, then ``email,status`` sorted by e-mail.

    Cells a spreadsheet would run as a formula are prefixed with ``'``; the
    importer strips it again, so an export imports back unchanged.
    """
    yield ["email", "status"]
    rows = group.addresses.order_by("email").values_list("email", "customer_id")
    for email, customer_id in rows.iterator(chunk_size=2_000):
        yield [formula_escape(email), "member" if customer_id else "pending"]

"""Read use cases of known user groups."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from customers.models import Partner
from engagement.addresses import address_normalise, formula_escape
from engagement.models import KnownUserGroup, KnownUserGroupAddress

STATUSES = ("member", "pending")
PREVIEW_SHOWN = 50  # addresses an import preview lists of those added, removed


@dataclass(frozen=True)
class AddressChange:
    """What replacing a group's addresses adds, removes and keeps."""

    added: int
    removed: int
    kept: int
    duplicates: int = 0


@dataclass(frozen=True)
class AddressPreview:
    """What an import would change: the counts, and the first addresses
    (``PREVIEW_SHOWN``, sorted) it would add and remove."""

    change: AddressChange
    added: list[str]
    removed: list[str]

    @property
    def more_added(self) -> int:
        return self.change.added - len(self.added)

    @property
    def more_removed(self) -> int:
        return self.change.removed - len(self.removed)


def known_user_group_list(*, partner: Partner) -> QuerySet[KnownUserGroup]:
    """The partner's known user groups; look groups up through it so others 404."""
    return KnownUserGroup.objects.filter(partner=partner).select_related("partner")


def known_user_group_addresses(
    *, group: KnownUserGroup, status: str = "", query: str = ""
) -> QuerySet[KnownUserGroupAddress]:
    """The group's addresses by e-mail, optionally only members or pending,
    and only those containing ``query`` (in any case: addresses are stored
    lower-case, so the lower-cased query is compared as it is). A queryset:
    a page of it reads one page of rows."""
    addresses = group.addresses.order_by("email").only("group", "email", "customer")
    if status == "member":
        addresses = addresses.filter(customer__isnull=False)
    elif status == "pending":
        addresses = addresses.filter(customer__isnull=True)
    query = address_normalise(query)
    if query:
        addresses = addresses.filter(email__contains=query)
    return addresses


def known_user_group_address_total(*, group: KnownUserGroup, status: str = "") -> int:
    """How many addresses a status tab lists, read from the group's stored
    counts (kept current by the services that change addresses or links):
    the group page never counts its addresses."""
    if status == "member":
        return group.member_count
    if status == "pending":
        return group.address_count - group.member_count
    return group.address_count


def _sets(*, group: KnownUserGroup, addresses: list[str]) -> tuple[set, set]:
    return set(addresses), set(group.addresses.values_list("email", flat=True))


def known_user_group_diff(
    *, group: KnownUserGroup, addresses: list[str]
) -> AddressChange:
    """Count what replacing the group's addresses with ``addresses`` would do."""
    wanted, current = _sets(group=group, addresses=addresses)
    return AddressChange(
        added=len(wanted - current),
        removed=len(current - wanted),
        kept=len(wanted & current),
    )


def known_user_group_import_preview(
    *, group: KnownUserGroup, addresses: list[str]
) -> AddressPreview:
    """What replacing the group's addresses with ``addresses`` would do, with
    the first addresses it would add and remove. Reads; changes nothing."""
    wanted, current = _sets(group=group, addresses=addresses)
    added, removed = wanted - current, current - wanted
    return AddressPreview(
        change=AddressChange(
            added=len(added), removed=len(removed), kept=len(wanted & current)
        ),
        added=sorted(added)[:PREVIEW_SHOWN],
        removed=sorted(removed)[:PREVIEW_SHOWN],
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

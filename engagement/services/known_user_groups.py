"""Write use cases of known user groups: lists of customers' e-mail addresses.

Rules (product.md §4): 1 to ``KNOWN_USER_GROUP_MAX_EMAILS`` addresses,
trimmed, lower-cased and de-duplicated; any invalid address and nothing is
saved; the name never changes; a group is never deleted (a person is erased
instead). An address is a member when it is the e-mail of an authenticated
customer: saving links at once, and a periodic task links customers who
changed later. Every write is a few set-based statements, never one per
address.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.models import Customer, Partner
from customers.names import name_normalise
from engagement.models import (
    GroupKind,
    KnownUserGroup,
    KnownUserGroupAddress,
    KnownUserGroupLinkState,
    PersonErasure,
)
from engagement.services.groups import customer_group_save

logger = logging.getLogger(__name__)

SEPARATORS = re.compile(r"[\s,;]+")
MAX_CSV_BYTES = 1024 * 1024
INVALID_SHOWN = 50
# Spreadsheets run a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Customers per linker batch: one UPDATE each, all in SQL (a first pass over
# 1M changed customers: 20 batches).
LINK_BATCH_SIZE = 50_000
# Customers written this recently wait for the next pass: a transaction that
# stamped them may not have committed yet.
LINK_LAG = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class ParsedAddresses:
    """Addresses read from a box or a file, before the rules are applied."""

    addresses: list[str]  # normalised, unique, in first-seen order
    duplicates: int = 0
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (position, raw)


def _normalise(raw: str) -> str:
    return raw.strip().lower()


def _collect(items: Iterable[tuple[int, str]]) -> ParsedAddresses:
    seen: dict[str, None] = {}
    duplicates = 0
    invalid = []
    for position, raw in items:
        address = _normalise(raw)
        try:
            validate_email(address)
        except ValidationError:
            invalid.append((position, raw.strip()))
            continue
        if address in seen:
            duplicates += 1
        else:
            seen[address] = None
    return ParsedAddresses(list(seen), duplicates, invalid)


def addresses_parse(text: str) -> ParsedAddresses:
    """Split a box of addresses on spaces, commas, semicolons and line breaks."""
    tokens = [token for token in SEPARATORS.split(text or "") if token]
    return _collect(enumerate(tokens, start=1))


def addresses_check(parsed: ParsedAddresses, *, position_label: str = "") -> list[str]:
    """Return the normalised addresses, or raise ``ValidationError`` listing
    every problem: invalid addresses (the first 50, then a count), none at
    all, or more than the limit."""
    if parsed.invalid:
        label = position_label or _("address")
        lines = [
            _("%(label)s %(position)s: “%(value)s” is not a valid e-mail address")
            % {"label": label, "position": position, "value": value[:100]}
            for position, value in parsed.invalid[:INVALID_SHOWN]
        ]
        rest = len(parsed.invalid) - INVALID_SHOWN
        if rest > 0:
            lines.append(
                ngettext(
                    "…and %(count)d more invalid address.",
                    "…and %(count)d more invalid addresses.",
                    rest,
                )
                % {"count": rest}
            )
        raise ValidationError(
            [ValidationError(line, code="invalid_address") for line in lines]
        )
    limit = settings.KNOWN_USER_GROUP_MAX_EMAILS
    if not parsed.addresses:
        raise ValidationError(
            _("Enter at least one e-mail address."), code="no_addresses"
        )
    if len(parsed.addresses) > limit:
        raise ValidationError(
            _(
                "A known user group holds at most %(limit)s addresses; "
                "this list has %(count)s."
            )
            % {"limit": f"{limit:,}", "count": f"{len(parsed.addresses):,}"},
            code="too_many",
        )
    return parsed.addresses


def addresses_from_csv(data: bytes) -> ParsedAddresses:
    """Read the addresses of a CSV file (the bytes of an upload).

    UTF-8 with or without BOM, comma or semicolon separated, header optional
    (a column named ``email`` in any case, else the first column), blank
    lines skipped. A cell an export escaped against formulas (``'=…``) reads
    back as written. Positions are file rows. Raise ``ValidationError`` for
    a file that is too big, not text, or not CSV.
    """
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError(
            _("The file is %(size)s; a .csv file may be at most 1 MB.")
            % {"size": f"{len(data) / 1024 / 1024:.1f} MB"},
            code="too_big",
        )
    if not data.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    if b"\x00" in data:
        raise ValidationError(
            _("This is not a text .csv file (it holds binary data)."), code="not_text"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            _("This file is not UTF-8 text. Save it as “CSV UTF-8” and try again."),
            code="not_utf8",
        ) from None
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = (
        ";" if _outside_quotes(first, ";") > _outside_quotes(first, ",") else ","
    )
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise ValidationError(
            _("This file is not valid CSV: %(error)s") % {"error": exc}, code="not_csv"
        ) from None
    column = 0
    cells: list[tuple[int, str]] = []
    header_seen = False
    for number, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue
        if not header_seen:
            header_seen = True
            names = [cell.strip().lower() for cell in row]
            if "email" in names:
                column = names.index("email")
                continue
        value = row[column] if column < len(row) else ""
        value = _unescape(value.strip())
        if value:
            cells.append((number, value))
    return _collect(cells)


def _outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def _escape(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def _unescape(cell: str) -> str:
    if cell.startswith("'") and cell[1:].startswith(FORMULA_PREFIXES):
        return cell[1:]
    return cell


@dataclass(frozen=True)
class Change:
    """What replacing a group's addresses adds, removes and keeps."""

    added: int
    removed: int
    kept: int
    duplicates: int = 0


def known_user_group_diff(*, group: KnownUserGroup, addresses: list[str]) -> Change:
    """Count what replacing the group's addresses with ``addresses`` would do."""
    wanted = set(addresses)
    current = set(group.addresses.values_list("email", flat=True))
    return Change(
        added=len(wanted - current),
        removed=len(current - wanted),
        kept=len(wanted & current),
    )


@transaction.atomic
def known_user_group_create(
    *,
    partner: Partner,
    name: str,
    addresses: list[str],
    user: AbstractBaseUser | None,
) -> KnownUserGroup:
    """Create a group with its addresses, linked at once.

    Raises ``ValidationError`` for a blank or taken name or a list that breaks
    the rules; nothing is saved then.
    """
    addresses = addresses_check(_collect(enumerate(addresses, start=1)))
    group = KnownUserGroup(
        kind=GroupKind.KNOWN_USER_GROUP,
        partner=partner,
        name=name,
        created_by=user,
        updated_by=user,
    )
    customer_group_save(group)
    _addresses_add(group=group, emails=addresses)
    _recount(group_ids=[group.pk])
    group.refresh_from_db()
    logger.info(
        "known_user_group_created group=%s partner=%s addresses=%s",
        group.pk,
        partner.pk,
        group.address_count,
    )
    return group


@transaction.atomic
def known_user_group_update(
    *,
    group: KnownUserGroup,
    addresses: list[str],
    user: AbstractBaseUser | None,
    name: str | None = None,
) -> Change:
    """Replace the group's addresses with ``addresses``; the name stays.

    Passing a different ``name`` raises ``ValidationError`` (code
    ``name_immutable``): a known user group keeps its name for good.
    """
    if name is not None and name_normalise(name) != group.name:
        raise ValidationError(
            {
                "name": ValidationError(
                    _("The name of a known user group cannot be changed."),
                    code="name_immutable",
                )
            }
        )
    addresses = addresses_check(_collect(enumerate(addresses, start=1)))
    # Lock the group: two saves of one group apply one after the other.
    KnownUserGroup.objects.select_for_update().filter(pk=group.pk).first()
    wanted = set(addresses)
    current = set(group.addresses.values_list("email", flat=True))
    removed = current - wanted
    added = [email for email in addresses if email not in current]
    if removed:
        group.addresses.filter(email__in=removed).delete()
    _addresses_add(group=group, emails=added)
    group.updated_by = user
    group.save(update_fields=["updated_by", "updated_at"])
    _recount(group_ids=[group.pk])
    group.refresh_from_db()
    logger.info(
        "known_user_group_updated group=%s added=%s removed=%s",
        group.pk,
        len(added),
        len(removed),
    )
    return Change(added=len(added), removed=len(removed), kept=len(wanted & current))


def _addresses_add(*, group: KnownUserGroup, emails: list[str]) -> None:
    """Insert addresses already linked to their authenticated customers.

    Kept addresses stay as the linker keeps them. On PostgreSQL one
    INSERT … SELECT from the array of addresses joins the customers (10,000
    addresses: ~0.15 s, where building 10,000 model instances for
    bulk_create cost ~0.9 s of Python); elsewhere one lookup and bulk
    inserts.
    """
    if not emails:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {KnownUserGroupAddress._meta.db_table}"
                " (group_id, email, customer_id)"
                " SELECT %s, listed.email, customer.id"
                " FROM unnest(%s::varchar[]) AS listed(email)"
                f" LEFT JOIN {Customer._meta.db_table} customer"
                " ON customer.email = listed.email AND customer.authenticated",
                [group.pk, emails],
            )
        return
    size = connection.ops.bulk_batch_size(["email"], emails) or len(emails)
    linked: dict[str, int] = {}
    for start in range(0, len(emails), size):
        linked.update(
            Customer.objects.filter(
                email__in=emails[start : start + size], authenticated=True
            ).values_list("email", "pk")
        )
    KnownUserGroupAddress.objects.bulk_create(
        [
            KnownUserGroupAddress(
                group=group, email=email, customer_id=linked.get(email)
            )
            for email in emails
        ],
        batch_size=2_000,
    )


def _relink(addresses: QuerySet[KnownUserGroupAddress]) -> set[int]:
    """Link these addresses to their authenticated customer (or none) in one
    UPDATE, recount their groups, and return the group ids."""
    group_ids = set(addresses.values_list("group_id", flat=True).distinct())
    if group_ids:
        linked = Subquery(
            Customer.objects.filter(email=OuterRef("email"), authenticated=True).values(
                "pk"
            )[:1]
        )
        addresses.update(customer=linked)
        _recount(group_ids=group_ids)
    return group_ids


def known_user_groups_relink(*, partner: Partner) -> None:
    """Re-link every address of the partner's groups and recount them (after
    customers were replaced in bulk, as ``seed_demo`` does)."""
    _relink(KnownUserGroupAddress.objects.filter(group__partner=partner))


def known_user_groups_link_customers_written_since(*, since: dt.datetime) -> int:
    """Re-link the addresses of customers written since ``since`` (an import
    that just committed): members at once, not at the next linker pass.
    Return the number of groups touched."""
    changed = Customer.objects.filter(updated_at__gte=since).values("email")
    return len(_relink(KnownUserGroupAddress.objects.filter(email__in=changed)))


def _recount(*, group_ids: Iterable[int]) -> None:
    """Store the listed and member counts of these groups (one UPDATE)."""

    def counted(**filters) -> Subquery:
        return Subquery(
            KnownUserGroupAddress.objects.filter(group_id=OuterRef("pk"), **filters)
            .order_by()
            .values("group_id")
            .annotate(n=Count("pk"))
            .values("n")
        )

    KnownUserGroup.objects.filter(pk__in=list(group_ids)).update(
        address_count=Coalesce(counted(), 0),
        member_count=Coalesce(counted(customer__isnull=False), 0),
    )


def _link_horizon(*, now: dt.datetime) -> dt.datetime:
    """The newest ``updated_at`` a linker pass may take: ``LINK_LAG`` before
    now, and on PostgreSQL before the start of the oldest transaction still
    open that has written anything.

    Such a transaction may have stamped customers that become visible only
    when it commits: an import runs in one transaction, for minutes when it
    is large. Moving the watermark past them would skip them for good.
    """
    horizon = now - LINK_LAG
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT min(xact_start) FROM pg_stat_activity"
                " WHERE datname = current_database() AND backend_xid IS NOT NULL"
                " AND pid <> pg_backend_pid()"
            )
            (oldest,) = cursor.fetchone()
        if oldest is not None:
            horizon = min(horizon, oldest - LINK_LAG)
    return horizon


def known_user_groups_link_changed(
    *, batch_size: int = LINK_BATCH_SIZE, now: dt.datetime | None = None
) -> int:
    """Link addresses to customers changed since the last pass; return how many
    customers were looked at.

    Customers are taken in (updated_at, id) order, ``batch_size`` at a time:
    one UPDATE per batch re-links the addresses with those e-mails
    (authenticated customers linked, others unlinked), all in SQL; the touched
    groups are recounted and the watermark moves on. Customers written in the
    last ``LINK_LAG``, or since the oldest write transaction still open began
    (``_link_horizon``), are left for the next pass, so a transaction that
    stamped them and has not committed yet is not skipped. The first pass
    starts from the oldest group's last save: every save links its group.
    """
    now = now or timezone.now()
    horizon = _link_horizon(now=now)
    seen = 0
    while True:
        with transaction.atomic():
            state, _created = (
                KnownUserGroupLinkState.objects.select_for_update().get_or_create(
                    key="customers"
                )
            )
            if state.updated_at is None:
                oldest = KnownUserGroup.objects.order_by("updated_at").first()
                state.updated_at = (oldest.updated_at if oldest else now) - LINK_LAG
            pending = Customer.objects.filter(
                Q(updated_at__gt=state.updated_at)
                | Q(updated_at=state.updated_at, pk__gt=state.customer_id),
                updated_at__lt=horizon,
            ).order_by("updated_at", "pk")
            last = pending.values_list("updated_at", "pk")[batch_size - 1 : batch_size]
            boundary = (
                last[0] if last else pending.values_list("updated_at", "pk").last()
            )
            if boundary is None:
                state.save()
                return seen
            batch = pending.filter(
                Q(updated_at__lt=boundary[0])
                | Q(updated_at=boundary[0], pk__lte=boundary[1])
            )
            count = batch.count()
            groups = _relink(
                KnownUserGroupAddress.objects.filter(email__in=batch.values("email"))
            )
            state.updated_at, state.customer_id = boundary
            state.save()
        seen += count
        logger.info(
            "known_user_groups_linked customers=%s groups=%s", count, len(groups)
        )
        if count < batch_size:
            return seen


def known_user_group_export_rows(*, group: KnownUserGroup) -> Iterator[list[str]]:
    """The export CSV rows: a header, then ``email,status`` sorted by e-mail.

    Cells a spreadsheet would run as a formula are prefixed with ``'``; the
    importer strips it again, so an export imports back unchanged.
    """
    yield ["email", "status"]
    rows = group.addresses.order_by("email").values_list("email", "customer_id")
    for email, customer_id in rows.iterator(chunk_size=2_000):
        yield [_escape(email), "member" if customer_id else "pending"]


@transaction.atomic
def person_erase(*, email: str, requested_by: str) -> PersonErasure:
    """Erase a person: their customer account(s) and every listed address.

    Records the erasure with the SHA-256 of the address, who asked and when.
    Raises ``ValidationError`` for an invalid address or a missing requester.
    """
    address = _normalise(email or "")
    validate_email(address)
    requested_by = (requested_by or "").strip()
    if not requested_by:
        raise ValidationError(_("Say who asked for the erasure."), code="no_requester")
    listed = KnownUserGroupAddress.objects.filter(email=address)
    group_ids = set(listed.values_list("group_id", flat=True))
    addresses_deleted, _detail = listed.delete()
    customers_deleted = 0
    for customer in Customer.objects.filter(email=address):
        customer.delete()  # cascades app facts and segment memberships
        customers_deleted += 1
    if group_ids:
        _recount(group_ids=group_ids)
    erasure = PersonErasure.objects.create(
        email_sha256=hashlib.sha256(address.encode()).hexdigest(),
        requested_by=requested_by,
        customers_deleted=customers_deleted,
        addresses_deleted=addresses_deleted,
    )
    logger.info(
        "person_erased erasure=%s customers=%s addresses=%s",
        erasure.pk,
        customers_deleted,
        addresses_deleted,
    )
    return erasure

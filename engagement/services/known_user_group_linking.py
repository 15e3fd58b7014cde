"""Link known user group addresses to customers, and recount the groups.

An address is a member when it is the e-mail of an authenticated customer
(product.md §4). Saving a group links its new addresses at once
(``services.known_user_groups``); this module re-links addresses when
customers change: after an import
(``known_user_groups_link_customers_written_since``), after demo data
replaced customers (``known_user_groups_relink``), and every minute for
whoever changed since the last pass (``known_user_groups_link_changed``, from
a watermark). Every pass is a few set-based statements, never one per
address.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer, Partner
from engagement.models import (
    KnownUserGroup,
    KnownUserGroupAddress,
    KnownUserGroupLinkState,
)

logger = logging.getLogger(__name__)

# Customers per linker batch: one UPDATE each, all in SQL (a first pass over
# 1M changed customers: 20 batches).
LINK_BATCH_SIZE = 50_000
# Customers written this recently wait for the next pass: a transaction that
# stamped them may not have committed yet.
LINK_LAG = dt.timedelta(seconds=30)


def known_user_groups_recount(*, group_ids: Iterable[int]) -> None:
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
        known_user_groups_recount(group_ids=group_ids)
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

"""A partner's groups as the API shows them: sizes with the Small rule, never
who is in a segment (product.md §6.6)."""

from __future__ import annotations

from django.db.models import QuerySet

from customers.models import Partner
from engagement.models import CustomerGroup, KnownUserGroup
from engagement.selectors.known_user_groups import known_user_group_list


def partner_group_list(*, partner: Partner) -> QuerySet[CustomerGroup]:
    """The partner's groups of every kind, oldest first, each with its segment
    (and app) or known user group: one query a page."""
    return (
        CustomerGroup.objects.filter(partner=partner)
        .select_related("segment__app", "knownusergroup")
        .order_by("pk")
    )


def partner_group_get(*, partner: Partner, pk: int) -> CustomerGroup | None:
    """One of the partner's groups; another partner's is None, as a missing one."""
    return partner_group_list(partner=partner).filter(pk=pk).first()


def partner_known_user_group_get(*, partner: Partner, pk: int) -> KnownUserGroup | None:
    """One of the partner's known user groups, if any."""
    return known_user_group_list(partner=partner).filter(pk=pk).first()

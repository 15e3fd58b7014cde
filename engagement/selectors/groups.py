"""The customer groups page: every group of a partner, all kinds together."""

from __future__ import annotations

from django.db.models import QuerySet

from customers.models import Partner
from engagement.filters import CustomerGroupFilter
from engagement.models import CustomerGroup, Segment


def group_list(*, partner: Partner, filters: dict | None = None) -> CustomerGroupFilter:
    """Return the FilterSet of the partner's groups (``.qs`` holds the rows).

    Each row carries its segment or known user group (one join each), so the
    table renders without a query per row.
    """
    queryset: QuerySet[CustomerGroup] = (
        CustomerGroup.objects.filter(partner=partner)
        .select_related("segment__app", "knownusergroup")
        .order_by("name")
    )
    return CustomerGroupFilter(filters or None, queryset=queryset, partner=partner)


def inactive_segment_list(*, partner: Partner) -> QuerySet[Segment]:
    """The partner's inactive (Small) segments, for the Refresh section."""
    return (
        Segment.objects.filter(partner=partner, status=Segment.Status.INACTIVE)
        .select_related("app")
        .order_by("name")
    )

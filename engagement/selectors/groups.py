"""The customer groups page: every group of a partner, all kinds together."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Lower

from customers.models import Partner
from engagement.filters import CustomerGroupFilter
from engagement.models import CustomerGroup, GroupKind, Segment
from engagement.selectors.segments import segment_awaited_expression


def group_list(*, partner: Partner, filters: dict | None = None) -> CustomerGroupFilter:
    """Return the FilterSet of the partner's groups (``.qs`` holds the rows).

    Each row carries its segment or known user group (one join each), so the
    table renders without a query per row, and what the sorts use: ``size``
    (a Small segment sorts as 0, never by its hidden count; a segment not
    computed yet has none), ``computed`` (a segment's last computation) and
    ``awaited`` (a computation is queued or running: the row polls).
    """
    queryset: QuerySet[CustomerGroup] = (
        CustomerGroup.objects.filter(partner=partner)
        .select_related("segment__app", "knownusergroup")
        .annotate(
            size=Case(
                When(
                    kind=GroupKind.SEGMENT,
                    segment__member_count__lt=settings.SEGMENT_MIN_SIZE,
                    then=Value(0),
                ),
                When(kind=GroupKind.SEGMENT, then=F("segment__member_count")),
                default=F("knownusergroup__member_count"),
                output_field=IntegerField(),
            ),
            computed=F("segment__computed_at"),
            awaited=segment_awaited_expression(through="segment__"),
        )
        .order_by(Lower("name"), "pk")  # as GroupOrdering: pages never shuffle
    )
    return CustomerGroupFilter(filters or None, queryset=queryset, partner=partner)


def inactive_segment_list(*, partner: Partner) -> QuerySet[Segment]:
    """The partner's inactive (Small) segments, for the Refresh section."""
    return (
        Segment.objects.filter(partner=partner, status=Segment.Status.INACTIVE)
        .select_related("app")
        .order_by("name")
    )

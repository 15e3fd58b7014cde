"""Read use cases of segments."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet

from customers.models import App, Customer, Partner
from engagement import rules
from engagement.models import Segment, SegmentRun, SegmentTemplate


def segment_list(*, partner: Partner) -> QuerySet[Segment]:
    """The partner's segments; look objects up through it so others 404."""
    return Segment.objects.filter(partner=partner).select_related("app", "partner")


@dataclass(frozen=True)
class StoredDefinition:
    """A stored definition as pages show it, whether or not it still validates.

    ``definition`` is the canonical form, or None when the stored one no
    longer validates (a rule tightened after it was saved, a row edited by
    support); ``problems`` are then the validator's messages.
    """

    stored: Any
    definition: dict[str, Any] | None
    problems: tuple[str, ...] = ()

    @cached_property
    def text(self) -> str:
        """The segment definition text; empty when the definition fails."""
        return "" if self.definition is None else rules.definition_text(self.definition)

    @cached_property
    def json(self) -> str:
        """The stored definition as indented JSON, as the export writes it."""
        return json.dumps(self.stored, indent=2, ensure_ascii=False)


def stored_definition_read(*, definition: Any) -> StoredDefinition:
    """Read a definition from the database without failing on a bad one.

    Every page that shows a stored definition (a segment's or a template's)
    reads it here, so a definition that no longer validates is shown with
    its problems instead of failing the page.
    """
    try:
        valid = rules.definition_validate(definition)
    except ValidationError as exc:
        return StoredDefinition(
            stored=definition, definition=None, problems=tuple(exc.messages)
        )
    return StoredDefinition(stored=definition, definition=valid)


def segment_template_list() -> list[tuple[SegmentTemplate, StoredDefinition]]:
    """Every segment template with its definition as read."""
    return [
        (template, stored_definition_read(definition=template.definition))
        for template in SegmentTemplate.objects.all()
    ]


def segment_run_list(*, segment: Segment, limit: int = 20) -> QuerySet[SegmentRun]:
    """The segment's latest computations, newest first."""
    return SegmentRun.objects.filter(segment=segment).order_by("-started_at")[:limit]


def segment_member_emails(*, segment: Segment) -> QuerySet:
    """E-mail addresses of the segment's materialised members, sorted."""
    return (
        Customer.objects.filter(segment_memberships__segment=segment)
        .order_by("email")
        .values_list("email", flat=True)
    )


# "Available app customers" is a statistic of the app, not of a segment: the
# segments of an app recomputed together (the daily run, an import) share one
# count instead of scanning the app once each. Imports forget it.
ELIGIBLE_COUNT_TTL = 10 * 60  # seconds


def _eligible_key(app_id: int, today: dt.date) -> str:
    return f"engagement:eligible:{app_id}:{today.isoformat()}"


def app_eligible_count(*, app_id: int, today: dt.date) -> int:
    """The available app customers of an app on ``today``, cached briefly."""
    key = _eligible_key(app_id, today)
    count = cache.get(key)
    if count is None:
        count = rules.eligible_queryset(app=app_id, today=today).count()
        cache.set(key, count, ELIGIBLE_COUNT_TTL)
    return count


def app_eligible_count_forget(*, app_ids: Iterable[int]) -> None:
    """Drop cached counts of these apps (their customer data changed)."""
    today = rules.evaluation_date()
    cache.delete_many([_eligible_key(app_id, today) for app_id in app_ids])


@dataclass(frozen=True)
class Estimate:
    """A live size estimate, respecting the privacy floor."""

    eligible: int
    members: int

    @property
    def is_small(self) -> bool:
        return self.members < settings.SEGMENT_MIN_SIZE


def segment_estimate(
    *, app: App, definition: dict[str, Any], today: dt.date | None = None
) -> Estimate:
    """Count the customers a validated definition selects today, and the eligible.

    The same compiler as the recompute, evaluated live: what the partner sees
    while editing is what the first computation will find. One statement over
    the app's customers (both counts in one pass unless the available count
    is cached), so under the web statement timeout an estimate answers or
    gives up within that timeout, not twice it.
    """
    today = today or rules.evaluation_date()
    key = _eligible_key(app.pk, today)
    eligible = cache.get(key)
    customers = rules.eligible_queryset(app=app, today=today)
    matching = rules.definition_q(definition, today=today)
    if eligible is not None:
        return Estimate(eligible=eligible, members=customers.filter(matching).count())
    counts = customers.aggregate(
        eligible=Count("pk"), members=Count("pk", filter=matching)
    )
    cache.set(key, counts["eligible"], ELIGIBLE_COUNT_TTL)
    return Estimate(eligible=counts["eligible"], members=counts["members"])


def segment_history_runs(*, segment: Segment, limit: int = 90) -> list[SegmentRun]:
    """The last successful computations, oldest first (the history chart's data)."""
    return list(
        SegmentRun.objects.filter(
            segment=segment, error="", member_count__isnull=False
        ).order_by("-started_at")[:limit]
    )[::-1]

"""Read use cases of segments."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import KW_ONLY, dataclass
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from customers.models import App, Customer, Partner
from engagement import rules
from engagement.models import Segment, SegmentRun, SegmentTemplate
from engagement.selectors.estimates import Shown, shown_size


def segment_list(*, partner: Partner) -> QuerySet[Segment]:
    """The partner's segments; look objects up through it so others 404."""
    return Segment.objects.filter(partner=partner).select_related("app", "partner")


def segment_awaited_expression(*, through: str = "") -> Case:
    """Whether a requested computation has not run yet (queued or running):
    pages poll while it has not. A version whose computation ran and failed
    is not awaited (the sweeper leaves it alone too): a failed segment's page
    stops polling until Refresh, a save or the daily run asks again.

    An expression: the rows of a page are annotated with it in the query
    that reads them, never a query each. ``through`` is the path from the
    annotated model to the segment's fields (``"segment__"`` from a
    ``CustomerGroup``, which shares its primary key with its segment). The
    finished run is looked up in ``segmentrun_finished_idx``."""
    finished_attempt = SegmentRun.objects.filter(
        segment=OuterRef("pk"),
        version__gte=OuterRef(f"{through}pending_version"),
        finished_at__isnull=False,
    )
    pending = Q(**{f"{through}pending_version__gt": F(f"{through}version")})
    return Case(
        When(pending & ~Exists(finished_attempt), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def segment_page_list(*, partner: Partner) -> QuerySet[Segment]:
    """``segment_list`` with ``awaited`` (``segment_awaited_expression``) on
    each row: the segment page and its row in the groups table read it with
    the segment, in one query."""
    return segment_list(partner=partner).annotate(awaited=segment_awaited_expression())


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


@dataclass(frozen=True)
class Estimate:
    """A live size estimate, respecting the privacy floor.

    Exact when ``sample`` is None; otherwise ``members`` is scaled up from
    ``sample`` sampled available customers, with a 95% ``margin``
    (``engagement.selectors.estimates``).
    """

    eligible: int
    members: int
    _: KW_ONLY
    margin: int | None = None
    sample: int | None = None

    @property
    def members_shown(self) -> Shown:
        return shown_size(value=self.members, margin=self.margin, zero_is_small=True)

    @property
    def is_small(self) -> bool:
        return self.members_shown.kind == "small"


def segment_count(
    *,
    app: App,
    definition: dict[str, Any],
    today: dt.date,
    eligible: int | None = None,
) -> Estimate:
    """Count the customers a validated definition selects on ``today``, and the
    available app customers unless ``eligible`` already gives them.

    The same compiler as the recompute, evaluated live: what the partner sees
    while editing is what the first computation will find. One statement over
    the app's customers: both counts in one pass when ``eligible`` is None.
    """
    customers = rules.eligible_queryset(app=app, today=today)
    matching = rules.definition_q(definition, today=today)
    if eligible is not None:
        return Estimate(eligible=eligible, members=customers.filter(matching).count())
    counts = customers.aggregate(
        eligible=Count("pk"), members=Count("pk", filter=matching)
    )
    return Estimate(eligible=counts["eligible"], members=counts["members"])


def segment_history_runs(*, segment: Segment, limit: int = 90) -> list[SegmentRun]:
    """The last successful computations, oldest first (the history chart's data)."""
    return list(
        SegmentRun.objects.filter(
            segment=segment, error="", member_count__isnull=False
        ).order_by("-started_at")[:limit]
    )[::-1]


def segment_refresh_available_at(
    *, segment: Segment, now: dt.datetime | None = None
) -> dt.datetime | None:
    """When Refresh may be pressed again, or None when it may be now."""
    # Imported here: the services import this module's Estimate.
    from engagement.services.membership.requests import REFRESH_INTERVAL

    if segment.refresh_requested_at is None:
        return None
    available_at = segment.refresh_requested_at + REFRESH_INTERVAL
    return available_at if available_at > (now or timezone.now()) else None


def segment_page_state(*, segment: Segment, runs: list[SegmentRun]) -> str:
    """What the live part of the segment page shows, as a short key: a poll
    that would show the same gets no content (204), so nothing is swapped."""
    latest = runs[0] if runs else None
    return ".".join(
        str(part)
        for part in (
            segment.version,
            segment.pending_version,
            segment.status,
            latest.pk if latest else 0,
            int(bool(latest and latest.finished_at)),
        )
    )

"""The available app customers of each app, counted once and shared.

"Available app customers" is a statistic of the app, not of a segment: the
segments of an app recomputed together (the daily run, an import) and the
live estimates of its editors share one count, stored on the app's
``AppStatistics`` row so that every process (web, workers, commands) reads
the same one.

A count is current on the evaluation date it was counted for, until the
app's customer data changes. Announced changes (``customer_data_changed``,
the demo seed) clear it at once. Writes that announce nothing (a support
edit in the admin, an erasure) are counted after ``ELIGIBLE_COUNT_MAX_AGE``.

A count taken while customer data changes must not outlive the change: each
count is stored under the ``customers_version`` read before counting, and
every announced change raises that version, so a count read before the
change no longer matches the row and is dropped. It is stored once the
caller's transaction commits, in a statement of its own: a recompute holds
its transaction for seconds, and must not hold the row's lock so long.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Count, F, FilteredRelation, Q
from django.utils import timezone

from customers.models import App
from engagement import rules
from engagement.models import AppStatistics, Segment, SegmentMembership
from engagement.selectors.estimates import Shown, sample_cutoff, scaled, shown_size
from engagement.selectors.segments import Estimate, segment_count

# How long a count stays current when nothing announced a change: the
# longest a write that announces nothing leaves it stale.
ELIGIBLE_COUNT_MAX_AGE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class _Stored:
    """The app's stored count if current, and the version to store one under."""

    eligible_count: int | None
    customers_version: int | None  # None: the app has no row yet


def _stored(*, app_id: int, today: dt.date) -> _Stored:
    row = (
        AppStatistics.objects.filter(app_id=app_id)
        .values("eligible_count", "computed_on", "computed_at", "customers_version")
        .first()
    )
    if row is None:
        return _Stored(eligible_count=None, customers_version=None)
    current = (
        row["eligible_count"] is not None
        and row["computed_on"] == today
        and row["computed_at"] > timezone.now() - ELIGIBLE_COUNT_MAX_AGE
    )
    return _Stored(
        eligible_count=row["eligible_count"] if current else None,
        customers_version=row["customers_version"],
    )


def _store_on_commit(
    *, app_id: int, stored: _Stored, today: dt.date, eligible_count: int
) -> None:
    """Store a count once the transaction commits, if no change came since."""
    transaction.on_commit(
        partial(
            _store,
            app_id=app_id,
            customers_version=stored.customers_version,
            today=today,
            eligible_count=eligible_count,
        ),
        robust=True,  # a count not stored is counted again, never an error
    )


def _store(
    *, app_id: int, customers_version: int | None, today: dt.date, eligible_count: int
) -> None:
    if customers_version is None:
        # A change announced meanwhile created the row with a higher version.
        AppStatistics.objects.bulk_create(
            [AppStatistics(app_id=app_id)], ignore_conflicts=True
        )
        customers_version = 0
    AppStatistics.objects.filter(
        app_id=app_id, customers_version=customers_version
    ).update(
        eligible_count=eligible_count, computed_on=today, computed_at=timezone.now()
    )


def app_statistics_eligible_count(*, app_id: int, today: dt.date) -> int:
    """Return the app's available customers on ``today``: the stored count if
    current, else count them and store the count when the transaction commits.
    """
    stored = _stored(app_id=app_id, today=today)
    if stored.eligible_count is not None:
        return stored.eligible_count
    count = rules.eligible_queryset(app=app_id, today=today).count()
    _store_on_commit(app_id=app_id, stored=stored, today=today, eligible_count=count)
    return count


def segment_estimate(
    *,
    app: App,
    definition: dict[str, Any],
    today: dt.date | None = None,
    segment: Segment | None = None,
) -> Estimate:
    """Estimate a validated definition's size live, with the app's shared count.

    With a computed ``segment``, also how its members would change
    (``segment_estimate_change``).

    With the app's available-customer count current, only the members are
    counted; otherwise both are counted in one pass over the app's customers
    (so under the web statement timeout an estimate answers or gives up within
    that timeout, not twice it), and the available count is stored. With the
    count current and above ``ESTIMATE_EXACT_MAX_ROWS``, the members are
    counted in the app's uniform sample and scaled up, with a margin
    (``engagement.selectors.estimates``).
    """
    if segment is not None:
        return segment_estimate_change(
            app=app, definition=definition, segment=segment, today=today
        )
    today = today or rules.evaluation_date()
    stored = _stored(app_id=app.pk, today=today)
    cutoff = sample_cutoff(eligible=stored.eligible_count)
    if cutoff is not None:
        return _sampled_estimate(
            app=app,
            definition=definition,
            today=today,
            eligible=stored.eligible_count,
            cutoff=cutoff,
        )
    estimate = segment_count(
        app=app, definition=definition, today=today, eligible=stored.eligible_count
    )
    if stored.eligible_count is None:
        _store_on_commit(
            app_id=app.pk, stored=stored, today=today, eligible_count=estimate.eligible
        )
    return estimate


def _sampled_estimate(
    *, app: App, definition: dict[str, Any], today: dt.date, eligible: int, cutoff: int
) -> Estimate:
    """Scale the definition's matches in the app's sample (keys below
    ``cutoff``) to its ``eligible`` available customers: one statement counts
    the sampled available customers and those the definition selects."""
    counts = (
        rules.eligible_queryset(app=app, today=today)
        .filter(sample_key__lt=cutoff)
        .aggregate(
            sample=Count("pk"),
            members=Count("pk", filter=rules.definition_q(definition, today=today)),
        )
    )
    members = scaled(
        matches=counts["members"], sample=counts["sample"], population=eligible
    )
    return Estimate(
        eligible=eligible,
        members=members.value,
        margin=members.margin,
        sample=counts["sample"],
    )


def app_statistics_forget(*, app_ids: Iterable[int]) -> None:
    """Clear the counts of these apps, whose customer data changed.

    Raise their ``customers_version`` too (creating missing rows), so that a
    count taken before the change and stored after it is dropped.
    """
    app_ids = sorted(set(app_ids))
    if not app_ids:
        return
    with transaction.atomic():
        AppStatistics.objects.bulk_create(
            [AppStatistics(app_id=app_id) for app_id in app_ids],
            ignore_conflicts=True,
        )
        AppStatistics.objects.filter(app_id__in=app_ids).update(
            eligible_count=None,
            computed_on=None,
            computed_at=None,
            customers_version=F("customers_version") + 1,
        )


@dataclass(frozen=True)
class EstimateChange(Estimate):
    """An estimate, and how a segment's stored membership would change.

    ``joining``: customers the definition selects who are not members;
    ``leaving``: members it no longer selects (no longer available ones too),
    as the next recompute would apply them. Sampled (``sample`` set), both
    are scaled up with their own 95% margins.
    """

    joining: int
    leaving: int
    joining_margin: int | None = None
    leaving_margin: int | None = None

    @property
    def joining_shown(self) -> Shown:
        """As partners may see it: a count between 0 and the minimum size is
        never shown (the Small rule), nor a sampled one that might be."""
        return shown_size(
            value=self.joining, margin=self.joining_margin, zero_is_small=False
        )

    @property
    def leaving_shown(self) -> Shown:
        return shown_size(
            value=self.leaving, margin=self.leaving_margin, zero_is_small=False
        )


def segment_estimate_change(
    *,
    app: App,
    definition: dict[str, Any],
    segment: Segment,
    today: dt.date | None = None,
) -> EstimateChange:
    """Estimate a definition live and how ``segment``'s members would change.

    One statement over the app's customers, as ``segment_estimate``: the
    stored membership is joined on the customer (a left join on its primary
    key), and filtered aggregates count the available customers, those the
    definition selects, those of them not yet members (joining) and those
    already members (staying). The members who would leave are the stored
    members less those staying, counted on the membership's primary key.
    """
    today = today or rules.evaluation_date()
    matching = rules.definition_q(definition, today=today)
    stored = _stored(app_id=app.pk, today=today)
    cutoff = sample_cutoff(eligible=stored.eligible_count)
    customers = rules.eligible_queryset(app=app, today=today)
    if cutoff is not None:
        customers = customers.filter(sample_key__lt=cutoff)
    customers = customers.annotate(
        current=FilteredRelation(
            "customer__segment_memberships",
            condition=Q(customer__segment_memberships__segment_id=segment.pk),
        )
    )
    counts = customers.aggregate(
        eligible=Count("pk"),
        members=Count("pk", filter=matching),
        joining=Count("pk", filter=matching & Q(current__segment_id__isnull=True)),
        staying=Count("pk", filter=matching & Q(current__segment_id__isnull=False)),
    )
    current = SegmentMembership.objects.filter(segment_id=segment.pk).count()
    if cutoff is not None:
        return _sampled_change(
            counts=counts, eligible=stored.eligible_count, current=current
        )
    if stored.eligible_count is None:
        _store_on_commit(
            app_id=app.pk,
            stored=stored,
            today=today,
            eligible_count=counts["eligible"],
        )
    return EstimateChange(
        eligible=counts["eligible"],
        members=counts["members"],
        joining=counts["joining"],
        leaving=current - counts["staying"],
    )


def _sampled_change(
    *, counts: dict[str, int], eligible: int, current: int
) -> EstimateChange:
    """Scale the sample's counts to the app; the members leaving are the
    current members (counted exactly) less the estimate of those staying,
    with its margin."""
    sample = counts["eligible"]

    def scale(key: str):
        return scaled(matches=counts[key], sample=sample, population=eligible)

    members, joining, staying = scale("members"), scale("joining"), scale("staying")
    return EstimateChange(
        eligible=eligible,
        members=members.value,
        margin=members.margin,
        sample=sample,
        joining=joining.value,
        joining_margin=joining.margin,
        leaving=max(current - staying.value, 0),
        leaving_margin=staying.margin,
    )

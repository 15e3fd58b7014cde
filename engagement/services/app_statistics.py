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
caller's transaction commits, in a transaction of its own: a recompute holds
its transaction for seconds, and must not hold the row's lock so long.

An app above ``ESTIMATE_EXACT_MAX_ROWS`` available customers is estimated
from its sample table (engagement.services.estimate_sample) when it is
current: the count scales the sample up. A sample is current for the day and
the customer data it was built from, and so is the count it scales to (taken
with it, or since): the sample ages no faster than that count would, and an
estimate never falls back to counting a million customers because ten
minutes passed. A sampled estimate is a function of
the sample (its version), the stored count, the day and the definition, and
a change preview of the segment's applied version too: it is kept in the
cache under those for ``ESTIMATE_CACHE_SECONDS``, so the editor's estimate
of a definition already estimated (every opening of a saved segment's
editor, a condition put back) reads nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet
from django.utils import timezone

from customers.models import App
from engagement import rules
from engagement.models import (
    AppStatistics,
    EstimateSample,
    Segment,
    SegmentMembership,
)
from engagement.selectors.estimates import (
    Shown,
    sample_cutoff,
    sample_size_wanted,
    sample_table_cutoff,
    scaled,
    shown_size,
)
from engagement.selectors.segments import Estimate, segment_count
from engagement.services.estimate_sample import (
    SAMPLE_FIELDS,
    SAMPLE_PATHS,
    estimate_sample_current,
    estimate_sample_request,
)

# How long a count stays current when nothing announced a change: the
# longest a write that announces nothing leaves it stale.
ELIGIBLE_COUNT_MAX_AGE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class _Stored:
    """The app's stored count if current, and the version to store one under;
    its sample table if current, with the count it scales to, and whether to
    build one."""

    eligible_count: int | None
    customers_version: int | None  # None: the app has no row yet
    sample_cutoff: int | None = None
    sample_version: int | None = None
    # The count a current sample scales to: counted today on the same customer
    # data (the sample's version), however long ago; only a write that
    # announces nothing has moved it since, as it may have the sample.
    population: int | None = None
    sample_wanted: bool = False


_STORED_FIELDS = ("eligible_count", "computed_on", "computed_at", "sample_cutoff")


def _stored(*, app_id: int, today: dt.date) -> _Stored:
    row = (
        AppStatistics.objects.filter(app_id=app_id)
        .values(*_STORED_FIELDS, *SAMPLE_FIELDS)
        .first()
    )
    if row is None:
        return _Stored(eligible_count=None, customers_version=None)
    counted_today = row["eligible_count"] is not None and row["computed_on"] == today
    current = counted_today and (
        row["computed_at"] > timezone.now() - ELIGIBLE_COUNT_MAX_AGE
    )
    sample_current = counted_today and estimate_sample_current(row, today=today)
    return _Stored(
        eligible_count=row["eligible_count"] if current else None,
        customers_version=row["customers_version"],
        sample_cutoff=row["sample_cutoff"] if sample_current else None,
        sample_version=row["sample_version"] if sample_current else None,
        population=row["eligible_count"] if sample_current else None,
        sample_wanted=current
        and not sample_current
        and sample_table_cutoff(eligible=row["eligible_count"]) is not None,
    )


def _store_on_commit(
    *, app_id: int, stored: _Stored, today: dt.date, eligible_count: int
) -> None:
    """Store a count once the transaction commits, if no change came since."""

    def store() -> None:  # a function: Django logs a robust one by its name
        _store(
            app_id=app_id,
            customers_version=stored.customers_version,
            today=today,
            eligible_count=eligible_count,
        )

    # Robust: a count not stored is counted again, never an error.
    transaction.on_commit(store, robust=True)


def _store(
    *, app_id: int, customers_version: int | None, today: dt.date, eligible_count: int
) -> None:
    """Store the count unless a change came since (the version moved).

    A process building the app's sample holds the row for seconds: a count
    that finds it locked is not stored (the next one is), rather than keep
    a page waiting.
    """
    if customers_version is None:
        # A change announced meanwhile created the row with a higher version.
        AppStatistics.objects.bulk_create(
            [AppStatistics(app_id=app_id)], ignore_conflicts=True
        )
        customers_version = 0
    with transaction.atomic():
        locked = (
            AppStatistics.objects.select_for_update(skip_locked=True)
            .filter(app_id=app_id, customers_version=customers_version)
            .values_list("pk", flat=True)
        )
        AppStatistics.objects.filter(pk__in=list(locked)).update(
            eligible_count=eligible_count,
            computed_on=today,
            computed_at=timezone.now(),
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

    With the app's sample current, the definition's matches in the sample are
    scaled up to the stored count, with a margin
    (``engagement.selectors.estimates``). With the count current but no
    sample (a small app), only the members are counted; otherwise both are
    counted in one pass over the app's customers (so under the web statement
    timeout an estimate answers or gives up within that timeout, not twice
    it), and the count is stored when the transaction commits. A large app
    whose sample is missing or stale is counted so too, and asks a worker
    for its sample (``estimate_sample_request``).
    """
    if segment is not None:
        return segment_estimate_change(
            app=app, definition=definition, segment=segment, today=today
        )
    today = today or rules.evaluation_date()
    stored = _stored(app_id=app.pk, today=today)
    if stored.sample_cutoff is not None:
        return cache.get_or_set(
            _sampled_key(app=app, definition=definition, today=today, stored=stored),
            lambda: _sampled_estimate(
                app=app, definition=definition, today=today, stored=stored
            ),
            timeout=settings.ESTIMATE_CACHE_SECONDS,
        )
    if stored.sample_wanted:
        estimate_sample_request(app_id=app.pk, today=today)
    estimate = segment_count(
        app=app, definition=definition, today=today, eligible=stored.eligible_count
    )
    if stored.eligible_count is None:
        _store_on_commit(
            app_id=app.pk, stored=stored, today=today, eligible_count=estimate.eligible
        )
    return estimate


def _sampled_key(
    *,
    app: App,
    definition: dict[str, Any],
    today: dt.date,
    stored: _Stored,
    segment: Segment | None = None,
) -> str:
    """The cache key of a sampled estimate: everything its answer depends on.

    The sample's version and the stored count it scales to, the day (ages,
    relative dates), the sizes read and the definition; for a change preview,
    the segment's applied version (each recompute raises it) and stored count.
    """
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    key = (
        f"estimate:{app.pk}:{stored.sample_version}:{stored.sample_cutoff}:"
        f"{stored.population}:{today.isoformat()}:"
        f"{settings.ESTIMATE_SAMPLE_SIZE}:{digest}"
    )
    if segment is not None:
        key += f":{segment.pk}:{segment.version}:{segment.member_count}"
    return key


def _sample(*, app: App, low: int, high: int) -> QuerySet[EstimateSample]:
    """The rows of the app's current sample whose keys are in [low, high)."""
    return EstimateSample.objects.filter(
        app_id=app.pk, sample_key__gte=low, sample_key__lt=high
    )


def _first_cutoff(stored: _Stored) -> int:
    """The key cutoff of an estimate's first read: about
    ``ESTIMATE_SAMPLE_SIZE`` customers, within what the table holds."""
    size = settings.ESTIMATE_SAMPLE_SIZE
    cutoff = sample_cutoff(eligible=stored.population, size=size)
    return min(cutoff, stored.sample_cutoff)


def _sample_q(definition: dict[str, Any], *, today: dt.date) -> Q:
    """The definition compiled over the sample's columns."""
    return rules.relocated(rules.definition_q(definition, today=today), SAMPLE_PATHS)


def _sampled_estimate(
    *, app: App, definition: dict[str, Any], today: dt.date, stored: _Stored
) -> Estimate:
    """Scale the definition's matches in the app's sample to its stored count.

    The keys below the first cutoff (about ``ESTIMATE_SAMPLE_SIZE``
    customers) first; then, while ``sample_size_wanted`` asks for more and
    the table holds more, the next range of keys up to the size it asks for
    (at least double), added to the counts so far. Each read is one
    statement counting the sampled customers and those the definition
    selects.
    """
    population = stored.population
    matching = _sample_q(definition, today=today)
    sample = members = 0
    low, high = 0, _first_cutoff(stored)
    while True:
        counts = _sample(app=app, low=low, high=high).aggregate(
            sample=Count("customer"), members=Count("customer", filter=matching)
        )
        sample += counts["sample"]
        members += counts["members"]
        result = scaled(matches=members, sample=sample, population=population)
        wanted = sample_size_wanted(
            estimate=result, sample=sample, population=population
        )
        # At least twice as many: a count just short of the size wanted
        # reads one more range, not one more customer a statement.
        following = min(
            sample_cutoff(eligible=population, size=max(wanted, 2 * sample)),
            stored.sample_cutoff,
        )
        if wanted <= sample or following <= high:
            break
        low, high = high, following
    return Estimate(
        eligible=population, members=result.value, margin=result.margin, sample=sample
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

    One statement over the app's customers (or its sample's first read, as
    ``segment_estimate``): filtered aggregates count the available
    customers, those the definition selects and those of them already
    members (staying), the stored membership being joined on the customer
    (a left join on its primary key; a probe of it for a sampled customer).
    Those not yet members join; the stored members less those staying
    leave, counted on the membership's primary key (sampled: the segment's
    stored count).
    """
    today = today or rules.evaluation_date()
    stored = _stored(app_id=app.pk, today=today)
    if stored.sample_cutoff is not None:
        return cache.get_or_set(
            _sampled_key(
                app=app,
                definition=definition,
                today=today,
                stored=stored,
                segment=segment,
            ),
            lambda: _change_counted(
                app=app,
                definition=definition,
                segment=segment,
                today=today,
                stored=stored,
            ),
            timeout=settings.ESTIMATE_CACHE_SECONDS,
        )
    return _change_counted(
        app=app, definition=definition, segment=segment, today=today, stored=stored
    )


def _change_counted(
    *,
    app: App,
    definition: dict[str, Any],
    segment: Segment,
    today: dt.date,
    stored: _Stored,
) -> EstimateChange:
    """Count ``segment_estimate_change``'s numbers, over the app's sample if
    current, else over its customers."""
    sampled = stored.sample_cutoff is not None
    if sampled:
        customers = _sample(app=app, low=0, high=_first_cutoff(stored))
        matching = _sample_q(definition, today=today)
        # One probe of the membership's primary key per sampled customer
        # the definition selects (~2.5 µs): a join would go through the
        # customers' table or hash all the segment's members.
        member = Q(
            Exists(
                SegmentMembership.objects.filter(
                    segment_id=segment.pk, customer_id=OuterRef("customer_id")
                )
            )
        )
    else:
        if stored.sample_wanted:
            estimate_sample_request(app_id=app.pk, today=today)
        customers = rules.eligible_queryset(app=app, today=today).annotate(
            current=FilteredRelation(
                "customer__segment_memberships",
                condition=Q(customer__segment_memberships__segment_id=segment.pk),
            )
        )
        matching = rules.definition_q(definition, today=today)
        member = Q(current__segment_id__isnull=False)
    counts = customers.aggregate(
        eligible=Count("customer"),
        members=Count("customer", filter=matching),
        staying=Count("customer", filter=matching & member),
    )
    counts["joining"] = counts["members"] - counts["staying"]
    if sampled:
        # An estimate: the stored count (the recompute's, in the segment's
        # row) rather than counting up to a million rows again.
        return _sampled_change(
            counts=counts,
            eligible=stored.population,
            current=segment.member_count or 0,
        )
    current = SegmentMembership.objects.filter(segment_id=segment.pk).count()
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

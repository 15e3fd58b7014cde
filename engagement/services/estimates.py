"""Live estimates of a segment definition, and of how a segment would change.

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
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, QuerySet

from customers.models import App
from engagement import rules
from engagement.models import EstimateSample, Segment, SegmentMembership
from engagement.selectors.estimates import (
    Shown,
    sample_cutoff,
    sample_size_wanted,
    scaled,
    shown_size,
)
from engagement.selectors.segments import Estimate, segment_count
from engagement.services.app_statistics import (
    StoredCount,
    app_statistics_store_on_commit,
    app_statistics_stored,
)
from engagement.services.estimate_sample import SAMPLE_PATHS, estimate_sample_request


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
    stored = app_statistics_stored(app_id=app.pk, today=today)
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
        app_statistics_store_on_commit(
            app_id=app.pk, stored=stored, today=today, eligible_count=estimate.eligible
        )
    return estimate


def _sampled_key(
    *,
    app: App,
    definition: dict[str, Any],
    today: dt.date,
    stored: StoredCount,
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


def _first_cutoff(stored: StoredCount) -> int:
    """The key cutoff of an estimate's first read: about
    ``ESTIMATE_SAMPLE_SIZE`` customers, within what the table holds."""
    size = settings.ESTIMATE_SAMPLE_SIZE
    cutoff = sample_cutoff(eligible=stored.population, size=size)
    return min(cutoff, stored.sample_cutoff)


def _sample_q(definition: dict[str, Any], *, today: dt.date) -> Q:
    """The definition compiled over the sample's columns."""
    return rules.relocated(rules.definition_q(definition, today=today), SAMPLE_PATHS)


def _sampled_estimate(
    *, app: App, definition: dict[str, Any], today: dt.date, stored: StoredCount
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
    stored = app_statistics_stored(app_id=app.pk, today=today)
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
    stored: StoredCount,
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
        app_statistics_store_on_commit(
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

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

The live estimates read these counts (``engagement.services.estimates``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from engagement import rules
from engagement.models import (
    AppStatistics,
)
from engagement.selectors.estimates import (
    sample_table_cutoff,
)
from engagement.services.estimate_sample import (
    SAMPLE_FIELDS,
    estimate_sample_current,
)

# How long a count stays current when nothing announced a change: the
# longest a write that announces nothing leaves it stale.
ELIGIBLE_COUNT_MAX_AGE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class StoredCount:
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


def app_statistics_stored(*, app_id: int, today: dt.date) -> StoredCount:
    row = (
        AppStatistics.objects.filter(app_id=app_id)
        .values(*_STORED_FIELDS, *SAMPLE_FIELDS)
        .first()
    )
    if row is None:
        return StoredCount(eligible_count=None, customers_version=None)
    counted_today = row["eligible_count"] is not None and row["computed_on"] == today
    current = counted_today and (
        row["computed_at"] > timezone.now() - ELIGIBLE_COUNT_MAX_AGE
    )
    sample_current = counted_today and estimate_sample_current(row, today=today)
    return StoredCount(
        eligible_count=row["eligible_count"] if current else None,
        customers_version=row["customers_version"],
        sample_cutoff=row["sample_cutoff"] if sample_current else None,
        sample_version=row["sample_version"] if sample_current else None,
        population=row["eligible_count"] if sample_current else None,
        sample_wanted=current
        and not sample_current
        and sample_table_cutoff(eligible=row["eligible_count"]) is not None,
    )


def app_statistics_store_on_commit(
    *, app_id: int, stored: StoredCount, today: dt.date, eligible_count: int
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
    stored = app_statistics_stored(app_id=app_id, today=today)
    if stored.eligible_count is not None:
        return stored.eligible_count
    count = rules.eligible_queryset(app=app_id, today=today).count()
    app_statistics_store_on_commit(
        app_id=app_id, stored=stored, today=today, eligible_count=count
    )
    return count


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

"""The live estimate's sample table: what it copies, and building it.

An app above ``ESTIMATE_EXACT_MAX_ROWS`` available customers is estimated
from its sample: the available customers whose random ``sample_key`` is below
a cutoff chosen for about ``ESTIMATE_SAMPLE_MAX_SIZE`` of them, copied with
the facts rules read into ``EstimateSample``. An estimate reads a range of
adjacent narrow rows there, ~20× cheaper than the same customers looked up
among the app's customers and their accounts (engagement.services.
app_statistics).

A worker builds it (``estimate_sample_build``, 2–3 s on a million app
customers), asked by the first estimate that finds it missing or stale
(``estimate_sample_request``); until then estimates count exactly, as for a
small app. It is current for the ``customers_version`` and the day it was
built for: an announced change of the app's customer data, or a new day
(ages move), makes it stale. A write that announces nothing (a support edit)
is seen at the next day's build; an erased person leaves it at once (the
foreign key cascades).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from customers.bulk import rows_insert_select
from engagement import rules
from engagement.models import AppStatistics, EstimateSample
from engagement.selectors.estimates import sample_table_cutoff

logger = logging.getLogger(__name__)

# The AppCustomer path each sample column copies (``customer_gender`` copies
# ``customer__gender``), and where they differ, the path's column: what
# ``rules.relocated`` needs to count a compiled definition in the sample.
SAMPLE_COPIES = {
    field.name: (
        f"customer__{field.name.removeprefix('customer_')}"
        if field.name.startswith("customer_")
        else field.name
    )
    for field in EstimateSample._meta.concrete_fields
    if field.name not in {"app", "customer"}
}
SAMPLE_PATHS = {
    path: column for column, path in SAMPLE_COPIES.items() if path != column
}

# An app's build is asked for at most once in this long (per cache: with the
# default local-memory cache, per web process); a lost request is asked again.
REQUEST_INTERVAL_SECONDS = 5 * 60

SAMPLE_FIELDS = ("customers_version", "sample_version", "sample_built_on")


def estimate_sample_current(row: dict[str, Any], *, today: dt.date) -> bool:
    """Whether the ``AppStatistics`` values ``row`` (``SAMPLE_FIELDS``) say
    the app's sample was built for its customer data of ``today``."""
    return (
        row["sample_version"] == row["customers_version"]
        and row["sample_built_on"] == today
    )


def estimate_sample_request(*, app_id: int, today: dt.date) -> None:
    """Ask a worker to build the app's sample for ``today``, once the
    transaction commits."""
    key = f"estimate-sample-requested:{app_id}:{today.isoformat()}"
    if not cache.add(key, True, timeout=REQUEST_INTERVAL_SECONDS):
        return

    def send() -> None:
        # Here: the membership engine imports app_statistics, which imports
        # this module.
        from engagement.services.membership.requests import BROKER_ERRORS
        from engagement.tasks.estimates import estimate_sample_build_task

        try:
            estimate_sample_build_task.apply_async((app_id, today.isoformat()))
        except BROKER_ERRORS as error:
            cache.delete(key)  # the next estimate asks again
            logger.warning(
                "estimate_sample_enqueue_failed app=%s error=%s", app_id, error
            )

    transaction.on_commit(send)


def estimate_sample_build(*, app_id: int, today: dt.date | None = None) -> int | None:
    """Build the app's sample for ``today`` unless it is current; return the
    rows it holds (0: the app is counted exactly), or None if nothing was
    built (current, or another process is building it).

    Under the lock of the app's ``AppStatistics`` row, skipped by a process
    that finds it taken (a count stored meanwhile waits for nothing): its
    available customers are counted, the cutoff chosen from that count, and
    the rows replaced in one statement through the ``(app, sample_key)``
    index, in key order (a key range is then adjacent rows), and the count
    stored with them (the one the sample's estimates scale to), then the table
    vacuumed (PostgreSQL, outside a caller's transaction). An announced
    change waits for the lock and raises the version after the build, which
    leaves the sample stale, as it should.
    """
    today = today or rules.evaluation_date()
    AppStatistics.objects.bulk_create(
        [AppStatistics(app_id=app_id)], ignore_conflicts=True
    )
    with transaction.atomic():
        row = (
            AppStatistics.objects.select_for_update(skip_locked=True)
            .filter(app_id=app_id)
            .values(*SAMPLE_FIELDS)
            .first()
        )
        if row is None or estimate_sample_current(row, today=today):
            return None
        eligible = rules.eligible_queryset(app=app_id, today=today).count()
        cutoff = sample_table_cutoff(eligible=eligible)
        EstimateSample.objects.filter(app_id=app_id).delete()
        rows = 0 if cutoff is None else _copy(app_id=app_id, today=today, below=cutoff)
        AppStatistics.objects.filter(app_id=app_id).update(
            sample_cutoff=cutoff,
            sample_version=row["customers_version"],
            sample_built_on=today,
            # The count the sample scales to, taken with it.
            eligible_count=eligible,
            computed_on=today,
            computed_at=timezone.now(),
        )
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # The rows replaced are dead until vacuumed, and the next estimates
        # would step over them (3 dead rows a live one after two builds:
        # 12 ms a read instead of 5). Not in a caller's transaction, where
        # VACUUM cannot run: a test's, say.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {EstimateSample._meta.db_table}")
    logger.info("estimate_sample_built app=%s rows=%s", app_id, rows)
    return rows


def _copy(*, app_id: int, today: dt.date, below: int) -> int:
    return rows_insert_select(
        model=EstimateSample,
        fields=("app", "customer", *SAMPLE_COPIES),
        rows=rules.eligible_queryset(app=app_id, today=today)
        .filter(sample_key__lt=below)
        .order_by("sample_key")
        .values_list("app_id", "customer_id", *SAMPLE_COPIES.values()),
    )

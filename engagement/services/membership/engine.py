"""The segment membership engine: versioned, set-based, atomic recomputes.

Protocol (design.md §5; asking for a recompute is ``membership.requests``):

1. The task takes the segment's recompute lock (``membership.lock``): two
   workers never recompute one segment at once; the second waits, then finds
   the version applied and does nothing. A version at or below
   ``Segment.version`` is stale and ignored, so reruns and duplicates are
   free.
2. In one transaction the difference between the stored membership and what
   the compiled definition selects is applied inside the database: members
   who now match are inserted, members who no longer match are deleted. No
   customer row or id is loaded into Python. Readers see the old set or the
   new one, never a mix. When nothing changed, nothing is written.
3. A failure rolls the membership change back (a savepoint), records the error
   on the run and the segment (status ``failed``), and leaves the previous
   membership in force.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from config.statement_timeout import is_statement_timeout
from engagement import rules
from engagement.models import Segment, SegmentMembership, SegmentRun
from engagement.services.app_statistics import app_statistics_eligible_count
from engagement.services.membership.lock import segment_recompute_lock

logger = logging.getLogger(__name__)

# Errors worth a retry: the database or its connection had a passing fault.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class Diff:
    eligible: int
    members: int
    joined: int
    left: int


def segment_recompute(
    *,
    segment_id: int,
    version: int,
    trigger: str = SegmentRun.Trigger.SUPPORT,
    today: dt.date | None = None,
) -> SegmentRun | None:
    """Apply the newest requested version of a segment's membership.

    Return the run, or None when there was nothing to do (the segment is gone
    or ``version`` is already applied). A failure is recorded on the run and
    the segment and the previous membership stays; transient database errors
    roll everything back and propagate, so the task retries.
    """
    today = today or rules.evaluation_date()
    with transaction.atomic():
        segment_recompute_lock(segment_id=segment_id)
        segment = Segment.objects.select_related("app").filter(pk=segment_id).first()
        if segment is None or segment.version >= version:
            logger.info(
                "segment_recompute_skipped segment=%s version=%s applied=%s",
                segment_id,
                version,
                getattr(segment, "version", None),
            )
            return None
        target = segment.pending_version
        run = SegmentRun(
            segment=segment, version=target, trigger=trigger, started_at=timezone.now()
        )
        try:
            with transaction.atomic():  # a savepoint: failures undo only this
                diff = _apply_diff(segment=segment, today=today)
        except TRANSIENT_ERRORS as exc:
            # The database had a passing fault: roll everything back and let
            # the task retry; the segment keeps its state and membership. A
            # statement that ran past the worker's timeout would only time
            # out again: that is a failure to record, not to retry.
            if not is_statement_timeout(exc):
                raise
            _record_crash(segment=segment, run=run, error=exc)
            return run
        except ValidationError as exc:
            # The stored definition no longer validates (a rule tightened
            # after it was saved, a row edited by support): a retry would
            # fail the same way, so its problems are the recorded failure.
            logger.warning(
                "segment_definition_invalid segment=%s version=%s problems=%r",
                segment.pk,
                run.version,
                exc.messages,
            )
            _record_failure(segment=segment, run=run, error="\n".join(exc.messages))
            return run
        except Exception as exc:
            _record_crash(segment=segment, run=run, error=exc)
            return run
        run.finished_at = timezone.now()
        run.eligible_count = diff.eligible
        run.member_count = diff.members
        run.joined = diff.joined
        run.left = diff.left
        run.save()
        small = diff.members < settings.SEGMENT_MIN_SIZE
        segment.version = target
        segment.member_count = diff.members
        segment.eligible_count = diff.eligible
        segment.computed_at = run.finished_at
        segment.status = Segment.Status.INACTIVE if small else Segment.Status.ACTIVE
        segment.last_error = ""
        segment.save(
            update_fields=[
                "version",
                "member_count",
                "eligible_count",
                "computed_at",
                "status",
                "last_error",
            ]
        )
    logger.info(
        "segment_recomputed segment=%s version=%s members=%s joined=%s left=%s"
        " seconds=%.3f",
        segment.pk,
        target,
        diff.members,
        diff.joined,
        diff.left,
        (run.finished_at - run.started_at).total_seconds(),
    )
    return run


def _record_crash(*, segment: Segment, run: SegmentRun, error: Exception) -> None:
    """Log an unexpected error with its traceback and record it as the failure."""
    logger.exception(
        "segment_recompute_failed segment=%s version=%s", segment.pk, run.version
    )
    _record_failure(segment=segment, run=run, error=f"{type(error).__name__}: {error}")


def _record_failure(*, segment: Segment, run: SegmentRun, error: str) -> None:
    """Mark the run and the segment failed with ``error``; members stay."""
    run.finished_at = timezone.now()
    run.error = error[:10_000]
    run.save()
    segment.status = Segment.Status.FAILED
    segment.last_error = run.error
    segment.save(update_fields=["status", "last_error"])


def _matching_sql(*, segment: Segment, today: dt.date) -> tuple[str, tuple]:
    """SQL selecting the customer_id of every app customer the segment selects."""
    definition = rules.definition_validate(segment.definition)
    queryset = (
        rules.segment_queryset(definition=definition, app=segment.app_id, today=today)
        .values("customer_id")
        .order_by()
    )
    return queryset.query.sql_with_params()


def _apply_diff(*, segment: Segment, today: dt.date) -> Diff:
    eligible = app_statistics_eligible_count(app_id=segment.app_id, today=today)
    before = SegmentMembership.objects.filter(segment_id=segment.pk).count()
    apply = (
        _apply_changes_postgresql
        if connection.vendor == "postgresql"
        else _apply_changes_generic
    )
    joined, left = apply(segment=segment, today=today)
    return Diff(
        eligible=eligible, members=before + joined - left, joined=joined, left=left
    )


MEMBERSHIP_TABLE = SegmentMembership._meta.db_table

# PostgreSQL: one read of the matching app customers, full-joined with the
# stored membership, keeps only the changes in a temporary table; one DELETE
# and one INSERT then apply them. The read is a CREATE TABLE AS, which
# PostgreSQL may run in parallel (a statement that modifies data never is):
# on 2 cores that halves it. A recompute with no change fills an empty
# temporary table and writes nothing to the membership.
#
# Every plan stays linear whatever the statistics say. They lag behind the
# membership: a first computation inserts a segment's members, and until
# autovacuum analyses the table the planner believes the segment has one
# row (a fresh seed or a big import leaves them so). A plan built on that
# belief that compares each member with each change costs members × changes
# (386,896 members × 17,550 changes took 40 s). So:
# - the read is a FULL JOIN, which PostgreSQL can only run as a hash or a
#   merge join: one pass over each side, whatever it expects of them;
# - the temporary table carries the segment id, and the DELETE joins it on
#   the whole primary key with no other condition on the membership, so no
#   estimate of the segment's size enters its plan; with hash and merge joins
#   off for that one statement its only plan is a nested loop over the
#   leaving members probing the primary key (a hash join would read the
#   whole membership table, every segment's rows);
# - the INSERT reads only the temporary table.
_POSTGRESQL_CHANGES = """
CREATE TEMPORARY TABLE segment_changes AS
SELECT CAST(%s AS {segment_id_type}) AS segment_id,
       coalesce(hit.customer_id, m.customer_id) AS customer_id,
       m.customer_id IS NULL AS joining
FROM ({matching}) hit
FULL JOIN (SELECT customer_id FROM {membership} WHERE segment_id = %s) m
    ON m.customer_id = hit.customer_id
WHERE hit.customer_id IS NULL OR m.customer_id IS NULL
"""
_POSTGRESQL_LEAVE = f"""
DELETE FROM {MEMBERSHIP_TABLE} m USING segment_changes c
WHERE m.segment_id = c.segment_id AND m.customer_id = c.customer_id
    AND NOT c.joining
"""
# For the DELETE only: the rest of the recompute keeps the planner's choice.
_POSTGRESQL_LEAVE_SETTINGS = {"enable_hashjoin": "off", "enable_mergejoin": "off"}
_POSTGRESQL_JOIN = f"""
INSERT INTO {MEMBERSHIP_TABLE} (segment_id, customer_id)
SELECT segment_id, customer_id FROM segment_changes WHERE joining
ORDER BY customer_id
"""

POSTGRESQL_SETTINGS = {
    # Hash joins over a million ids need ~60 MB to stay in memory; the
    # default 4 MB spills them to disk in batches.
    "work_mem": "96MB",
    # JIT compiling these statements costs ~0.1–0.3 s and saves less.
    "jit": "off",
    # One process: parallel workers made a 1M-row recompute faster (1.35 s
    # with two, 2.35 s without) by taking every core from the dashboard.
    # Under `make load` (16 partners, recomputes back to back, 2 cores),
    # serial recomputes doubled the pages served (29.7 → 60.9 req/s) and
    # halved their p95, while still completing 125 a minute instead of 162.
    "max_parallel_workers_per_gather": "0",
    # Membership is derived data: the commit need not wait for the WAL to
    # reach the disk (~1 s for 600k new rows). A crash in the next few
    # hundred milliseconds loses the whole recompute, version included, and
    # the next one redoes it; never half of it.
    "synchronous_commit": "off",
}


def postgresql_set_local(cursor, settings: dict[str, str]) -> None:
    """Set ``settings`` for the rest of the transaction (``SET LOCAL``)."""
    for name, value in settings.items():
        cursor.execute(f"SET LOCAL {name} = '{value}'")


def _apply_changes_postgresql(*, segment: Segment, today: dt.date) -> tuple[int, int]:
    matching_sql, matching_params = _matching_sql(segment=segment, today=today)
    segment_id_type = SegmentMembership._meta.get_field("segment").db_type(connection)
    # replace(), not format(): the compiled SQL is not a format string.
    changes = (
        _POSTGRESQL_CHANGES.replace("{membership}", MEMBERSHIP_TABLE)
        .replace("{segment_id_type}", segment_id_type)
        .replace("{matching}", matching_sql)
    )
    with connection.cursor() as cursor:
        postgresql_set_local(cursor, POSTGRESQL_SETTINGS)
        cursor.execute(changes, (segment.pk, *matching_params, segment.pk))
        postgresql_set_local(cursor, _POSTGRESQL_LEAVE_SETTINGS)
        cursor.execute(_POSTGRESQL_LEAVE)
        left = cursor.rowcount
        for name in _POSTGRESQL_LEAVE_SETTINGS:
            cursor.execute(f"SET LOCAL {name} TO DEFAULT")
        # In key order: appends to the primary key instead of random page
        # splits all over it.
        cursor.execute(_POSTGRESQL_JOIN)
        joined = cursor.rowcount
        cursor.execute("DROP TABLE segment_changes")
    return joined, left


def _apply_changes_generic(*, segment: Segment, today: dt.date) -> tuple[int, int]:
    """The same changes in portable SQL (SQLite): two set-based statements."""
    match_sql, match_params = _matching_sql(segment=segment, today=today)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {MEMBERSHIP_TABLE} WHERE segment_id = %s"
            f" AND customer_id NOT IN (SELECT customer_id FROM ({match_sql}) matching)",
            (segment.pk, *match_params),
        )
        left = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {MEMBERSHIP_TABLE} (segment_id, customer_id)"
            f" SELECT %s, matching.customer_id FROM ({match_sql}) matching"
            f" WHERE NOT EXISTS (SELECT 1 FROM {MEMBERSHIP_TABLE} m"
            f" WHERE m.segment_id = %s AND m.customer_id = matching.customer_id)",
            (segment.pk, *match_params, segment.pk),
        )
        joined = cursor.rowcount
    return joined, left

"""The segment membership engine: versioned, set-based, atomic recomputes.

Protocol (design.md §5):

1. Asking for a recompute bumps ``Segment.pending_version`` with ``F()`` and
   enqueues ``(segment_id, version)`` when the transaction commits. A publish
   the broker refuses is logged, never raised; a sweeper (beat, every
   minute) asks again for every version still not applied a grace period
   after its request, so no request is lost to the broker or a dead worker.
2. The task takes the segment's recompute lock (an advisory lock, so that
   partners' writes of the segment row never wait for it): two workers never
   recompute one segment at once; the second waits, then finds the version
   applied and does nothing. A version at or below ``Segment.version`` is
   stale and ignored, so reruns and duplicates are free.
3. In one transaction the difference between the stored membership and what
   the compiled definition selects is applied inside the database: members
   who now match are inserted, members who no longer match are deleted. No
   customer row or id is loaded into Python. Readers see the old set or the
   new one, never a mix. When nothing changed, nothing is written.
4. A failure rolls the membership change back (a savepoint), records the error
   on the run and the segment (status ``failed``), and leaves the previous
   membership in force.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q
from django.utils import formats, timezone
from kombu.exceptions import KombuError

from config.statement_timeout import is_statement_timeout
from engagement import rules
from engagement.errors import SegmentError
from engagement.models import Segment, SegmentMembership, SegmentRun
from engagement.selectors.segments import (
    app_eligible_count,
    app_eligible_count_forget,
)

logger = logging.getLogger(__name__)

REFRESH_INTERVAL = dt.timedelta(minutes=5)
# A segment computed less than this long ago is not due for the daily run:
# a segment saved in the evening is not recomputed again at 02:00.
DAILY_MIN_AGE = dt.timedelta(hours=20)
# Errors worth a retry: the database or its connection had a passing fault.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
# What a publish to a broker that is down or not answering ends with: kombu
# re-raises the transport's connection and channel errors as its own.
BROKER_ERRORS = (KombuError, OSError)
# The sweeper asks again for at most this many segments a minute, oldest
# request first (two queries and one publish each); the next sweep takes
# the rest.
SWEEP_LIMIT = 1_000


def segment_request_recompute(
    *, segment: Segment, trigger: str, enqueue: bool = True
) -> int:
    """Ask for a recompute of ``segment``; return the version requested.

    Bumps ``pending_version`` and stamps ``recompute_requested_at``; the task
    is sent when the transaction commits, so the worker sees the saved
    definition. A broker that cannot take it is logged
    (``segment_enqueue_failed``), never raised: the request is saved and the
    sweeper (``segments_request_stalled``) sends it again. With
    ``enqueue=False`` no task is sent: the caller computes that version
    itself, or sends it with others.
    """
    Segment.objects.filter(pk=segment.pk).update(
        pending_version=F("pending_version") + 1,
        recompute_requested_at=timezone.now(),
    )
    segment.refresh_from_db(fields=["pending_version", "recompute_requested_at"])
    version = segment.pending_version
    if enqueue:
        _enqueue_on_commit(requests=[(segment.pk, version)], trigger=trigger)
    logger.info(
        "segment_recompute_requested segment=%s version=%s trigger=%s",
        segment.pk,
        version,
        trigger,
    )
    return version


def segments_request_recompute(*, segments: Iterable[Segment], trigger: str) -> int:
    """Ask for a recompute of each segment (one task each); return how many.

    The tasks are sent together when the transaction commits. Once the broker
    refuses one, the rest are not tried (each would wait for the broker
    again): they stay requested and the sweeper sends them.
    """
    requests = [
        (
            segment.pk,
            segment_request_recompute(segment=segment, trigger=trigger, enqueue=False),
        )
        for segment in segments
    ]
    _enqueue_on_commit(requests=requests, trigger=trigger)
    return len(requests)


def _enqueue_on_commit(*, requests: list[tuple[int, int]], trigger: str) -> None:
    """Send a recompute task per (segment id, version) after the commit."""
    if requests:
        transaction.on_commit(partial(_enqueue, requests=requests, trigger=trigger))


def _enqueue(*, requests: list[tuple[int, int]], trigger: str) -> None:
    from engagement.tasks.segments import segment_recompute_task

    for sent, (segment_id, version) in enumerate(requests):
        try:
            segment_recompute_task.apply_async((segment_id, version, trigger))
        except BROKER_ERRORS as error:
            # The transaction is committed: raising would only turn a saved
            # request into an error page. The sweeper sends it later.
            logger.warning(
                "segment_enqueue_failed segment=%s version=%s trigger=%s unsent=%s"
                " error=%s",
                segment_id,
                version,
                trigger,
                len(requests) - sent,
                error,
            )
            return


def segments_request_recompute_for_apps(*, app_ids: Iterable[int], trigger: str) -> int:
    """Ask for a recompute of every segment of these apps, whose customer data
    changed (an import); their cached available-customer counts go too."""
    app_ids = list(app_ids)
    app_eligible_count_forget(app_ids=app_ids)
    segments = Segment.objects.filter(app_id__in=app_ids).order_by("pk")
    return segments_request_recompute(segments=segments, trigger=trigger)


def segments_request_due(*, now: dt.datetime | None = None) -> int:
    """Ask for the daily recompute of every due segment, oldest first.

    Due: never computed, or computed more than ``DAILY_MIN_AGE`` ago.
    """
    now = now or timezone.now()
    due = (
        Segment.objects.filter(
            Q(computed_at__isnull=True) | Q(computed_at__lt=now - DAILY_MIN_AGE)
        )
        .order_by(F("computed_at").asc(nulls_first=True), "pk")
        .only("pk", "pending_version")
    )
    count = segments_request_recompute(
        segments=due, trigger=SegmentRun.Trigger.SCHEDULE
    )
    logger.info("segments_daily_enqueued count=%s", count)
    return count


def segments_request_stalled(
    *, now: dt.datetime | None = None, grace: dt.timedelta | None = None
) -> int:
    """Ask again for every recompute whose task was lost; return how many.

    Stalled: a version requested more than ``grace`` ago (default
    ``settings.SEGMENT_SWEEP_GRACE_SECONDS``) and still not applied (its task
    was lost to a broker outage, a killed worker or a crash between the commit
    and the publish), or a segment never asked for at all. A segment whose
    recompute lock is held is being recomputed right now and is skipped; a
    killed worker's lock goes with its database session. A version whose
    computation ran and failed is left alone: it would fail again every
    minute, and Refresh, the admin action or the next change ask again.
    At most ``SWEEP_LIMIT`` a call, oldest request first.
    """
    now = now or timezone.now()
    if grace is None:
        grace = dt.timedelta(seconds=settings.SEGMENT_SWEEP_GRACE_SECONDS)
    attempted = SegmentRun.objects.filter(
        segment=OuterRef("pk"), version__gte=OuterRef("pending_version")
    )
    stalled = (
        Segment.objects.filter(
            Q(pending_version__gt=F("version"))
            & (
                Q(recompute_requested_at__isnull=True)
                | Q(recompute_requested_at__lte=now - grace)
            )
            | Q(pending_version=0)
        )
        .exclude(Exists(attempted))
        .order_by(F("recompute_requested_at").asc(nulls_first=True), "pk")
        .only("pk", "pending_version")
    )
    if connection.vendor == "postgresql":
        # Taken for this transaction only; refused while a recompute runs.
        stalled = stalled.filter(
            Func(
                F("pk"),
                function="pg_try_advisory_xact_lock",
                output_field=BooleanField(),
            )
        )
    stalled = stalled[:SWEEP_LIMIT]
    with transaction.atomic():
        count = segments_request_recompute(
            segments=stalled, trigger=SegmentRun.Trigger.RETRY
        )
    if count:
        logger.warning("segments_stalled_enqueued count=%s", count)
    return count


def segment_refresh(*, segment: Segment, now: dt.datetime | None = None) -> int:
    """Recompute on a partner's request, at most once per 5 minutes per segment.

    Raises ``ValidationError`` (code ``too_soon``) saying when it will be
    possible. The claim is one conditional UPDATE, so two clicks at once
    cannot both pass.
    """
    now = now or timezone.now()
    claimed = (
        Segment.objects.filter(pk=segment.pk)
        .filter(
            Q(refresh_requested_at__isnull=True)
            | Q(refresh_requested_at__lte=now - REFRESH_INTERVAL)
        )
        .update(refresh_requested_at=now)
    )
    if not claimed:
        segment.refresh_from_db(fields=["refresh_requested_at"])
        next_at = segment.refresh_requested_at + REFRESH_INTERVAL
        raise SegmentError.TOO_SOON.error(
            time=formats.time_format(timezone.localtime(next_at), "H:i"),
            next_at=next_at,
        )
    segment.refresh_requested_at = now
    return segment_request_recompute(
        segment=segment, trigger=SegmentRun.Trigger.REFRESH
    )


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
        _recompute_lock(segment_id=segment_id)
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


def _recompute_lock(*, segment_id: int) -> None:
    """Wait for the segment's recompute lock, held until the transaction ends.

    Recomputes of one segment take turns on a transaction-level advisory lock
    keyed by the segment id (PostgreSQL), not on the segment's row: a
    partner's save, Refresh or delete (writes of that row) never waits for a
    recompute, which takes seconds to minutes on a big app and would run the
    request into the web statement timeout. SQLite runs one write
    transaction at a time anyway.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(RECOMPUTE_LOCK_SQL, [segment_id])


def segment_recompute_lock_try(*, segment_id: int) -> bool:
    """Take the segment's recompute lock for the rest of the transaction if no
    recompute holds it; return whether it was taken (always on SQLite)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [segment_id])
        return cursor.fetchone()[0]


# The lock key is the segment id alone (the one-bigint form); nothing else in
# the project takes advisory locks.
RECOMPUTE_LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"


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
    eligible = app_eligible_count(app_id=segment.app_id, today=today)
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
    # The rows gathered from parallel workers are one id each; at the default
    # cost PostgreSQL keeps the 1M-row scan in one process (measured on a
    # 1M-row app: 2.35 s serial, 1.35 s with two workers).
    "parallel_tuple_cost": "0.001",
    # Membership is derived data: the commit need not wait for the WAL to
    # reach the disk (~1 s for 600k new rows). A crash in the next few
    # hundred milliseconds loses the whole recompute, version included, and
    # the next one redoes it; never half of it.
    "synchronous_commit": "off",
}


def _set_local(cursor, settings: dict[str, str]) -> None:
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
        _set_local(cursor, POSTGRESQL_SETTINGS)
        cursor.execute(changes, (segment.pk, *matching_params, segment.pk))
        _set_local(cursor, _POSTGRESQL_LEAVE_SETTINGS)
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

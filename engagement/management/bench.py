"""What ``bench_segments`` measures with: fair timings and honest checks.

- The baseline (the bare ``count(*)`` of a segment's predicate) runs as the
  recompute runs: in one transaction, under the recompute's session settings.
- A recompute runs as a save, an import or Refresh has a worker run it: the
  request first (not timed), then the task, with the app's available-customer
  count not stored, so the recompute counts it as the first of a day does.
- Each measurement starts from a checkpoint it has seen completed; a
  database that refuses one stops the benchmark.
- The member set is compared with what the baseline query selects, both
  ways, and the rows written are read from the table's own statistics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet

from engagement.models import Segment, SegmentMembership, SegmentRun
from engagement.services import membership
from engagement.services.app_statistics import app_statistics_forget
from engagement.services.membership.changes import postgresql_set_local
from engagement.tasks.segments import segment_recompute_task

T = TypeVar("T")

MEMBERSHIP_TABLE = SegmentMembership._meta.db_table
# How long a completed CHECKPOINT may take to show in the statistics: the
# checkpointer reports it right after waking the waiting backend.
CHECKPOINT_SEEN_WITHIN_S = 10.0


@dataclass(frozen=True)
class Measurement:
    """One timing, and whether the database was in the state it claims."""

    seconds: float
    from_checkpoint: bool
    checkpoints_during: int  # started by PostgreSQL while the clock ran

    @property
    def mark(self) -> str:
        """ "ckpt" when it started from a checkpoint, with any that ran during."""
        mark = "ckpt" if self.from_checkpoint else "NO CKPT"
        return mark + (f"+{self.checkpoints_during}" if self.checkpoints_during else "")


def _checkpoints_completed() -> int:
    """Checkpoints the server completed since its statistics were reset."""
    view, done = (
        ("pg_stat_checkpointer", "num_timed + num_requested")
        if connection.pg_version >= 170000
        else ("pg_stat_bgwriter", "checkpoints_timed + checkpoints_req")
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(f"SELECT {done} FROM {view}")
        return int(cursor.fetchone()[0])


def _checkpoint() -> bool:
    """Run a CHECKPOINT and see it completed; raise ``CommandError`` if the
    database refuses it (it needs a superuser or the ``pg_checkpoint`` role)."""
    before = _checkpoints_completed()
    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as exc:
        raise CommandError(
            "bench_segments starts each measurement from a checkpoint, and the "
            f"database refused one: {exc}".strip()
            + "\nWithout it a measurement pays for flushing what the previous one "
            "dirtied, and the ratios mean nothing. Run it as a superuser, or "
            "GRANT pg_checkpoint TO the user of DATABASE_URL."
        ) from exc
    deadline = time.monotonic() + CHECKPOINT_SEEN_WITHIN_S
    while _checkpoints_completed() == before:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def measure(function: Callable[[], T]) -> tuple[Measurement, T]:
    """Time ``function()`` from a completed checkpoint; return the timing and
    its result. Raise ``CommandError`` when no checkpoint could be taken."""
    if not _checkpoint():
        raise CommandError(
            "CHECKPOINT returned, but PostgreSQL's statistics show no completed "
            f"checkpoint within {CHECKPOINT_SEEN_WITHIN_S:.0f} s: the measurement "
            "would not start from one."
        )
    before = _checkpoints_completed()
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    during = _checkpoints_completed() - before
    return Measurement(seconds, True, during), result


def baseline_count(queryset: QuerySet) -> int:
    """Count what ``queryset`` selects as the recompute reads it: in one
    transaction, under the recompute's session settings."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            postgresql_set_local(cursor, membership.POSTGRESQL_SETTINGS)
        return queryset.count()


def recompute_request(
    *, segment: Segment, trigger: str, count_stored: bool = False
) -> int:
    """Ask for a recompute as a save, an import or Refresh does, without
    sending the task (``recompute_run`` runs it); return the version asked for.

    The app's stored available-customer count is cleared first, so the
    recompute counts it, as the first of a day or after an import; with
    ``count_stored`` it stays, as the other segments of an app recomputed
    together find it.
    """
    if not count_stored:
        app_statistics_forget(app_ids=[segment.app_id])
    return membership.segment_request_recompute(
        segment=segment, trigger=trigger, enqueue=False
    )


def recompute_run(
    *, segment_id: int, version: int, trigger: str = SegmentRun.Trigger.SAVE
) -> SegmentRun:
    """Run the recompute task as a worker does; return the run it recorded."""
    segment_recompute_task.apply((segment_id, version, trigger), throw=True)
    return SegmentRun.objects.get(segment_id=segment_id, version=version)


def member_set_check(*, run: SegmentRun, queryset: QuerySet, expected: int) -> None:
    """Compare the segment's stored members after ``run`` with what the
    baseline ``queryset`` selects (``expected`` of them), both ways; raise
    ``CommandError`` on any difference."""
    matching, params = queryset.values("customer_id").order_by().query.sql_with_params()
    members = f"SELECT customer_id FROM {MEMBERSHIP_TABLE} WHERE segment_id = %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM ({matching} EXCEPT {members}) missing),"
            f" (SELECT count(*) FROM ({members} EXCEPT {matching}) extra)",
            [*params, run.segment_id, run.segment_id, *params],
        )
        missing, extra = cursor.fetchone()
    if run.error or missing or extra or run.member_count != expected:
        raise CommandError(
            f"{run.segment} v{run.version} ({run.trigger}): the members differ "
            f"from what the baseline query selects: {missing:,} selected "
            f"customers are not members, {extra:,} members are not selected; "
            f"the run reports {run.member_count} members, the baseline counted "
            f"{expected:,}" + (f"; the run failed: {run.error}" if run.error else "")
        )


def membership_writes() -> int:
    """Rows ever inserted, updated or deleted in the membership table, as its
    statistics count them.

    This process's pending statistics are flushed first (PostgreSQL 15
    reports them lazily, when the session goes idle), so two readings bracket
    exactly what this process wrote in between.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables"
            " WHERE relid = %s::regclass",
            [MEMBERSHIP_TABLE],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def membership_writes_check(*, written: int, run: SegmentRun) -> None:
    """Check that the statistics counted ``written`` rows where ``run`` reports
    writing some; raise ``CommandError`` if not: a counter that misses writes
    would also report none where a recompute wrote rows."""
    reported = run.joined + run.left
    if written != reported:
        raise CommandError(
            f"{run.segment} v{run.version}: the membership table's statistics "
            f"counted {written:,} rows written where the run reports {reported:,}; "
            "the rows-written figures would not be the table's own."
        )

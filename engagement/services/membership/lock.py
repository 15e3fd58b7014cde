"""The segment's recompute lock: recomputes of one segment take turns on it.

A transaction-level advisory lock keyed by the segment id (PostgreSQL), not
the segment's row: a partner's save, Refresh or delete (writes of that row)
never waits for a recompute, which takes seconds to minutes on a big app and
would run the request into the web statement timeout. It goes with the
transaction, or with the session of a worker that was killed. SQLite runs
one write transaction at a time anyway.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, F, Func, QuerySet

from engagement.models import Segment

# The lock key is the segment id alone (the one-bigint form); nothing else in
# the project takes advisory locks.
RECOMPUTE_LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"
_TRY = "pg_try_advisory_xact_lock"


def segment_recompute_lock(*, segment_id: int) -> None:
    """Wait for the segment's recompute lock, held until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(RECOMPUTE_LOCK_SQL, [segment_id])


def segment_recompute_lock_try(*, segment_id: int) -> bool:
    """Take the segment's recompute lock for the rest of the transaction if no
    recompute holds it; return whether it was taken (always on SQLite)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_TRY}(%s)", [segment_id])
        return cursor.fetchone()[0]


def segments_recompute_lock_try(segments: QuerySet[Segment]) -> QuerySet[Segment]:
    """Keep the segments whose recompute lock no recompute holds, taking it
    for the rest of the transaction as each row is read (all on SQLite)."""
    if connection.vendor != "postgresql":
        return segments
    return segments.filter(Func(F("pk"), function=_TRY, output_field=BooleanField()))

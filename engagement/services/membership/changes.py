"""Applying a segment's changes in SQL, for the engine (``membership.engine``)
and the daily run's shared scan (``membership.shared``).

From what the segment's definition selects (``matching``), the joins and
leaves against the stored membership are found and applied inside the
database, never loading a customer id into Python: on PostgreSQL through a
temporary table of changes, tuned so every plan stays linear (below); on
other databases (SQLite) by two portable statements.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from engagement.models import Segment, SegmentMembership
from engagement.services.membership import digest
from engagement.services.membership.digest import Digest

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
# An incremental update: the same changes, read from the changed customers
# alone (the LEFT JOINs keep them the outer side), each probing the app's
# rows and the segment's primary key (``_POSTGRESQL_INCREMENTAL_SETTINGS``).
# The member lookup is a LATERAL subquery: planned on its own, both its
# conditions are index conditions. As a plain LEFT JOIN, statistics that
# promise the segment one member (taken before its first computation) made
# scanning all of its members once per changed customer look as cheap, and
# an EXISTS became a hashed subplan reading them all.
_POSTGRESQL_INCREMENTAL_CHANGES = """
CREATE TEMPORARY TABLE segment_changes AS
SELECT CAST(%s AS {segment_id_type}) AS segment_id,
       changed.id AS customer_id,
       m.customer_id IS NULL AS joining
FROM ({among}) changed(id)
LEFT JOIN ({matching}) hit ON hit.customer_id = changed.id
LEFT JOIN LATERAL (
    SELECT m.customer_id FROM {membership} m
    WHERE m.segment_id = %s AND m.customer_id = changed.id
    LIMIT 1
) m ON true
WHERE (hit.customer_id IS NULL) <> (m.customer_id IS NULL)
"""
_POSTGRESQL_LEAVE = f"""
DELETE FROM {MEMBERSHIP_TABLE} m USING segment_changes c
WHERE m.segment_id = c.segment_id AND m.customer_id = c.customer_id
    AND NOT c.joining
"""
# For the DELETE only: the rest of the recompute keeps the planner's choice.
_POSTGRESQL_LEAVE_SETTINGS = {"enable_hashjoin": "off", "enable_mergejoin": "off"}
# For an incremental update's two statements: nested loops from the changed
# customers, each probing indexes (the member's primary key included).
_POSTGRESQL_INCREMENTAL_SETTINGS = {
    **_POSTGRESQL_LEAVE_SETTINGS,
    "enable_material": "off",
}
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


def apply_changes_postgresql(
    *, segment: Segment, matching: QuerySet, among: QuerySet | None = None
) -> tuple[int, int, Digest]:
    """Fill ``segment_changes`` (from every app customer, or only from the
    customer ids ``among`` selects), apply it; return (joined, left, the
    digest's change)."""
    matching_sql, matching_params = matching.query.sql_with_params()
    template, params = _POSTGRESQL_CHANGES, (segment.pk, *matching_params, segment.pk)
    if among is not None:
        among_sql, among_params = among.query.sql_with_params()
        template = _POSTGRESQL_INCREMENTAL_CHANGES.replace("{among}", among_sql)
        params = (segment.pk, *among_params, *matching_params, segment.pk)
    # replace(), not format(): the compiled SQL is not a format string.
    changes = (
        template.replace("{membership}", MEMBERSHIP_TABLE)
        .replace("{segment_id_type}", _segment_id_type())
        .replace("{matching}", matching_sql)
    )
    with connection.cursor() as cursor:
        postgresql_set_local(cursor, POSTGRESQL_SETTINGS)
        if among is not None:
            postgresql_set_local(cursor, _POSTGRESQL_INCREMENTAL_SETTINGS)
        cursor.execute(changes, params)
        if among is not None:
            for name in _POSTGRESQL_INCREMENTAL_SETTINGS:
                cursor.execute(f"SET LOCAL {name} TO DEFAULT")
        cursor.execute(
            "SELECT "
            + digest.aggregates_sql(
                "customer_id", sign="CASE WHEN joining THEN 1 ELSE -1 END"
            )
            + " FROM segment_changes"
        )
        delta = digest.from_row(cursor.fetchone())
        joined, left = _postgresql_changes_apply(cursor)
    return joined, left, delta


def _segment_id_type() -> str:
    return SegmentMembership._meta.get_field("segment").db_type(connection)


def _postgresql_changes_apply(cursor) -> tuple[int, int]:
    """Apply the ``segment_changes`` table and drop it; return (joined, left)."""
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


def apply_changes_generic(
    *,
    segment_id: int,
    matching: QuerySet | RawSQL,
    among: QuerySet | None = None,
) -> tuple[int, int]:
    """Apply a segment's changes in portable SQL (SQLite): two set-based
    statements. ``matching`` selects the customer_id of the members; with
    ``among`` (a queryset of customer ids), only those customers can join or
    leave. Return (joined, left).
    """
    match_sql, match_params = _compiled(matching)
    # NOT EXISTS, not NOT IN: an anti-join probing the matching rows of one
    # customer at a time, where NOT IN read the matching set per member.
    delete_sql = (
        f"DELETE FROM {MEMBERSHIP_TABLE} WHERE segment_id = %s"
        f" AND NOT EXISTS (SELECT 1 FROM ({match_sql}) matching"
        f" WHERE matching.customer_id = {MEMBERSHIP_TABLE}.customer_id)"
    )
    delete_params = (segment_id, *match_params)
    if among is not None:
        among_sql, among_params = _compiled(among)
        delete_sql += f" AND customer_id IN ({among_sql})"
        delete_params += tuple(among_params)
    insert_sql = (
        f"INSERT INTO {MEMBERSHIP_TABLE} (segment_id, customer_id)"
        f" SELECT %s, matching.customer_id FROM ({match_sql}) matching"
        f" WHERE NOT EXISTS (SELECT 1 FROM {MEMBERSHIP_TABLE} m"
        f" WHERE m.segment_id = %s AND m.customer_id = matching.customer_id)"
    )
    insert_params = (segment_id, *match_params, segment_id)
    with connection.cursor() as cursor:
        cursor.execute(delete_sql, delete_params)
        left = cursor.rowcount
        cursor.execute(insert_sql, insert_params)
        joined = cursor.rowcount
    return joined, left


def _compiled(query: QuerySet | RawSQL) -> tuple[str, tuple]:
    if isinstance(query, RawSQL):
        return query.sql, tuple(query.params)
    sql, params = query.query.sql_with_params()
    return sql, tuple(params)

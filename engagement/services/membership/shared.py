"""The daily run of an app: its due segments computed from one scan.

``segments_recompute_shared`` keeps the engine's protocol (``engine``) for
each segment, its lock, version, run and failure, but reads the app's
customers once for all of them; on PostgreSQL a segment whose member digest
(``digest``) is unchanged is not compared with its members at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from functools import partial

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, QuerySet
from django.db.models.expressions import RawSQL

from config.statement_timeout import is_statement_timeout
from engagement import rules
from engagement.models import Segment, SegmentMembership, SegmentRun
from engagement.services.app_statistics import app_statistics_eligible_count
from engagement.services.membership import changes, digest, engine
from engagement.services.membership.digest import Digest
from engagement.services.membership.lock import segment_recompute_lock

logger = logging.getLogger(__name__)


def segments_recompute_shared(
    *,
    app_id: int,
    requests: list[tuple[int, int]],
    trigger: str = SegmentRun.Trigger.SCHEDULE,
    today: dt.date | None = None,
) -> list[SegmentRun]:
    """Apply the requested versions of several segments of one app together.

    ``requests`` are ``(segment id, version)`` pairs. One transaction takes
    every segment's recompute lock (in id order), then one pass over the
    app's customers evaluates every due segment's definition
    (``_apply_shared``) and applies each one's joins and leaves. Each segment
    keeps its own version, run and failure: a definition that no longer
    validates fails that segment alone, and if the shared pass itself fails,
    each segment is computed on its own. Segments already at their version
    are skipped; one moved to another app meanwhile is computed on its own.
    Return the runs.
    """
    today = today or rules.evaluation_date()
    wanted = dict(requests)
    runs = []
    with transaction.atomic():
        for segment_id in sorted(wanted):
            segment_recompute_lock(segment_id=segment_id)
        due = []
        for segment in (
            Segment.objects.select_related("app").filter(pk__in=wanted).order_by("pk")
        ):
            if segment.version >= wanted[segment.pk]:
                engine._log_skipped(
                    segment_id=segment.pk, version=wanted[segment.pk], segment=segment
                )
            elif segment.app_id != app_id:
                runs.append(
                    engine.segment_recompute(
                        segment_id=segment.pk,
                        version=wanted[segment.pk],
                        trigger=trigger,
                        today=today,
                    )
                )
            else:
                due.append(segment)
        started = {
            segment.pk: engine._run_start(
                segment=segment, trigger=trigger, shared_scan=True
            )
            for segment in due
        }
        valid = []
        for segment in due:
            try:
                rules.definition_validate(segment.definition)
            except ValidationError as exc:
                engine._record_invalid(
                    segment=segment, run=started[segment.pk], error=exc
                )
            else:
                valid.append(segment)
        diffs = None
        if len(valid) > 1:
            diffs = _shared_diffs(app_id=app_id, valid=valid, today=today)
        for segment in valid:
            run = started[segment.pk]
            if diffs is None:
                run.shared_scan = False
                diff = engine._applied(
                    segment=segment,
                    run=run,
                    apply=partial(engine._apply_diff, segment=segment, today=today),
                )
            else:
                diff = diffs[segment.pk]
            if diff is not None:
                engine._run_finish(segment=segment, run=run, diff=diff, today=today)
        runs.extend(started.values())
    return [run for run in runs if run is not None]


def _shared_diffs(
    *, app_id: int, valid: list[Segment], today: dt.date
) -> dict[int, engine.Diff] | None:
    """Apply every valid segment's changes from one pass; None if it failed.

    A failure rolls back the shared pass alone (a savepoint) and is logged:
    the caller then computes each segment on its own, which records each
    one's failure where it belongs. Transient errors propagate for a retry.
    """
    try:
        with transaction.atomic():
            return _apply_shared(app_id=app_id, segments=valid, today=today)
    except Exception as exc:
        if isinstance(exc, engine.TRANSIENT_ERRORS) and not is_statement_timeout(exc):
            raise
        logger.exception(
            "segments_shared_scan_failed app=%s segments=%s",
            app_id,
            [segment.pk for segment in valid],
        )
        return None


def _shared_scan(
    *, app_id: int, definitions: dict[int, dict], today: dt.date
) -> tuple[QuerySet, dict[int, str]]:
    """One queryset of the app's available customers with a boolean column
    per segment (its definition); return it and each segment's column."""
    columns = {segment_id: f"hit_{segment_id}" for segment_id in definitions}
    scan = rules.eligible_queryset(app=app_id, today=today).annotate(
        **{
            columns[segment_id]: ExpressionWrapper(
                rules.definition_q(definition, today=today),
                output_field=BooleanField(),
            )
            for segment_id, definition in definitions.items()
        }
    )
    return scan.values("customer_id", *columns.values()).order_by(), columns


def _apply_shared(
    *, app_id: int, segments: list[Segment], today: dt.date
) -> dict[int, engine.Diff]:
    """Apply the changes of several segments of one app from one scan."""
    eligible = app_statistics_eligible_count(app_id=app_id, today=today)
    definitions = {
        segment.pk: rules.definition_validate(segment.definition)
        for segment in segments
    }
    scan, columns = _shared_scan(app_id=app_id, definitions=definitions, today=today)
    if connection.vendor == "postgresql":
        return _apply_shared_postgresql(
            segments=segments,
            scan=scan,
            columns=columns,
            eligible=eligible,
            today=today,
        )
    return _apply_shared_generic(
        segments=segments, scan=scan, columns=columns, eligible=eligible
    )


def _apply_shared_postgresql(
    *,
    segments: list[Segment],
    scan: QuerySet,
    columns: dict[int, str],
    eligible: int,
    today: dt.date,
) -> dict[int, engine.Diff]:
    """One pass over the app's customers computes the digest of what each
    segment selects (``membership.digest``); a segment whose stored digest is
    the same is unchanged and its members are not read. The others are
    compared with their members as a recompute does (one full join each):
    after a data change, the daily run's work follows the segments it moved.
    """
    scan_sql, scan_params = scan.query.sql_with_params()
    # Each customer's hashes once, summed for every segment that selects it.
    hashes = [f"customer_hash_{seed}" for seed in digest.SEEDS]
    hashed = ", ".join(
        f"{expression} AS {name}"
        for expression, name in zip(
            digest.hashes_sql("scan.customer_id"), hashes, strict=True
        )
    )
    aggregates = ", ".join(
        digest.aggregates_sql("customer_id", where=columns[segment.pk], hashes=hashes)
        for segment in segments
    )
    with connection.cursor() as cursor:
        changes.postgresql_set_local(cursor, changes.POSTGRESQL_SETTINGS)
        cursor.execute(
            f"SELECT {aggregates} FROM (SELECT scan.*, {hashed} FROM ({scan_sql}) scan)"
            " hashed",
            scan_params,
        )
        row = cursor.fetchone()
    width = 1 + len(digest.SEEDS)
    diffs = {}
    for number, segment in enumerate(segments):
        selected = digest.from_row(row[number * width : (number + 1) * width])
        if Digest.parse(segment.member_digest) == selected:
            diffs[segment.pk] = engine.Diff(
                eligible=eligible,
                members=selected.count,
                joined=0,
                left=0,
                digest=selected,
            )
            continue
        with transaction.atomic():
            diffs[segment.pk] = engine._apply_diff(segment=segment, today=today)
        if diffs[segment.pk].digest is None:
            diffs[segment.pk] = replace(
                diffs[segment.pk], digest=_membership_digest(segment_id=segment.pk)
            )
    return diffs


def _membership_digest(*, segment_id: int) -> Digest:
    """The digest of the segment's stored members, read from them."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {digest.aggregates_sql('customer_id')}"
            f" FROM {changes.MEMBERSHIP_TABLE} WHERE segment_id = %s",
            [segment_id],
        )
        return digest.from_row(cursor.fetchone())


def _apply_shared_generic(
    *,
    segments: list[Segment],
    scan: QuerySet,
    columns: dict[int, str],
    eligible: int,
) -> dict[int, engine.Diff]:
    """The shared scan in portable SQL (SQLite): the scan's columns are kept
    in a temporary table, from which each segment's changes are applied."""
    before = dict(
        SegmentMembership.objects.filter(segment__in=segments)
        .values_list("segment")
        .annotate(count=Count("*"))
        .order_by()
    )
    scan_sql, scan_params = scan.query.sql_with_params()
    diffs = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE segment_scan AS {scan_sql}", scan_params
        )
        try:
            for segment in segments:
                joined, left = changes.apply_changes_generic(
                    segment_id=segment.pk,
                    matching=RawSQL(
                        f"SELECT customer_id FROM segment_scan"
                        f" WHERE {columns[segment.pk]}",
                        (),
                    ),
                )
                diffs[segment.pk] = engine.Diff(
                    eligible=eligible,
                    members=before.get(segment.pk, 0) + joined - left,
                    joined=joined,
                    left=left,
                )
        finally:
            cursor.execute("DROP TABLE segment_scan")
    return diffs

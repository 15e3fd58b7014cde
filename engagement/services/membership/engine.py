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
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.statement_timeout import is_statement_timeout
from customers.models import Customer
from engagement import rules
from engagement.models import Segment, SegmentMembership, SegmentRun
from engagement.services.app_statistics import app_statistics_eligible_count
from engagement.services.membership import changes
from engagement.services.membership.digest import Digest
from engagement.services.membership.lock import segment_recompute_lock

logger = logging.getLogger(__name__)

# Errors worth a retry: the database or its connection had a passing fault.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)

# An import that changed more customers than this share of the app's
# available ones (and more than the floor) is followed by full recomputes:
# one probe per changed customer then costs more than one pass over them all.
INCREMENTAL_MAX_SHARE = 0.1
INCREMENTAL_FLOOR = 1_000


@dataclass(frozen=True)
class Diff:
    eligible: int
    members: int
    joined: int
    left: int
    # The members' digest after the change; None when unknown.
    digest: Digest | None = None


def segment_recompute(
    *,
    segment_id: int,
    version: int,
    trigger: str = SegmentRun.Trigger.SUPPORT,
    today: dt.date | None = None,
    changed_since: dt.datetime | None = None,
) -> SegmentRun | None:
    """Apply the newest requested version of a segment's membership.

    Return the run, or None when there was nothing to do (the segment is gone
    or ``version`` is already applied). A failure is recorded on the run and
    the segment and the previous membership stays; transient database errors
    roll everything back and propagate, so the task retries.

    ``changed_since`` (an import's start) makes the update incremental: only
    the customers written since then are re-evaluated, when that gives
    exactly what a full recompute would (``_incremental_applies``); otherwise
    the recompute is full.
    """
    today = today or rules.evaluation_date()
    with transaction.atomic():
        segment_recompute_lock(segment_id=segment_id)
        segment = Segment.objects.select_related("app").filter(pk=segment_id).first()
        if segment is None or segment.version >= version:
            _log_skipped(segment_id=segment_id, version=version, segment=segment)
            return None
        if changed_since is not None and not (
            _incremental_applies(segment=segment, version=version, today=today)
            and _few_changed(segment=segment, since=changed_since)
        ):
            changed_since = None
        run = _run_start(
            segment=segment, trigger=trigger, incremental=changed_since is not None
        )
        diff = _applied(
            segment=segment,
            run=run,
            apply=partial(
                _apply_diff, segment=segment, today=today, changed_since=changed_since
            ),
        )
        if diff is not None:
            _run_finish(segment=segment, run=run, diff=diff, today=today)
    return run


def _incremental_applies(*, segment: Segment, version: int, today: dt.date) -> bool:
    """Whether re-evaluating only the changed customers gives the full result.

    Only when the one request since the applied version is this data change
    (a changed definition or another request in between needs everything
    again: a full recompute supersedes pending incremental work), the last
    computation succeeded, and it was for today (conditions that move with
    the calendar alone would be stale for the customers not re-evaluated).
    """
    return (
        segment.pending_version == version
        and segment.version == version - 1
        and segment.computed_for == today
        and segment.status in {Segment.Status.ACTIVE, Segment.Status.INACTIVE}
    )


def _few_changed(*, segment: Segment, since: dt.datetime) -> bool:
    """Whether few enough customers changed for an incremental update to pay
    (``INCREMENTAL_MAX_SHARE``); counted on the ``updated_at`` index."""
    limit = max(
        INCREMENTAL_FLOOR, INCREMENTAL_MAX_SHARE * (segment.eligible_count or 0)
    )
    return (
        Customer.objects.filter(updated_at__gte=since)[: int(limit) + 1].count()
        <= limit
    )


def _log_skipped(*, segment_id: int, version: int, segment: Segment | None) -> None:
    logger.info(
        "segment_recompute_skipped segment=%s version=%s applied=%s",
        segment_id,
        version,
        getattr(segment, "version", None),
    )


def _run_start(
    *,
    segment: Segment,
    trigger: str,
    incremental: bool = False,
    shared_scan: bool = False,
) -> SegmentRun:
    """The run of the segment's newest requested version, started now."""
    return SegmentRun(
        segment=segment,
        version=segment.pending_version,
        trigger=trigger,
        started_at=timezone.now(),
        incremental=incremental,
        shared_scan=shared_scan,
    )


def _applied(
    *, segment: Segment, run: SegmentRun, apply: Callable[[], Diff]
) -> Diff | None:
    """Run ``apply`` in a savepoint; record a failure and return None.

    Transient database errors propagate (the task retries); a statement that
    ran past the worker's timeout would only time out again, so it is a
    failure to record, not to retry.
    """
    try:
        with transaction.atomic():  # a savepoint: failures undo only this
            return apply()
    except TRANSIENT_ERRORS as exc:
        if not is_statement_timeout(exc):
            raise
        _record_crash(segment=segment, run=run, error=exc)
    except ValidationError as exc:
        _record_invalid(segment=segment, run=run, error=exc)
    except Exception as exc:
        _record_crash(segment=segment, run=run, error=exc)
    return None


def _run_finish(
    *, segment: Segment, run: SegmentRun, diff: Diff, today: dt.date
) -> None:
    """Record the applied version on the run and the segment.

    An incremental update leaves ``computed_at`` and ``computed_for`` as the
    last full recompute set them: the daily run still comes for it.
    """
    run.finished_at = timezone.now()
    run.eligible_count = diff.eligible
    run.member_count = diff.members
    run.joined = diff.joined
    run.left = diff.left
    run.save()
    small = diff.members < settings.SEGMENT_MIN_SIZE
    segment.version = run.version
    segment.member_count = diff.members
    segment.eligible_count = diff.eligible
    segment.status = Segment.Status.INACTIVE if small else Segment.Status.ACTIVE
    segment.last_error = ""
    segment.member_digest = diff.digest.text() if diff.digest else ""
    fields = [
        "version",
        "member_count",
        "eligible_count",
        "status",
        "last_error",
        "member_digest",
    ]
    if not run.incremental:
        segment.computed_at = run.finished_at
        segment.computed_for = today
        fields += ["computed_at", "computed_for"]
    segment.save(update_fields=fields)
    logger.info(
        "segment_recomputed segment=%s version=%s members=%s joined=%s left=%s"
        " incremental=%s shared_scan=%s seconds=%.3f",
        segment.pk,
        run.version,
        diff.members,
        diff.joined,
        diff.left,
        run.incremental,
        run.shared_scan,
        (run.finished_at - run.started_at).total_seconds(),
    )


def _record_invalid(
    *, segment: Segment, run: SegmentRun, error: ValidationError
) -> None:
    """The stored definition no longer validates (a rule tightened after it
    was saved, a row edited by support): a retry would fail the same way, so
    its problems are the recorded failure."""
    logger.warning(
        "segment_definition_invalid segment=%s version=%s problems=%r",
        segment.pk,
        run.version,
        error.messages,
    )
    _record_failure(segment=segment, run=run, error="\n".join(error.messages))


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


def _matching(
    *, segment: Segment, today: dt.date, changed_since: dt.datetime | None = None
) -> QuerySet:
    """The customer_id of every app customer the segment selects (of those
    written since ``changed_since``, when given)."""
    definition = rules.definition_validate(segment.definition)
    queryset = rules.segment_queryset(
        definition=definition, app=segment.app_id, today=today
    )
    if changed_since is not None:
        queryset = queryset.filter(customer__updated_at__gte=changed_since)
    return queryset.values("customer_id").order_by()


def _apply_diff(
    *, segment: Segment, today: dt.date, changed_since: dt.datetime | None = None
) -> Diff:
    eligible = app_statistics_eligible_count(app_id=segment.app_id, today=today)
    # A known digest counts the members exactly: no pass over them to count.
    known = Digest.parse(segment.member_digest)
    before = (
        known.count
        if known is not None
        else SegmentMembership.objects.filter(segment_id=segment.pk).count()
    )
    matching = _matching(segment=segment, today=today, changed_since=changed_since)
    changed = None
    if changed_since is not None:
        # Only the changed customers' rows can move: an index range over
        # ``Customer.updated_at``, whatever the size of the app.
        changed = (
            Customer.objects.filter(updated_at__gte=changed_since)
            .values("pk")
            .order_by()
        )
    if connection.vendor == "postgresql":
        joined, left, delta = changes.apply_changes_postgresql(
            segment=segment, matching=matching, among=changed
        )
    else:
        joined, left = changes.apply_changes_generic(
            segment_id=segment.pk, matching=matching, among=changed
        )
        delta = None
    return Diff(
        eligible=eligible,
        members=before + joined - left,
        joined=joined,
        left=left,
        digest=_digest_after(segment=segment, delta=delta),
    )


def _digest_after(*, segment: Segment, delta: Digest | None) -> Digest | None:
    """The stored digest moved by ``delta``; None if either is unknown."""
    before = Digest.parse(segment.member_digest)
    return before + delta if before is not None and delta is not None else None

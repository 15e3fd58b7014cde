"""Asking for segment recomputes: on a save, a Refresh, an import, daily, again.

Asking bumps ``Segment.pending_version`` with ``F()`` and enqueues
``(segment_id, version)`` when the transaction commits (design.md §5); the
engine (``membership.engine``) applies the newest requested version. A
publish the broker refuses is logged, never raised: a sweeper (beat, every
minute) asks again for every version still not applied a grace period after
its request, so no request is lost to the broker or a dead worker.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import formats, timezone
from kombu.exceptions import KombuError

from engagement.errors import SegmentError
from engagement.models import Segment, SegmentRun
from engagement.services.membership.lock import segments_recompute_lock_try

logger = logging.getLogger(__name__)

REFRESH_INTERVAL = dt.timedelta(minutes=5)
# A segment computed less than this long ago is not due for the daily run:
# a segment saved in the evening is not recomputed again at 02:00.
DAILY_MIN_AGE = dt.timedelta(hours=20)
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


def segments_request_recompute(
    *,
    segments: Iterable[Segment],
    trigger: str,
    changed_since: dt.datetime | None = None,
) -> int:
    """Ask for a recompute of each segment (one task each); return how many.

    The tasks are sent together when the transaction commits. Once the broker
    refuses one, the rest are not tried (each would wait for the broker
    again): they stay requested and the sweeper sends them. With
    ``changed_since`` each task may re-evaluate only the customers written
    since then (``segment_recompute``).
    """
    requests = _requested(segments=segments, trigger=trigger)
    _enqueue_on_commit(requests=requests, trigger=trigger, changed_since=changed_since)
    return len(requests)


def _requested(*, segments: Iterable[Segment], trigger: str) -> list[tuple[int, int]]:
    """Bump each segment's requested version; return (segment id, version)s."""
    return [
        (
            segment.pk,
            segment_request_recompute(segment=segment, trigger=trigger, enqueue=False),
        )
        for segment in segments
    ]


def _enqueue_on_commit(
    *,
    requests: list[tuple[int, int]],
    trigger: str,
    changed_since: dt.datetime | None = None,
) -> None:
    """Send a recompute task per (segment id, version) after the commit."""
    if requests:
        transaction.on_commit(
            partial(
                _enqueue,
                requests=requests,
                trigger=trigger,
                changed_since=changed_since,
            )
        )


def _enqueue(
    *,
    requests: list[tuple[int, int]],
    trigger: str,
    changed_since: dt.datetime | None = None,
) -> None:
    from engagement.tasks.segments import segment_recompute_task

    since = {"changed_since": changed_since.isoformat()} if changed_since else {}
    _send(
        [
            (
                f"segment={segment_id} version={version}",
                partial(
                    segment_recompute_task.apply_async,
                    (segment_id, version, trigger),
                    since,
                ),
            )
            for segment_id, version in requests
        ],
        trigger=trigger,
    )


def _send(sends: list[tuple[str, Callable[[], object]]], *, trigger: str) -> None:
    """Call each (what, publish); stop at the first the broker refuses."""
    for sent, (what, send) in enumerate(sends):
        try:
            send()
        except BROKER_ERRORS as error:
            # The transaction is committed: raising would only turn a saved
            # request into an error page. The sweeper sends it later.
            logger.warning(
                "segment_enqueue_failed %s trigger=%s unsent=%s error=%s",
                what,
                trigger,
                len(sends) - sent,
                error,
            )
            return


def segments_request_recompute_for_apps(
    *, app_ids: Iterable[int], trigger: str, changed_since: dt.datetime | None = None
) -> int:
    """Ask for a recompute of every segment of these apps, whose customer data
    changed (an import) since ``changed_since``."""
    segments = Segment.objects.filter(app_id__in=app_ids).order_by("pk")
    return segments_request_recompute(
        segments=segments, trigger=trigger, changed_since=changed_since
    )


def segments_request_due(*, now: dt.datetime | None = None) -> int:
    """Ask for the daily recompute of every due segment, oldest first.

    Due: never computed, or computed more than ``DAILY_MIN_AGE`` ago. One
    task per app computes that app's due segments in one scan of its
    customers (``segments_recompute_shared``).
    """
    now = now or timezone.now()
    due = (
        Segment.objects.filter(
            Q(computed_at__isnull=True) | Q(computed_at__lt=now - DAILY_MIN_AGE)
        )
        .order_by(F("computed_at").asc(nulls_first=True), "pk")
        .only("pk", "app_id", "pending_version")
    )
    trigger = SegmentRun.Trigger.SCHEDULE
    by_app: dict[int, list[Segment]] = {}
    for segment in due:
        by_app.setdefault(segment.app_id, []).append(segment)
    batches = [
        (app_id, _requested(segments=segments, trigger=trigger))
        for app_id, segments in by_app.items()
    ]
    if batches:
        transaction.on_commit(partial(_enqueue_shared, batches=batches))
    count = sum(len(requests) for _app_id, requests in batches)
    logger.info("segments_daily_enqueued count=%s apps=%s", count, len(batches))
    return count


def _enqueue_shared(*, batches: list[tuple[int, list[tuple[int, int]]]]) -> None:
    from engagement.tasks.segments import segments_recompute_app_task

    trigger = SegmentRun.Trigger.SCHEDULE
    _send(
        [
            (
                f"app={app_id} segments={len(requests)}",
                partial(
                    segments_recompute_app_task.apply_async,
                    (app_id, requests, trigger),
                ),
            )
            for app_id, requests in batches
        ],
        trigger=trigger,
    )


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
    # Taken for this transaction only; refused while a recompute runs.
    stalled = segments_recompute_lock_try(stalled)[:SWEEP_LIMIT]
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
            time=formats.time_format(timezone.localtime(next_at), "H:i T"),
            next_at=next_at,
        )
    segment.refresh_requested_at = now
    return segment_request_recompute(
        segment=segment, trigger=SegmentRun.Trigger.REFRESH
    )

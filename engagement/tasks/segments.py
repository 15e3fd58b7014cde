"""Celery tasks of the segment membership engine: ids in, one service call.

Fan-out is one task per segment (saves, Refresh, imports) or per app (the
daily run, one scan of the app for all its due segments), so more workers on
more machines compute more segments at once.
"""

import datetime as dt

from celery import shared_task
from kombu.exceptions import OperationalError as BrokerError

from engagement.services import membership

RETRY = {
    "autoretry_for": (*membership.TRANSIENT_ERRORS, BrokerError),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}

# A recompute of a 1M-row app takes seconds; minutes mean something is stuck.
# The Redis broker's visibility_timeout (REDIS_BROKER_TRANSPORT_OPTIONS in
# config/settings.py, 30 min) must stay above the hard limit plus the longest
# retry countdown (RETRY's retry_backoff_max, 10 min): a task is unacknowledged
# from its delivery (a retry is delivered when sent, then waits for its
# countdown) until it ends, and Redis hands one older than the timeout to
# another worker while it still runs.
RECOMPUTE_SOFT_TIME_LIMIT = 15 * 60
RECOMPUTE_TIME_LIMIT = 16 * 60


@shared_task(
    acks_late=True,
    soft_time_limit=RECOMPUTE_SOFT_TIME_LIMIT,
    time_limit=RECOMPUTE_TIME_LIMIT,
    **RETRY,
)
def segment_recompute_task(
    segment_id: int, version: int, trigger: str, changed_since: str | None = None
) -> None:
    """Apply version ``version`` (or newer) of one segment's membership.

    A stale or redelivered task (the version is applied) changes nothing.
    ``changed_since`` (ISO 8601, an import's start) lets it re-evaluate only
    the customers written since then.
    """
    membership.segment_recompute(
        segment_id=segment_id,
        version=version,
        trigger=trigger,
        changed_since=dt.datetime.fromisoformat(changed_since)
        if changed_since
        else None,
    )


@shared_task(
    acks_late=True,
    soft_time_limit=RECOMPUTE_SOFT_TIME_LIMIT,
    time_limit=RECOMPUTE_TIME_LIMIT,
    **RETRY,
)
def segments_recompute_app_task(
    app_id: int, requests: list[list[int]], trigger: str
) -> None:
    """Apply the requested versions of one app's due segments in one scan.

    ``requests`` are ``[segment id, version]`` pairs (the daily run).
    """
    membership.segments_recompute_shared(
        app_id=app_id,
        requests=[(segment_id, version) for segment_id, version in requests],
        trigger=trigger,
    )


@shared_task(acks_late=True, soft_time_limit=5 * 60, time_limit=6 * 60, **RETRY)
def segments_recompute_due() -> int:
    """Daily: enqueue one recompute task per due segment, oldest first."""
    return membership.segments_request_due()


@shared_task(acks_late=True, soft_time_limit=5 * 60, time_limit=6 * 60, **RETRY)
def segments_recompute_stalled() -> int:
    """Every minute (beat): enqueue again the recomputes whose task was lost."""
    return membership.segments_request_stalled()

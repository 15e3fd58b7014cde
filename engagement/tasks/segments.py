"""Celery tasks of the segment membership engine: ids in, one service call.

Fan-out is one task per segment, so more workers on more machines compute
more segments at once.
"""

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


@shared_task(
    acks_late=True,
    # A recompute of a 1M-row app takes seconds; minutes mean something is stuck.
    soft_time_limit=15 * 60,
    time_limit=16 * 60,
    **RETRY,
)
def segment_recompute_task(segment_id: int, version: int, trigger: str) -> None:
    """Apply version ``version`` (or newer) of one segment's membership."""
    membership.segment_recompute(
        segment_id=segment_id, version=version, trigger=trigger
    )


@shared_task(acks_late=True, soft_time_limit=5 * 60, time_limit=6 * 60, **RETRY)
def segments_recompute_due() -> int:
    """Daily: enqueue one recompute task per due segment, oldest first."""
    return membership.segments_request_due()

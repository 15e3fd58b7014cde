"""Celery tasks of the delivery (``notifications.services.delivery``).

Every task is safe to run twice and to be redelivered after its worker died
(``acks_late`` with ``reject_on_worker_lost``, set for all tasks): a start
takes a notification that is still scheduled, a batch posts only the
deliveries its own claims took from pending.
"""

from __future__ import annotations

import atexit
import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from engagement.services.membership.requests import BROKER_ERRORS
from engagement.tasks.segments import RETRY
from notifications import wns
from notifications.services import delivery

logger = logging.getLogger(__name__)

_client: wns.WnsClient | None = None


def wns_client() -> wns.WnsClient:
    """The process's WNS client: its connections and tokens last between
    batches."""
    global _client
    if _client is None:
        _client = wns.WnsClient(token_url=settings.WNS_TOKEN_URL)
        atexit.register(_client.close)
    return _client


def _batches_enqueue(notification_id: int, batches) -> None:
    for low, high in batches:
        notification_deliver_task.apply_async((notification_id, low, high))


def notification_start_enqueue(*, notification_id: int) -> None:
    """Ask a worker to start a due notification; a broker that is down is
    logged, and the sweeper starts it within a minute."""
    try:
        notification_start_task.apply_async((notification_id,))
    except BROKER_ERRORS as error:
        logger.warning(
            "notification_start_enqueue_failed notification=%s error=%s",
            notification_id,
            error,
        )


@shared_task(soft_time_limit=300, time_limit=330, **RETRY)
def notification_start_task(notification_id: int) -> int:
    """Freeze a due notification's audience and send its batches."""
    started = delivery.notification_start(notification_id=notification_id)
    if started is None:
        return 0
    _batches_enqueue(notification_id, started.batches)
    return started.channels


@shared_task(bind=True, soft_time_limit=600, time_limit=630, **RETRY)
def notification_deliver_task(self, notification_id: int, low: int, high: int) -> int:
    """Post one batch of deliveries; come back for its retries."""
    posted = delivery.deliveries_post(
        notification_id=notification_id, low=low, high=high, client=wns_client()
    )
    # Back for the retries when they are due; a run that posted nothing
    # (woken early) leaves them to the sweeper, which sends lost batches.
    if posted.again_at is not None and posted.posts:
        countdown = max((posted.again_at - timezone.now()).total_seconds(), 1)
        notification_deliver_task.apply_async(
            (notification_id, low, high), countdown=countdown
        )
    return posted.posts


@shared_task(soft_time_limit=120, time_limit=150, **RETRY)
def notifications_sweep_task() -> dict:
    """Every minute (beat): start the due notifications, settle abandoned
    claims, send lost batches again, complete what is done."""
    swept = delivery.notifications_sweep()
    for notification_id in swept.due:
        notification_start_enqueue(notification_id=notification_id)
    for notification_id, low, high in swept.lost_batches:
        notification_deliver_task.apply_async((notification_id, low, high))
    return {
        "due": len(swept.due),
        "unknown": swept.unknown,
        "lost_batches": len(swept.lost_batches),
        "completed": swept.completed,
    }

"""Celery task of the live estimate: building an app's sample table."""

import datetime as dt

from celery import shared_task

from engagement.services.estimate_sample import estimate_sample_build
from engagement.tasks.segments import RETRY


@shared_task(acks_late=True, soft_time_limit=5 * 60, time_limit=6 * 60, **RETRY)
def estimate_sample_build_task(app_id: int, today: str) -> int | None:
    """Build the app's sample for ``today`` (ISO date) unless it is current,
    as an estimate of that day asked."""
    return estimate_sample_build(app_id=app_id, today=dt.date.fromisoformat(today))

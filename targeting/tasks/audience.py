"""Celery task publishing the private apps whose date has come."""

from celery import shared_task

from engagement.tasks.segments import RETRY
from targeting.services import audience


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90, **RETRY)
def audience_publish_due() -> int:
    """Every minute (beat): publish the private apps that are due."""
    return audience.audience_publish_due()

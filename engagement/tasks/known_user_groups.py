"""Celery task linking known user group addresses to customers who changed."""

from celery import shared_task

from engagement.services import known_user_group_linking
from engagement.tasks.segments import RETRY


@shared_task(acks_late=True, soft_time_limit=5 * 60, time_limit=6 * 60, **RETRY)
def known_user_groups_link_changed() -> int:
    """Every minute (beat): link customers imported or authenticated since."""
    return known_user_group_linking.known_user_groups_link_changed()

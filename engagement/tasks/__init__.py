"""Celery tasks of customer groups (autodiscovered as ``engagement.tasks``)."""

from engagement.tasks import known_user_groups, segments  # noqa: F401

"""Celery tasks of customer groups (autodiscovered as ``engagement.tasks``)."""

from engagement.tasks import estimates, known_user_groups, segments  # noqa: F401

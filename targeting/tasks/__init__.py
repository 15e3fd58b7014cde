"""Celery tasks of targeting (autodiscovered as ``targeting.tasks``)."""

from targeting.tasks import audience  # noqa: F401

"""Beat schedules that data migrations create (django-celery-beat's
database scheduler): a periodic task on a crontab or an interval.

Kept beside the migrations rather than in the app, so that a migration runs
the same code whatever the app becomes; Django does not load modules whose
name starts with "_" as migrations.
"""

from collections.abc import Callable


def periodic_task(
    *,
    name: str,
    task: str,
    description: str,
    crontab: dict | None = None,
    interval: dict | None = None,
    **options,
) -> tuple[Callable, Callable]:
    """Return the RunPython pair that creates the periodic task ``name``
    (unless it exists: support staff may have changed it since) and deletes
    it."""

    def create(apps, schema_editor):
        schedule = {}
        if crontab is not None:
            model = apps.get_model("django_celery_beat", "CrontabSchedule")
            schedule["crontab"], _ = model.objects.get_or_create(**crontab)
        if interval is not None:
            model = apps.get_model("django_celery_beat", "IntervalSchedule")
            schedule["interval"], _ = model.objects.get_or_create(**interval)
        apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
            name=name,
            defaults={"task": task, "description": description, **schedule, **options},
        )

    def delete(apps, schema_editor):
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
            name=name
        ).delete()

    return create, delete

"""The daily recompute of every segment at 02:00 UTC, as a beat entry.

Support staff change the time (or switch it off) in the admin under
Periodic tasks; Celery beat runs with django-celery-beat's database
scheduler and picks the change up without a restart.
"""

from django.db import migrations

TASK_NAME = "Recompute segments daily"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="2",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "engagement.tasks.segments.segments_recompute_due",
            "crontab": crontab,
            "description": "Enqueue one recompute per segment not computed today, "
            "oldest first.",
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=TASK_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0002_segment_templates"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]

"""The daily recompute of every segment at 02:00 UTC, as a beat entry.

Support staff change the time (or switch it off) in the admin under
Periodic tasks; Celery beat runs with django-celery-beat's database
scheduler and picks the change up without a restart.
"""

from django.db import migrations

from engagement.migrations._beat import periodic_task

create_schedule, delete_schedule = periodic_task(
    name="Recompute segments daily",
    task="engagement.tasks.segments.segments_recompute_due",
    crontab={
        "minute": "0",
        "hour": "2",
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
        "timezone": "UTC",
    },
    description="Enqueue one recompute per segment not computed today, "
    "oldest first.",
)


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0002_segment_templates"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]

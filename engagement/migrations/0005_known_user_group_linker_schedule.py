"""Link known user group addresses to customers who changed, every minute.

Saving a group links its addresses at once; this catches customers who were
imported or became authenticated later. Support staff can change the
interval in the admin under Periodic tasks.
"""

from django.db import migrations

TASK_NAME = "Link known user groups to changed customers"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "engagement.tasks.known_user_groups.known_user_groups_link_changed",
            "interval": every_minute,
            "description": "Link addresses to customers imported or authenticated "
            "since the last pass.",
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=TASK_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("engagement", "0004_known_user_groups")]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]

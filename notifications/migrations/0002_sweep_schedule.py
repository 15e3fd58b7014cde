from django.db import migrations

from engagement.migrations._beat import periodic_task

create_schedule, delete_schedule = periodic_task(
    name="Send due notifications and settle their deliveries",
    task="notifications.tasks.notifications_sweep_task",
    interval={"every": 1, "period": "minutes"},
    description=(
        "Starts the scheduled notifications whose time has come, settles "
        "deliveries a dead worker left claimed, and sends lost batches again."
    ),
)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_notifications"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]

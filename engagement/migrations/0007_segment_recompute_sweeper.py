"""The segment sweeper: when a recompute was asked for, and a beat entry
that asks again, every minute, for the ones whose task was lost.

Support staff change the interval (or switch it off) in the admin under
Periodic tasks, like the other schedules.
"""

from django.db import migrations, models

from engagement.migrations._beat import periodic_task

create_schedule, delete_schedule = periodic_task(
    name="Ask again for stalled segment recomputes",
    task="engagement.tasks.segments.segments_recompute_stalled",
    interval={"every": 1, "period": "minutes"},
    # A sweep that waited a minute behind other tasks is dropped: the next
    # one is on its way, and a busy queue is no lost task.
    expire_seconds=60,
    description="Enqueue again every segment recompute requested more than "
    "SEGMENT_SWEEP_GRACE_SECONDS ago and still not applied (its task was lost "
    "to a broker outage or a killed worker), and every segment never computed.",
)


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0006_name_taken_code"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="segment",
            name="recompute_requested_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="recompute requested at"
            ),
        ),
        migrations.AlterField(
            model_name="segmentrun",
            name="trigger",
            field=models.CharField(
                choices=[
                    ("save", "Saved"),
                    ("schedule", "Daily schedule"),
                    ("import", "Customer data import"),
                    ("refresh", "Refresh"),
                    ("support", "Support"),
                    ("retry", "Retry"),
                ],
                default="save",
                max_length=10,
                verbose_name="trigger",
            ),
        ),
        migrations.AddIndex(
            model_name="segment",
            index=models.Index(
                condition=models.Q(
                    ("pending_version__gt", models.F("version")),
                    ("pending_version", 0),
                    _connector="OR",
                ),
                fields=["recompute_requested_at"],
                name="segment_recompute_pending_idx",
            ),
        ),
        migrations.RunPython(create_schedule, delete_schedule),
    ]

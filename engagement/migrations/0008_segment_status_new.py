"""Status "calculating" becomes "new": it meant "never computed".

Whether a later recompute is in flight is ``Segment.recompute_pending``; the
partner still sees "Computing" for a new segment.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("engagement", "0007_segment_recompute_sweeper"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="segment",
            name="segment_status_valid",
        ),
        migrations.RunSQL(
            "UPDATE engagement_segment SET status = 'new' WHERE status = 'calculating'",
            reverse_sql=(
                "UPDATE engagement_segment SET status = 'calculating' "
                "WHERE status = 'new'"
            ),
        ),
        migrations.AlterField(
            model_name="segment",
            name="status",
            field=models.CharField(
                choices=[
                    ("new", "Computing"),
                    ("active", "Active"),
                    ("inactive", "Inactive"),
                    ("failed", "Failed"),
                ],
                db_index=True,
                default="new",
                max_length=12,
                verbose_name="status",
            ),
        ),
        migrations.AddConstraint(
            model_name="segment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["new", "active", "inactive", "failed"])
                ),
                name="segment_status_valid",
            ),
        ),
    ]

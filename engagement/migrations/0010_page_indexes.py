"""Indexes the segment page and the groups table read (issue 12, point 3).

EXPLAIN on 200 groups a partner and ~100 runs a segment (issue 12's note,
explain.md): the history chart read every run of the segment and sorted it;
the "awaited" test scanned every run of a segment with a recompute pending.
Both now read one index range. Partial indexes: SQLite has them too.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('engagement', '0009_app_statistics'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='segmentrun',
            index=models.Index(condition=models.Q(('error', ''), ('member_count__isnull', False)), fields=['segment', '-started_at'], name='segmentrun_success_idx'),
        ),
        migrations.AddIndex(
            model_name='segmentrun',
            index=models.Index(condition=models.Q(('finished_at__isnull', False)), fields=['segment', 'version'], name='segmentrun_finished_idx'),
        ),
    ]

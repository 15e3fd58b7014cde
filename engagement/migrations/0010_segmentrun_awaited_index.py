"""The index of the "awaited" test (issue 12, point 3).

Whether a requested computation is still awaited is asked by the groups
table (per row on the page), the segment page and its row (every 2 s while
it is). EXPLAIN (issue 12's note, explain.md): it read every run of the
segment (1,100 runs: 1.0 ms); it now reads one range of this partial index
(0.014 ms, an index-only scan). SQLite has partial indexes too.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('engagement', '0009_app_statistics'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='segmentrun',
            index=models.Index(condition=models.Q(('finished_at__isnull', False)), fields=['segment', 'version'], name='segmentrun_finished_idx'),
        ),
    ]

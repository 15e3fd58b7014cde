"""AppStatistics: the available app customers, stored where every process reads it.

It replaces a per-process local-memory cache, which an import cleared in its
own process only (issue 9, item 6).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0001_initial'),
        ('engagement', '0008_segment_status_new'),
    ]

    operations = [
        migrations.CreateModel(
            name='AppStatistics',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('eligible_count', models.PositiveIntegerField(blank=True, null=True, verbose_name='available app customers')),
                ('computed_on', models.DateField(blank=True, null=True, verbose_name='computed for')),
                ('computed_at', models.DateTimeField(blank=True, null=True, verbose_name='computed at')),
                ('customers_version', models.PositiveIntegerField(default=0, verbose_name='customer data version')),
                ('app', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='statistics', to='customers.app', verbose_name='app')),
            ],
            options={
                'verbose_name': 'app statistics',
                'verbose_name_plural': 'app statistics',
            },
        ),
    ]

"""Package flights and app audiences, and the beat entry that publishes
scheduled private apps every minute (support staff can change the interval
in the admin under Periodic tasks)."""

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
import targeting.errors
import targeting.models.flights
from django.db import migrations, models

from engagement.migrations._beat import periodic_task

create_schedule, delete_schedule = periodic_task(
    name="Publish private apps that are due",
    task="targeting.tasks.audience.audience_publish_due",
    interval={"every": 1, "period": "minutes"},
    description="Make public the private apps whose make-public date has passed.",
)


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0001_initial'),
        ('engagement', '0009_app_statistics'),
        ('targeting', '0001_offers'),
        ('django_celery_beat', '0019_alter_periodictasks_options'),
    ]

    operations = [
        migrations.CreateModel(
            name='AppAudience',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('private', models.BooleanField(default=False, verbose_name='private')),
                ('make_public_at', models.DateTimeField(blank=True, null=True, verbose_name='make public on')),
                ('published_at', models.DateTimeField(blank=True, null=True, verbose_name='published at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('app', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='audience', to='customers.app', verbose_name='app')),
                ('groups', models.ManyToManyField(blank=True, related_name='audiences', to='engagement.knownusergroup', verbose_name='known user groups')),
            ],
            options={
                'verbose_name': 'app audience',
                'verbose_name_plural': 'app audiences',
                'indexes': [models.Index(condition=models.Q(('private', True)), fields=['make_public_at'], name='appaudience_due_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('private', True), ('published_at__isnull', False), _negated=True), name='appaudience_published_not_private'), models.CheckConstraint(condition=models.Q(('private', True), ('make_public_at__isnull', True), _connector='OR'), name='appaudience_schedule_only_private')],
            },
        ),
        migrations.CreateModel(
            name='Flight',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='flight name')),
                ('version', models.CharField(max_length=23, validators=[targeting.models.flights.version_validate], verbose_name='package version')),
                ('rollout_percentage', models.PositiveSmallIntegerField(default=100, validators=[targeting.models.flights.rollout_validate], verbose_name='rollout percentage')),
                ('rank', models.PositiveIntegerField(verbose_name='rank')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('app', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='flights', to='customers.app', verbose_name='app')),
                ('groups', models.ManyToManyField(related_name='flights', to='engagement.knownusergroup', verbose_name='known user groups')),
            ],
            options={
                'verbose_name': 'package flight',
                'verbose_name_plural': 'package flights',
                'ordering': ['app', '-rank'],
                'constraints': [models.UniqueConstraint(models.F('app'), django.db.models.functions.text.Lower('name'), name='flight_app_name_uniq', violation_error_code=targeting.errors.FlightError['NAME_TAKEN'], violation_error_message='This app already has a flight with this name.'), models.UniqueConstraint(fields=('app', 'rank'), name='flight_app_rank_uniq'), models.CheckConstraint(condition=models.Q(('rank__gt', 1)), name='flight_rank_above_package'), models.CheckConstraint(condition=models.Q(('rollout_percentage__gte', 1), ('rollout_percentage__lte', 100)), name='flight_rollout_percentage_range'), models.CheckConstraint(condition=django.db.models.lookups.GreaterThan(django.db.models.functions.text.Length(django.db.models.functions.text.Trim('name')), 0), name='flight_name_not_blank')],
            },
        ),
        migrations.RunPython(create_schedule, delete_schedule),
    ]

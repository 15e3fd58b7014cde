"""Each app customer gets a random sample key (the live estimate's sample).

Existing rows get their own random key, in batches of ids so that a large
table is not rewritten in one statement; the index is built after the fill.
"""

from django.db import migrations, models

import customers.models

BATCH = 50_000


def _random_key_sql(vendor: str) -> str:
    """SQL drawing a key uniformly in [0, 2**31) for each row."""
    if vendor == "postgresql":
        return "floor(random() * 2147483648)::integer"
    # SQLite's random() is a uniform 64-bit integer.
    return "(random() & 2147483647)"


def fill_sample_keys(apps, schema_editor):
    AppCustomer = apps.get_model("customers", "AppCustomer")
    connection = schema_editor.connection
    table = connection.ops.quote_name(AppCustomer._meta.db_table)
    bounds = AppCustomer.objects.aggregate(
        low=models.Min("pk"), high=models.Max("pk")
    )
    if bounds["low"] is None:
        return
    key = _random_key_sql(connection.vendor)
    with connection.cursor() as cursor:
        for first in range(bounds["low"], bounds["high"] + 1, BATCH):
            cursor.execute(
                f"UPDATE {table} SET sample_key = {key} WHERE id >= %s AND id < %s",
                [first, first + BATCH],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_partner_time_zone"),
    ]

    operations = [
        migrations.AddField(
            model_name="appcustomer",
            name="sample_key",
            field=models.IntegerField(
                default=0,
                editable=False,
                help_text="Random, for the live estimate's sample.",
                verbose_name="sample key",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_sample_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="appcustomer",
            name="sample_key",
            field=models.IntegerField(
                default=customers.models.sample_key_draw,
                editable=False,
                help_text="Random, for the live estimate's sample.",
                verbose_name="sample key",
            ),
        ),
        migrations.AddIndex(
            model_name="appcustomer",
            index=models.Index(
                fields=["app", "sample_key"], name="appcustomer_app_sample_idx"
            ),
        ),
    ]

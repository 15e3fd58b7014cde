"""Link known user group addresses to customers who changed, every minute.

Saving a group links its addresses at once; this catches customers who were
imported or became authenticated later. Support staff can change the
interval in the admin under Periodic tasks.
"""

from django.db import migrations

from engagement.migrations._beat import periodic_task

create_schedule, delete_schedule = periodic_task(
    name="Link known user groups to changed customers",
    task="engagement.tasks.known_user_groups.known_user_groups_link_changed",
    interval={"every": 1, "period": "minutes"},
    description="Link addresses to customers imported or authenticated "
    "since the last pass.",
)


class Migration(migrations.Migration):
    dependencies = [("engagement", "0004_known_user_groups")]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]

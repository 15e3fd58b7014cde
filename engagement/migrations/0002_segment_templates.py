"""The segment templates of product.md §3, as data.

Names and descriptions are marked for translation here and translated when
shown (the database keeps the English source text).
"""

from django.db import migrations
from django.utils.translation import gettext_noop as _

TEMPLATES = [
    (
        "big-spenders",
        _("Big spenders"),
        _("Customers who spent more than $50 in the Store."),
        [{"attribute": "store_spend", "operator": "gt", "value": 50}],
    ),
    (
        "young-adults",
        _("Young adults"),
        _("Customers aged 18 to 34."),
        [{"attribute": "age_group", "operator": "in", "value": ["18-24", "25-34"]}],
    ),
    (
        "at-risk-of-churning",
        _("At risk of churning"),
        _("Customers the churn prediction rates at high risk."),
        [{"attribute": "churn_risk", "operator": "is", "value": "high"}],
    ),
    (
        "lapsed-users",
        _("Lapsed users"),
        _("Customers who have not used the app in the last 30 days."),
        [{"attribute": "last_active_date", "operator": "not_in_last_days", "value": 30}],
    ),
    (
        "happy-raters",
        _("Happy raters"),
        _("Customers who rated the app 4 or 5."),
        [{"attribute": "rating", "operator": "gte", "value": 4}],
    ),
    (
        "new-customers",
        _("New customers"),
        _("Customers who acquired the app in the last 30 days."),
        [{"attribute": "acquisition_date", "operator": "in_last_days", "value": 30}],
    ),
]


def create_templates(apps, schema_editor):
    SegmentTemplate = apps.get_model("engagement", "SegmentTemplate")
    for position, (slug, name, description, conditions) in enumerate(TEMPLATES):
        SegmentTemplate.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "definition": {"version": 1, "any": [{"all": conditions}]},
                "position": position,
            },
        )


def delete_templates(apps, schema_editor):
    SegmentTemplate = apps.get_model("engagement", "SegmentTemplate")
    SegmentTemplate.objects.filter(slug__in=[t[0] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("engagement", "0001_initial")]

    operations = [migrations.RunPython(create_templates, delete_templates)]

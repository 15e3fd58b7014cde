"""Data migrations move stored rows, forwards and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("engagement", "0007_segment_recompute_sweeper")]
AFTER = [("engagement", "0008_segment_status_new")]


def migrate(targets):
    """Migrate the test database to ``targets``; the models as they were then."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_calculating_becomes_new_and_back():
    old = migrate(BEFORE)
    partner = old.get_model("customers", "Partner").objects.create(name="P")
    app = old.get_model("customers", "App").objects.create(
        partner=partner, name="A", store_product_id="9NBLGGH4NNS1"
    )
    segment = old.get_model("engagement", "Segment").objects.create(
        partner=partner,
        app=app,
        kind="segment",
        name="S",
        definition={},
        status="calculating",
    )
    new = migrate(AFTER)
    assert (
        new.get_model("engagement", "Segment").objects.get(pk=segment.pk).status
        == "new"
    )
    old = migrate(BEFORE)
    row = old.get_model("engagement", "Segment").objects.get(pk=segment.pk)
    assert row.status == "calculating"
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

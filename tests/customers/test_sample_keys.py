"""Every app customer gets a random sample key: new rows, the demo seed's
rows (COPY or bulk_create), and the rows that existed before the column."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from customers.demo import demo_data_seed
from customers.models import SAMPLE_KEY_RANGE, AppCustomer
from tests.factories import AppCustomerFactory

BEFORE = [("customers", "0002_partner_time_zone")]
AFTER = [("customers", "0003_app_customer_sample_key")]


@pytest.mark.django_db
def test_new_app_customers_draw_their_own_keys(app):
    keys = {AppCustomerFactory(app=app).sample_key for _ in range(20)}
    assert len(keys) == 20
    assert all(0 <= key < SAMPLE_KEY_RANGE for key in keys)


@pytest.mark.django_db
def test_the_demo_seed_draws_keys_from_its_seed():
    def keys(seed):
        demo_data_seed(customers=300, apps=1, seed=seed, today=dt.date(2026, 6, 1))
        return list(
            AppCustomer.objects.order_by("pk").values_list("sample_key", flat=True)
        )

    first = keys(5)
    assert len(set(first)) == len(first)
    assert all(0 <= key < SAMPLE_KEY_RANGE for key in first)
    # Uniform: about half below the middle.
    assert 0.4 < sum(key < SAMPLE_KEY_RANGE // 2 for key in first) / len(first) < 0.6
    assert keys(5) == first  # the same seed, the same keys
    assert keys(6) != first


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_rows_random_keys():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    partner = old.get_model("customers", "Partner").objects.create(name="P")
    app = old.get_model("customers", "App").objects.create(
        partner=partner, name="A", store_product_id="9NBLGGH4NNS1"
    )
    Customer = old.get_model("customers", "Customer")
    OldAppCustomer = old.get_model("customers", "AppCustomer")
    for i in range(30):
        customer = Customer.objects.create(email=f"c{i}@example.com", market="US")
        OldAppCustomer.objects.create(
            app=app,
            customer=customer,
            acquired_on=dt.date(2026, 1, 1),
            acquisition_type="free",
            platform="windows11",
        )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    keys = list(
        AppCustomer.objects.filter(app_id=app.pk).values_list("sample_key", flat=True)
    )
    assert len(keys) == 30 and len(set(keys)) == 30
    assert all(0 <= key < SAMPLE_KEY_RANGE for key in keys)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

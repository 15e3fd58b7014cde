"""customers.bulk: set-based deletes and the prefetching of rows to load."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers import bulk
from customers.models import App, AppCustomer, Customer
from engagement.models import SegmentMembership
from engagement.services.known_user_groups import known_user_group_create
from engagement.services.segments import segment_create
from notifications.models import Channel
from tests.factories import SPEND_OVER_10, AppCustomerFactory, CustomerFactory


def spenders(*, partner, app):
    """A segment of ``app``, never computed: its memberships are written here."""
    return segment_create(
        partner=partner,
        app=app,
        name="Spenders",
        definition=SPEND_OVER_10,
        user=None,
        enqueue=False,
    )


def _email_like(suffix: str) -> dict:
    return {
        "where": f"{connection.ops.quote_name('email')} LIKE %s",
        "params": [f"%{suffix}"],
        "using": "default",
    }


@pytest.mark.django_db
def test_deleting_rows_takes_along_what_references_them_and_nothing_else(partner, app):
    kept = CustomerFactory(email="kept@mail.example")
    gone = CustomerFactory(email="gone@mail.demo.example")
    for customer in (kept, gone):
        AppCustomerFactory(app=app, customer=customer)
    segment = spenders(partner=partner, app=app)
    for customer in (kept, gone):
        SegmentMembership.objects.create(segment=segment, customer=customer)
    group = known_user_group_create(
        partner=partner, name="Listed", addresses=[kept.email, gone.email], user=None
    )
    assert group.addresses.filter(customer__isnull=False).count() == 2

    assert bulk.rows_delete(model=Customer, **_email_like(".demo.example")) == 1

    assert list(Customer.objects.values_list("email", flat=True)) == [kept.email]
    assert list(AppCustomer.objects.values_list("customer_id", flat=True)) == [kept.pk]
    assert list(segment.memberships.values_list("customer_id", flat=True)) == [kept.pk]
    # A listed address stays listed: it only loses its account (SET_NULL).
    assert dict(group.addresses.values_list("email", "customer_id")) == {
        kept.email: kept.pk,
        gone.email: None,
    }


@pytest.mark.django_db
def test_deleting_rows_that_a_protecting_relation_refers_to_deletes_nothing(
    partner, app
):
    AppCustomerFactory(app=app)
    spenders(partner=partner, app=app)
    where = f"{connection.ops.quote_name('id')} = %s"
    with pytest.raises(RuntimeError, match=r"Segment\.app"), transaction.atomic():
        bulk.rows_delete(model=App, where=where, params=[app.pk], using="default")
    assert App.objects.filter(pk=app.pk).exists()
    assert AppCustomer.objects.filter(app=app).exists()


@pytest.mark.django_db
def test_deleting_no_row_changes_nothing():
    customer = CustomerFactory()
    assert bulk.rows_delete(model=Customer, **_email_like(".nowhere.example")) == 0
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_prefetching_hands_over_items_in_order_and_reraises_errors():
    assert list(bulk.prefetched(iter(range(5)))) == [0, 1, 2, 3, 4]

    def failing():
        yield 1
        raise RuntimeError("drawing failed")

    items = bulk.prefetched(failing())
    assert next(items) == 1
    with pytest.raises(RuntimeError, match="drawing failed"):
        next(items)


def test_prefetching_draws_in_another_thread_one_item_ahead():
    drawn = []

    def numbers():
        for number in range(10):
            drawn.append((number, threading.current_thread().name))
            yield number

    items = bulk.prefetched(numbers())
    assert next(items) == 0
    assert len(drawn) <= 2  # the item handed over and at most the next one
    assert all(name.startswith("prefetch") for _, name in drawn)
    items.close()


def test_a_consumer_that_stops_early_leaves_no_thread_behind():
    def prefetch_threads():
        return [t for t in threading.enumerate() if t.name.startswith("prefetch")]

    items = bulk.prefetched(iter(range(10)))
    assert next(items) == 0
    assert prefetch_threads()
    items.close()
    assert prefetch_threads() == []


@pytest.mark.django_db
def test_deleting_rows_deletes_dependants_of_dependants_in_sql(partner, app):
    """Channels have deliveries: deleting them through Django's collector
    loaded every channel into Python (a 4M-customer demo reseed: 2.5 GB)."""
    kept, gone = (
        AppCustomerFactory(app=app, customer=CustomerFactory(email=email))
        for email in ("kept@mail.example", "gone@mail.demo.example")
    )
    now = timezone.now()
    for app_customer in (kept, gone):
        Channel.objects.create(
            app_customer=app_customer,
            uri="https://wns.example/channel",
            registered_at=now,
            expires_at=now + dt.timedelta(days=30),
        )

    with CaptureQueriesContext(connection) as queries:
        assert bulk.rows_delete(model=Customer, **_email_like(".demo.example")) == 1

    assert list(Channel.objects.values_list("app_customer_id", flat=True)) == [kept.pk]
    loads = [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")
    ]
    channels = Channel._meta.db_table
    assert not [sql for sql in loads if f'SELECT "{channels}"."id"' in sql], loads

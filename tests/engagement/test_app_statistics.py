"""The available app customers: counted once, stored on a row every process
reads, cleared when the app's customer data changes."""

import datetime as dt

import pytest
from django.utils import timezone

from engagement import rules
from engagement.models import AppStatistics
from engagement.services import app_statistics
from engagement.services.app_statistics import (
    app_statistics_eligible_count,
    app_statistics_forget,
)
from engagement.services.customer_data import customer_data_changed
from engagement.services.estimates import segment_estimate
from tests.factories import SPEND_OVER_10, AppCustomerFactory
from tests.processes import run_python
from tests.workers import database_url, require_postgresql


def stored(app):
    return (
        AppStatistics.objects.filter(app=app)
        .values_list("eligible_count", flat=True)
        .first()
    )


@pytest.fixture
def today():
    return rules.evaluation_date()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a call leaves for the commit, as outside a test's transaction."""

    def call(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return call


@pytest.mark.django_db
def test_the_count_is_stored_and_read_instead_of_counted_again(app, today, committed):
    AppCustomerFactory(app=app)
    assert committed(app_statistics_eligible_count, app_id=app.pk, today=today) == 1
    assert stored(app) == 1
    AppCustomerFactory(app=app)  # a write that announces nothing
    assert app_statistics_eligible_count(app_id=app.pk, today=today) == 1


@pytest.mark.django_db
def test_a_change_of_customer_data_clears_the_count(app, other_app, today, committed):
    AppCustomerFactory(app=app)
    AppCustomerFactory(app=other_app)
    committed(app_statistics_eligible_count, app_id=app.pk, today=today)
    committed(app_statistics_eligible_count, app_id=other_app.pk, today=today)
    AppCustomerFactory(app=app)
    customer_data_changed(app_ids=[app.pk], since=timezone.now())
    assert stored(app) is None
    assert stored(other_app) == 1
    assert app_statistics_eligible_count(app_id=app.pk, today=today) == 2


@pytest.mark.django_db
def test_a_count_taken_before_a_change_is_not_stored_after_it(
    app, today, django_capture_on_commit_callbacks
):
    AppCustomerFactory(app=app)
    with django_capture_on_commit_callbacks() as stores:
        assert app_statistics_eligible_count(app_id=app.pk, today=today) == 1
    AppCustomerFactory(app=app)
    app_statistics_forget(app_ids=[app.pk])  # the change, announced meanwhile
    (store,) = stores
    store()  # the first count's transaction commits after the change
    assert stored(app) is None
    assert app_statistics_eligible_count(app_id=app.pk, today=today) == 2


@pytest.mark.django_db
def test_a_count_is_current_on_its_day_and_for_a_while(
    app, today, committed, monkeypatch
):
    AppCustomerFactory(app=app)
    committed(app_statistics_eligible_count, app_id=app.pk, today=today)
    AppCustomerFactory(app=app)
    tomorrow = today + dt.timedelta(days=1)
    assert app_statistics_eligible_count(app_id=app.pk, today=tomorrow) == 2
    assert app_statistics_eligible_count(app_id=app.pk, today=today) == 1
    later = timezone.now() + app_statistics.ELIGIBLE_COUNT_MAX_AGE
    monkeypatch.setattr(app_statistics.timezone, "now", lambda: later)
    assert app_statistics_eligible_count(app_id=app.pk, today=today) == 2


@pytest.mark.django_db
def test_the_estimate_stores_the_count_and_then_reads_it(
    app, today, committed, django_assert_num_queries
):
    AppCustomerFactory(app=app)
    first = committed(segment_estimate, app=app, definition=SPEND_OVER_10)
    assert (first.eligible, first.members) == (1, 0)
    assert stored(app) == 1
    AppCustomerFactory(app=app)
    with django_assert_num_queries(2):  # the stored count, the members
        again = segment_estimate(app=app, definition=SPEND_OVER_10)
    assert (again.eligible, again.members) == (1, 0)


@pytest.mark.django_db
def test_a_recompute_stores_the_count_for_the_estimate(partner, app, today, committed):
    from engagement.services.membership import segment_recompute
    from engagement.services.segments import segment_create

    AppCustomerFactory(app=app)
    segment = segment_create(
        partner=partner,
        app=app,
        name="Spenders",
        definition=SPEND_OVER_10,
        user=None,
        enqueue=False,
    )
    committed(segment_recompute, segment_id=segment.pk, version=1)
    assert stored(app) == 1


COUNT_IN_ANOTHER_PROCESS = """
from engagement import rules
from engagement.services.app_statistics import app_statistics_eligible_count
print(app_statistics_eligible_count(app_id={app_id}, today=rules.evaluation_date()))
"""


def count_in_another_process(app) -> int:
    """The available count as a separate process (a worker, the web) reads it."""
    result = run_python(
        COUNT_IN_ANOTHER_PROCESS.format(app_id=app.pk), DATABASE_URL=database_url()
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_every_process_reads_one_count_and_a_change_clears_it_for_all(app, today):
    require_postgresql()
    AppCustomerFactory(app=app)
    assert count_in_another_process(app) == 1
    AppCustomerFactory(app=app)  # a write that announces nothing
    # This process reads the count the other one stored, not a count of its own.
    assert app_statistics_eligible_count(app_id=app.pk, today=today) == 1
    customer_data_changed(app_ids=[app.pk], since=timezone.now())
    # The other process does not keep the count this process cleared.
    assert count_in_another_process(app) == 2
    assert stored(app) == 2

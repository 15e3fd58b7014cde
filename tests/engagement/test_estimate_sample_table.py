"""The estimate's sample table: what it holds, that definitions count the
same in it as among the app's customers, and when it is built, used or
emptied (issue 12, point 1)."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db.models import Count, F, Q
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from customers.demo import demo_data_seed
from customers.models import SAMPLE_KEY_RANGE, Customer
from engagement import rules
from engagement.management.estimates import random_definitions
from engagement.models import AppStatistics, EstimateSample
from engagement.services.app_statistics import (
    app_statistics_eligible_count,
    app_statistics_forget,
)
from engagement.services.estimate_sample import (
    SAMPLE_COPIES,
    SAMPLE_PATHS,
    estimate_sample_build,
)
from engagement.services.estimates import segment_estimate
from engagement.services.person_erasure import person_erase

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def sampled_app(settings, django_capture_on_commit_callbacks):
    """2,000 demo customers, with a sample table of about 500 available ones."""
    settings.ESTIMATE_EXACT_MAX_ROWS = 100
    settings.ESTIMATE_SAMPLE_SIZE = 200
    settings.ESTIMATE_SAMPLE_MAX_SIZE = 500
    app = demo_data_seed(customers=2_000, apps=1, seed=5, today=TODAY).apps[0]
    with django_capture_on_commit_callbacks(execute=True):
        app_statistics_eligible_count(app_id=app.pk, today=TODAY)
    assert estimate_sample_build(app_id=app.pk, today=TODAY) > 0
    return app


SPENDERS = {
    "version": 1,
    "any": [{"all": [{"attribute": "store_spend", "operator": "gt", "value": 0}]}],
}


def _estimate(app):
    return segment_estimate(app=app, definition=SPENDERS, today=TODAY)


def _sampled_customers(app):
    cutoff = AppStatistics.objects.get(app=app).sample_cutoff
    return rules.eligible_queryset(app=app, today=TODAY).filter(sample_key__lt=cutoff)


def test_the_table_holds_the_available_customers_below_the_cutoff(sampled_app):
    cutoff = AppStatistics.objects.get(app=sampled_app).sample_cutoff
    assert 0 < cutoff < SAMPLE_KEY_RANGE
    expected = _sampled_customers(sampled_app)
    copied = EstimateSample.objects.filter(app=sampled_app)
    assert 300 <= copied.count() <= 700
    rows = sorted(copied.values_list("customer_id", *SAMPLE_COPIES))
    assert rows == sorted(expected.values_list("customer_id", *SAMPLE_COPIES.values()))


def test_every_definition_counts_the_same_in_the_table(sampled_app):
    """The compiled definition, relocated onto the table's columns, selects
    exactly the sampled customers it selects among the app's customers."""
    sample = EstimateSample.objects.filter(app=sampled_app)
    for definition in random_definitions(seed=7, count=60):
        matching = rules.definition_q(definition, today=TODAY)
        in_table = sample.aggregate(
            n=Count("customer", filter=rules.relocated(matching, SAMPLE_PATHS))
        )["n"]
        assert in_table == _sampled_customers(sampled_app).filter(matching).count()


def test_relocation_renames_paths_in_lookups_and_expressions():
    moved = rules.relocated(
        Q(customer__gender__in=["male"])
        & ~Q(Exact(Lower(F("customer__market")), "fr"))
        & Q(rating__gte=3),
        SAMPLE_PATHS,
    )
    assert ("customer_gender__in", ["male"]) in moved.children
    negated = moved.children[1]
    assert negated.negated
    (lookup,) = negated.children
    assert lookup.lhs.source_expressions[0].name == "customer_market"
    assert ("rating__gte", 3) in moved.children


def test_a_current_table_is_not_built_again(sampled_app):
    assert estimate_sample_build(app_id=sampled_app.pk, today=TODAY) is None


def test_a_change_of_customer_data_counts_exactly_and_asks_for_a_build(
    sampled_app, django_capture_on_commit_callbacks
):
    assert _estimate(sampled_app).sample is not None
    app_statistics_forget(app_ids=[sampled_app.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert _estimate(sampled_app).sample is None  # counted, and stored
    # With the count stored, the table is still stale: counted, asked once.
    with django_capture_on_commit_callbacks(execute=False) as asked:
        assert _estimate(sampled_app).sample is None
    with django_capture_on_commit_callbacks(execute=False) as asked_again:
        assert _estimate(sampled_app).sample is None
    assert len(asked) == 1 and not asked_again  # the cache remembers
    asked[0]()  # the commit sends the task, which a worker (eager here) runs
    statistics = AppStatistics.objects.get(app=sampled_app)
    assert statistics.sample_version == statistics.customers_version
    assert _estimate(sampled_app).sample is not None


def test_a_new_day_makes_the_table_stale(sampled_app):
    tomorrow = TODAY + dt.timedelta(days=1)
    assert estimate_sample_build(app_id=sampled_app.pk, today=tomorrow) > 0
    assert AppStatistics.objects.get(app=sampled_app).sample_built_on == tomorrow


def test_a_broker_that_fails_is_asked_again_by_the_next_estimate(
    sampled_app, django_capture_on_commit_callbacks, caplog
):
    from kombu.exceptions import OperationalError

    from engagement.tasks.estimates import estimate_sample_build_task

    app_statistics_forget(app_ids=[sampled_app.pk])
    with django_capture_on_commit_callbacks(execute=True):
        app_statistics_eligible_count(app_id=sampled_app.pk, today=TODAY)
    with (
        mock.patch.object(
            estimate_sample_build_task,
            "apply_async",
            side_effect=OperationalError("down"),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert _estimate(sampled_app).sample is None  # answered all the same
    assert "estimate_sample_enqueue_failed" in caplog.text
    with django_capture_on_commit_callbacks(execute=True) as asked:
        _estimate(sampled_app)
    assert len(asked) == 1
    assert _estimate(sampled_app).sample is not None


def test_an_app_counted_exactly_keeps_no_table(sampled_app, settings):
    settings.ESTIMATE_EXACT_MAX_ROWS = 100_000
    app_statistics_forget(app_ids=[sampled_app.pk])
    assert estimate_sample_build(app_id=sampled_app.pk, today=TODAY) == 0
    assert not EstimateSample.objects.filter(app=sampled_app).exists()
    assert AppStatistics.objects.get(app=sampled_app).sample_cutoff is None


def test_an_erased_person_leaves_the_table(sampled_app):
    row = EstimateSample.objects.filter(app=sampled_app).first()
    email = Customer.objects.get(pk=row.customer_id).email
    person_erase(email=email, requested_by="ticket 42")
    assert not EstimateSample.objects.filter(customer_id=row.customer_id).exists()


@pytest.mark.django_db(transaction=True)
def test_a_build_outside_a_transaction_vacuums_the_replaced_rows(settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("VACUUM is PostgreSQL's")
    settings.ESTIMATE_EXACT_MAX_ROWS = 100
    settings.ESTIMATE_SAMPLE_MAX_SIZE = 500
    app = demo_data_seed(customers=1_000, apps=1, seed=5, today=TODAY).apps[0]
    with CaptureQueriesContext(connection) as queries:
        assert estimate_sample_build(app_id=app.pk, today=TODAY) > 0
    assert queries[-1]["sql"].startswith("VACUUM (ANALYZE)")

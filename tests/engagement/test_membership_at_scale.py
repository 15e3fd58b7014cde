"""Incremental updates after data changes; one scan per app for the daily run."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Customer
from engagement import rules
from engagement.models import Segment, SegmentMembership, SegmentRun
from engagement.services import membership
from engagement.services.customer_data import customer_data_changed
from engagement.services.membership import engine
from engagement.services.membership import shared as shared_scan
from engagement.services.segments import segment_create
from tests.engagement.test_membership import members
from tests.factories import (
    SPEND_OVER_10,
    AppCustomerFactory,
    AppFactory,
    CustomerFactory,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 28)
IMPORT, SCHEDULE = SegmentRun.Trigger.IMPORT, SegmentRun.Trigger.SCHEDULE
ACTIVE_30_DAYS = {
    "version": 1,
    "any": [
        {
            "all": [
                {
                    "attribute": "last_active_date",
                    "operator": "in_last_days",
                    "value": 30,
                }
            ]
        }
    ],
}


def spender(app, spend):
    return AppCustomerFactory(
        app=app, customer=CustomerFactory(store_spend=Decimal(spend))
    ).customer


def make(app, name="Spenders", definition=SPEND_OVER_10):
    return segment_create(
        partner=app.partner,
        app=app,
        name=name,
        definition=definition,
        user=None,
        enqueue=False,
    )


def full(segment, today=TODAY):
    segment.refresh_from_db()
    return membership.segment_recompute(
        segment_id=segment.pk, version=segment.pending_version, today=today
    )


def request(segment, trigger=IMPORT):
    return membership.segment_request_recompute(
        segment=segment, trigger=trigger, enqueue=False
    )


def incremental(segment, since, today=TODAY, version=None):
    version = version or request(segment)
    return membership.segment_recompute(
        segment_id=segment.pk,
        version=version,
        trigger=IMPORT,
        today=today,
        changed_since=since,
    )


def spend(customer, amount, *, stamped=True):
    """Change a customer's spend, stamping ``updated_at`` as imports do, or
    behind the engine's back (a write that announces nothing)."""
    if stamped:
        customer.store_spend = Decimal(amount)
        customer.save()
    else:
        Customer.objects.filter(pk=customer.pk).update(store_spend=Decimal(amount))


# --- Incremental updates ---------------------------------------------------------


def test_an_incremental_update_re_evaluates_the_customers_written_since_alone(app):
    segment = make(app)
    stays, leaves, joins, unannounced = (
        spender(app, "20"),
        spender(app, "30"),
        spender(app, "1"),
        spender(app, "2"),
    )
    full(segment)
    since = timezone.now()
    spend(leaves, "3")
    spend(joins, "99")
    spend(unannounced, "99", stamped=False)
    run = incremental(segment, since)
    segment.refresh_from_db()
    assert run.incremental and not run.shared_scan
    # The unannounced change is not seen: only written customers are read.
    assert members(segment) == {stays.pk, joins.pk}
    assert (run.joined, run.left, run.member_count) == (1, 1, 2)
    assert segment.member_count == 2
    assert segment.version == segment.pending_version
    # The next full recompute sees everything.
    run = full(segment) or membership.segment_recompute(
        segment_id=segment.pk, version=request(segment), today=TODAY
    )
    assert not run.incremental
    assert members(segment) == {stays.pk, joins.pk, unannounced.pk}


def test_an_incremental_update_keeps_the_day_of_the_last_full_computation(app):
    segment = make(app)
    spender(app, "20")
    full(segment)
    segment.refresh_from_db()
    computed_at = segment.computed_at
    incremental(segment, timezone.now())
    segment.refresh_from_db()
    # The daily run still comes for it: calendar conditions need it.
    assert (segment.computed_at, segment.computed_for) == (computed_at, TODAY)


def test_a_day_later_the_update_is_a_full_recompute(app):
    segment = make(app, definition=ACTIVE_30_DAYS)
    fading = AppCustomerFactory(app=app, last_active_on=TODAY - dt.timedelta(days=30))
    full(segment)
    assert members(segment) == {fading.customer_id}
    tomorrow = TODAY + dt.timedelta(days=1)
    run = incremental(segment, timezone.now(), today=tomorrow)
    segment.refresh_from_db()
    assert not run.incremental
    assert members(segment) == set()
    assert segment.computed_for == tomorrow


def test_a_newer_request_supersedes_the_incremental_update(app):
    segment = make(app, definition=ACTIVE_30_DAYS)
    AppCustomerFactory(app=app, last_active_on=TODAY, customer__store_spend=0)
    full(segment)
    assert len(members(segment)) == 1
    since = timezone.now()
    version = request(segment)  # an import that changed no one here…
    # …then a new definition, saved before the import's task ran.
    Segment.objects.filter(pk=segment.pk).update(definition=SPEND_OVER_10)
    request(segment, trigger=SegmentRun.Trigger.SAVE)
    run = incremental(segment, since, version=version)
    assert not run.incremental  # the newest version is applied in full
    assert members(segment) == set()
    assert incremental(segment, since, version=version) is None  # stale: nothing


def test_an_unapplied_request_in_between_makes_the_update_full(app):
    segment = make(app)
    full(segment)
    request(segment)  # its task was lost: the sweeper would ask again
    unseen = spender(app, "50")
    Customer.objects.filter(pk=unseen.pk).update(updated_at=timezone.now())
    since = timezone.now()
    run = incremental(segment, since)
    assert not run.incremental
    assert members(segment) == {unseen.pk}


def test_a_failed_segment_is_recomputed_in_full(app):
    segment = make(app)
    rich = spender(app, "20")
    full(segment)
    Segment.objects.filter(pk=segment.pk).update(status=Segment.Status.FAILED)
    run = incremental(segment, timezone.now())
    assert not run.incremental
    assert members(segment) == {rich.pk}


def test_an_import_asks_for_incremental_updates(
    app, django_capture_on_commit_callbacks
):
    segment = make(app)
    full(segment, today=rules.evaluation_date())  # as the worker runs it
    since = timezone.now()
    joins = spender(app, "70")
    with django_capture_on_commit_callbacks(execute=True):
        customer_data_changed(app_ids=[app.pk], since=since)
    run = segment.runs.order_by("-started_at").first()
    assert run.incremental and run.trigger == IMPORT
    assert members(segment) == {joins.pk}


# --- The daily run: one scan per app ---------------------------------------------


def shared(app, segments, today=TODAY):
    requests = [
        (segment.pk, request(segment, trigger=SCHEDULE)) for segment in segments
    ]
    return membership.segments_recompute_shared(
        app_id=app.pk, requests=requests, trigger=SCHEDULE, today=today
    )


def test_the_daily_run_computes_an_apps_segments_in_one_scan(app, settings):
    settings.SEGMENT_MIN_SIZE = 2
    rich, richer, poor = spender(app, "20"), spender(app, "300"), spender(app, "1")
    over_100 = {
        "version": 1,
        "any": [
            {"all": [{"attribute": "store_spend", "operator": "gt", "value": 100}]}
        ],
    }
    spenders, big = make(app), make(app, "Big spenders", over_100)
    full(spenders)
    spend(poor, "15")
    spend(rich, "5")
    runs = shared(app, [spenders, big])
    assert [run.shared_scan for run in runs] == [True, True]
    assert members(spenders) == {richer.pk, poor.pk}
    assert members(big) == {richer.pk}
    by_segment = {run.segment_id: run for run in runs}
    assert (by_segment[spenders.pk].joined, by_segment[spenders.pk].left) == (1, 1)
    assert (by_segment[big.pk].joined, by_segment[big.pk].member_count) == (1, 1)
    for segment, status in ((spenders, "active"), (big, "inactive")):
        segment.refresh_from_db()
        assert segment.version == segment.pending_version
        assert (segment.status, segment.computed_for) == (status, TODAY)


def test_an_invalid_definition_fails_its_segment_alone(app):
    rich = spender(app, "20")
    good, also_good, bad = make(app, "A"), make(app, "B"), make(app, "C")
    Segment.objects.filter(pk=bad.pk).update(definition={"version": 1, "any": "x"})
    runs = {run.segment_id: run for run in shared(app, [good, also_good, bad])}
    assert members(good) == members(also_good) == {rich.pk}
    assert runs[good.pk].shared_scan and runs[also_good.pk].shared_scan
    bad.refresh_from_db()
    assert bad.status == Segment.Status.FAILED and runs[bad.pk].error
    assert members(bad) == set()


def test_a_failed_shared_scan_computes_each_segment_on_its_own(app, monkeypatch):
    rich = spender(app, "20")

    def broken(**kwargs):
        raise RuntimeError("planner on fire")

    monkeypatch.setattr(shared_scan, "_apply_shared", broken)
    one, two = make(app, "One"), make(app, "Two")
    runs = shared(app, [one, two])
    assert [run.shared_scan for run in runs] == [False, False]
    assert members(one) == members(two) == {rich.pk}


def test_stale_and_moved_segments_in_a_daily_batch(app, partner):
    rich = spender(app, "20")
    done, moved = make(app, "Done"), make(app, "Moved")
    full(done)
    other = AppFactory(partner=partner)
    elsewhere = spender(other, "40")
    Segment.objects.filter(pk=moved.pk).update(app=other)
    moved_version = request(moved, trigger=SCHEDULE)
    done.refresh_from_db()
    runs = membership.segments_recompute_shared(
        app_id=app.pk,
        requests=[(done.pk, done.version), (moved.pk, moved_version)],
        today=TODAY,
    )
    assert [run.segment_id for run in runs] == [moved.pk]  # done: already applied
    assert members(done) == {rich.pk}
    assert members(moved) == {elsewhere.pk}


def test_the_daily_request_sends_one_task_per_app(
    partner, app, monkeypatch, django_capture_on_commit_callbacks
):
    from engagement.tasks.segments import segments_recompute_app_task

    sent = []
    monkeypatch.setattr(
        segments_recompute_app_task, "apply_async", lambda args: sent.append(args)
    )
    other = AppFactory(partner=partner)
    first, second, third = make(app, "1"), make(app, "2"), make(other, "3")
    with django_capture_on_commit_callbacks(execute=True):
        assert membership.segments_request_due() == 3
    assert sorted(sent) == sorted(
        [
            (app.pk, [(first.pk, 2), (second.pk, 2)], SCHEDULE),
            (other.pk, [(third.pk, 2)], SCHEDULE),
        ]
    )


def test_the_runs_table_says_how_each_run_was_computed(app, editor_client):
    spender(app, "20")
    segment = make(app)
    full(segment)
    incremental(segment, timezone.now())
    shared(app, [segment, make(app, "Other")])
    page = editor_client.get(segment.get_absolute_url()).content.decode()
    assert "(changed customers only)" in page
    assert "(with the app's other segments)" in page


# --- Member digests (PostgreSQL) ------------------------------------------------


def stored_digest(segment):
    segment.refresh_from_db()
    return segment.member_digest


@pytest.fixture
def postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("member digests are PostgreSQL's")


def test_every_recompute_keeps_the_digest_of_the_members(app, postgresql):
    segment = make(app)
    rich, poor = spender(app, "20"), spender(app, "1")
    full(segment)
    assert (
        stored_digest(segment)
        == shared_scan._membership_digest(segment_id=segment.pk).text()
    )
    since = timezone.now()
    spend(rich, "2")
    spend(poor, "40")
    incremental(segment, since)
    assert (
        stored_digest(segment)
        == shared_scan._membership_digest(segment_id=segment.pk).text()
    )
    assert members(segment) == {poor.pk}


def test_an_unchanged_segment_is_not_compared_with_its_members(
    app, postgresql, monkeypatch
):
    rich = spender(app, "20")
    one, two = make(app, "One"), make(app, "Two")
    shared(app, [one, two])
    compared = []
    original = engine._apply_diff
    monkeypatch.setattr(
        engine, "_apply_diff", lambda **kw: compared.append(kw) or original(**kw)
    )
    runs = shared(app, [one, two])
    assert compared == []
    assert [(run.joined, run.left, run.member_count) for run in runs] == [(0, 0, 1)] * 2
    # A segment whose members moved behind the engine's back (its digest
    # unknown, as after an erasure) is compared, and put right.
    SegmentMembership.objects.filter(segment=two).delete()
    Segment.objects.filter(pk=two.pk).update(member_digest="")
    runs = shared(app, [one, two])
    assert [kw["segment"].pk for kw in compared] == [two.pk]
    assert members(two) == {rich.pk}
    assert stored_digest(two) == stored_digest(one)


def test_an_erasure_forgets_the_digests_of_the_persons_segments(app, postgresql):
    from engagement.services.person_erasure import person_erase

    rich = spender(app, "20")
    segment = make(app)
    full(segment)
    person_erase(email=rich.email, requested_by="support")
    assert stored_digest(segment) == ""


def test_an_import_that_changed_much_of_the_app_is_followed_by_full_recomputes(
    app, monkeypatch
):
    monkeypatch.setattr(engine, "INCREMENTAL_FLOOR", 1)
    segment = make(app)
    customers = [spender(app, "1") for _ in range(10)]
    full(segment)
    since = timezone.now()
    spend(customers[0], "50")
    assert incremental(segment, since).incremental  # 1 of 10 changed: 10%
    since = timezone.now()
    spend(customers[1], "50")
    spend(customers[2], "50")
    run = incremental(segment, since)  # 2 of 10: more than 10%
    assert not run.incremental
    assert len(members(segment)) == 3


def test_a_transient_error_in_the_shared_scan_propagates_for_a_retry(app, monkeypatch):
    from django.db import OperationalError

    def flaky(**kwargs):
        raise OperationalError("connection reset")

    monkeypatch.setattr(shared_scan, "_apply_shared", flaky)
    one, two = make(app, "One"), make(app, "Two")
    with pytest.raises(OperationalError):
        shared(app, [one, two])

"""The membership engine: set-based, versioned, atomic recomputes."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from engagement.models import Segment, SegmentMembership, SegmentRun
from engagement.services import membership
from engagement.services.membership import engine
from engagement.services.segments import segment_create
from tests.factories import SPEND_OVER_10, AppCustomerFactory, CustomerFactory

TODAY = dt.date(2026, 11, 28)


def spender(app, spend, **customer):
    return AppCustomerFactory(
        app=app, customer=CustomerFactory(store_spend=Decimal(spend), **customer)
    ).customer


def members(segment):
    return set(
        SegmentMembership.objects.filter(segment=segment).values_list(
            "customer_id", flat=True
        )
    )


def recompute(segment, trigger=SegmentRun.Trigger.SUPPORT):
    version = membership.segment_request_recompute(
        segment=segment, trigger=trigger, enqueue=False
    )
    return membership.segment_recompute(
        segment_id=segment.pk, version=version, trigger=trigger, today=TODAY
    )


@pytest.fixture
def segment(partner, app, editor):
    return segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER_10, user=editor
    )


@pytest.mark.django_db
def test_first_computation_inserts_the_matching_members_and_records_the_run(
    segment, app, settings
):
    settings.SEGMENT_MIN_SIZE = 2
    rich = [spender(app, "20"), spender(app, "11")]
    spender(app, "5")
    spender(app, "50", authenticated=False)  # not eligible
    run = recompute(segment)
    segment.refresh_from_db()
    assert members(segment) == {c.pk for c in rich}
    assert (run.member_count, run.joined, run.left, run.eligible_count) == (2, 2, 0, 3)
    assert segment.status == Segment.Status.ACTIVE
    assert segment.member_count == 2
    assert segment.eligible_count == 3
    assert segment.version == segment.pending_version
    assert segment.computed_at is not None
    assert run.error == ""
    assert run.finished_at >= run.started_at


@pytest.mark.django_db
def test_recompute_adds_customers_who_now_match_and_drops_those_who_no_longer_do(
    segment, app
):
    stays, leaves = spender(app, "20"), spender(app, "30")
    joins = spender(app, "1")
    recompute(segment)
    leaves.store_spend = Decimal("3")
    leaves.save()
    joins.store_spend = Decimal("99")
    joins.save()
    run = recompute(segment)
    assert members(segment) == {stays.pk, joins.pk}
    assert (run.joined, run.left, run.member_count) == (1, 1, 2)


@pytest.fixture
def membership_writes():
    """Return a function that counts the rows written to the membership table.

    It counts what the database did, not what the engine reports: on
    PostgreSQL the table's statistics not yet flushed (they hold the test's
    transaction, and may hold earlier ones: compare two readings), on SQLite
    temporary triggers that count each inserted, updated or deleted row. Both
    include statements whose effect was rolled back to a savepoint.
    """
    table = SegmentMembership._meta.db_table
    if connection.vendor == "postgresql":
        query = (
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)"
            " FROM pg_stat_xact_user_tables WHERE relid = %s::regclass"
        )
        params = [table]
    else:
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE membership_writes (n integer)")
            cursor.execute("INSERT INTO membership_writes VALUES (0)")
            for event in ("INSERT", "UPDATE", "DELETE"):
                cursor.execute(
                    f"CREATE TEMP TRIGGER membership_writes_{event.lower()}"
                    f" AFTER {event} ON {table} FOR EACH ROW"
                    " BEGIN UPDATE membership_writes SET n = n + 1; END"
                )
        query, params = "SELECT n FROM membership_writes", []

    def written() -> int:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return int(cursor.fetchone()[0])

    yield written
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            for event in ("insert", "update", "delete"):
                cursor.execute(f"DROP TRIGGER membership_writes_{event}")
            cursor.execute("DROP TABLE membership_writes")


@pytest.mark.django_db
def test_a_recompute_with_no_data_change_writes_no_membership_row(
    segment, app, membership_writes
):
    for spend in ("20", "30", "40"):
        spender(app, spend)
    before = membership_writes()
    recompute(segment)
    first = membership_writes()
    assert first - before == 3  # the counter sees the first computation's rows
    run = recompute(segment)
    assert (run.joined, run.left) == (0, 0)
    assert membership_writes() == first


@pytest.mark.django_db
def test_rerunning_an_applied_version_changes_nothing(segment, app):
    spender(app, "20")
    version = membership.segment_request_recompute(
        segment=segment, trigger="save", enqueue=False
    )
    assert membership.segment_recompute(segment_id=segment.pk, version=version)
    runs = SegmentRun.objects.count()
    assert membership.segment_recompute(segment_id=segment.pk, version=version) is None
    assert SegmentRun.objects.count() == runs


@pytest.mark.django_db
def test_a_stale_task_is_ignored_once_a_newer_version_is_applied(segment, app):
    customer = spender(app, "20")
    old = membership.segment_request_recompute(
        segment=segment, trigger="save", enqueue=False
    )
    new = membership.segment_request_recompute(
        segment=segment, trigger="save", enqueue=False
    )
    assert (
        membership.segment_recompute(segment_id=segment.pk, version=new).version == new
    )
    customer.store_spend = Decimal("1")
    customer.save()
    assert membership.segment_recompute(segment_id=segment.pk, version=old) is None
    assert members(segment) == {customer.pk}  # the stale task did not recompute


@pytest.mark.django_db
def test_an_older_task_applies_the_newest_requested_version(segment, app):
    spender(app, "20")
    old = membership.segment_request_recompute(
        segment=segment, trigger="save", enqueue=False
    )
    newest = membership.segment_request_recompute(
        segment=segment, trigger="save", enqueue=False
    )
    assert (
        membership.segment_recompute(segment_id=segment.pk, version=old).version
        == newest
    )
    assert membership.segment_recompute(segment_id=segment.pk, version=newest) is None


@pytest.mark.django_db
def test_a_deleted_segment_is_skipped():
    assert membership.segment_recompute(segment_id=987654, version=1) is None


@pytest.mark.django_db
def test_a_failure_mid_transaction_keeps_the_previous_membership(
    segment, app, monkeypatch
):
    kept = {spender(app, "20").pk, spender(app, "30").pk}
    recompute(segment)
    assert members(segment) == kept

    def broken(*, segment, today, **_):
        SegmentMembership.objects.filter(segment=segment).delete()  # half done…
        raise RuntimeError("disk on fire")  # …then the fault

    monkeypatch.setattr(engine, "_apply_diff", broken)
    run = recompute(segment)
    segment.refresh_from_db()
    assert members(segment) == kept
    assert segment.status == Segment.Status.FAILED
    assert "disk on fire" in segment.last_error
    assert run.error == "RuntimeError: disk on fire"
    assert segment.version < segment.pending_version  # not applied: a retry may


@pytest.mark.django_db
def test_a_transient_database_error_rolls_back_and_propagates_for_a_retry(
    segment, app, monkeypatch
):
    from django.db import OperationalError

    def flaky(*, segment, today, **_):
        raise OperationalError("connection reset")

    monkeypatch.setattr(engine, "_apply_diff", flaky)
    with pytest.raises(OperationalError):
        recompute(segment)
    segment.refresh_from_db()
    assert segment.status == Segment.Status.NEW
    assert not SegmentRun.objects.filter(segment=segment).exists()


@pytest.mark.django_db
def test_status_moves_from_new_to_active_inactive_failed_and_back(
    segment, app, settings, monkeypatch
):
    settings.SEGMENT_MIN_SIZE = 2
    assert segment.status == Segment.Status.NEW
    spender(app, "20")
    recompute(segment)
    segment.refresh_from_db()
    assert segment.status == Segment.Status.INACTIVE and segment.is_small
    spender(app, "25")
    recompute(segment)
    segment.refresh_from_db()
    assert segment.status == Segment.Status.ACTIVE and not segment.is_small
    original = engine._apply_diff
    monkeypatch.setattr(engine, "_apply_diff", lambda **kw: 1 / 0)
    recompute(segment)
    segment.refresh_from_db()
    assert segment.status == Segment.Status.FAILED
    assert segment.member_count == 2  # the last good figures stay
    monkeypatch.setattr(engine, "_apply_diff", original)
    recompute(segment)
    segment.refresh_from_db()
    assert segment.status == Segment.Status.ACTIVE
    assert segment.last_error == ""


@pytest.mark.django_db
def test_a_failing_segment_does_not_stop_the_others(
    partner, app, editor, django_capture_on_commit_callbacks
):
    good = segment_create(
        partner=partner, app=app, name="Good", definition=SPEND_OVER_10, user=editor
    )
    bad = segment_create(
        partner=partner, app=app, name="Bad", definition=SPEND_OVER_10, user=editor
    )
    Segment.objects.filter(pk=bad.pk).update(definition={"version": 99})  # corrupt
    customer = spender(app, "20")
    with django_capture_on_commit_callbacks(execute=True):
        assert membership.segments_request_due() == 2
    good.refresh_from_db()
    bad.refresh_from_db()
    assert bad.status == Segment.Status.FAILED
    assert "version" in bad.last_error
    assert good.status == Segment.Status.INACTIVE
    assert members(good) == {customer.pk}


@pytest.mark.django_db
def test_saving_a_segment_computes_it_through_the_task(
    partner, app, editor, django_capture_on_commit_callbacks
):
    customer = spender(app, "20")
    with django_capture_on_commit_callbacks(execute=True):
        segment = segment_create(
            partner=partner, app=app, name="Now", definition=SPEND_OVER_10, user=editor
        )
    segment.refresh_from_db()
    assert members(segment) == {customer.pk}
    assert segment.runs.get().trigger == SegmentRun.Trigger.SAVE


@pytest.mark.django_db(transaction=True)
def test_two_workers_recomputing_one_segment_at_once_apply_it_once(
    partner, app, editor, monkeypatch
):
    if connection.vendor == "sqlite":
        pytest.skip("the recompute lock is PostgreSQL's; SQLite serialises writes")
    segment = segment_create(
        partner=partner, app=app, name="Race", definition=SPEND_OVER_10, user=editor
    )
    spender(app, "20")
    version = membership.segment_request_recompute(
        segment=segment, trigger="save", enqueue=False
    )
    inside = threading.Event()
    original = engine._apply_diff

    def slow(**kwargs):
        inside.set()
        threading.Event().wait(1.0)  # hold the lock while the other arrives
        return original(**kwargs)

    monkeypatch.setattr(engine, "_apply_diff", slow)
    results = {}

    def worker(name):
        try:
            results[name] = membership.segment_recompute(
                segment_id=segment.pk, version=version
            )
        finally:
            connections.close_all()

    first = threading.Thread(target=worker, args=("first",))
    first.start()
    inside.wait(5)
    second = threading.Thread(target=worker, args=("second",))
    second.start()
    first.join(10)
    second.join(10)
    assert results["first"] is not None
    assert results["second"] is None
    assert SegmentRun.objects.filter(segment=segment, version=version).count() == 1


@pytest.mark.django_db
def test_a_definition_that_excludes_every_age_group_computes_an_empty_segment(
    partner, app, editor
):
    AppCustomerFactory(app=app)
    nobody = {
        "version": 1,
        "any": [
            {
                "all": [
                    {
                        "attribute": "age_group",
                        "operator": "not_in",
                        "value": ["18-24", "25-34", "35-49", "50+"],
                    }
                ]
            }
        ],
    }
    segment = segment_create(
        partner=partner, app=app, name="Nobody", definition=nobody, user=editor
    )
    run = recompute(segment)
    assert run.error == ""
    assert (run.member_count, run.eligible_count) == (0, 1)


@pytest.mark.django_db
def test_importing_customer_data_recomputes_the_segments_of_the_touched_apps(
    segment, app, partner, editor, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from tests.factories import AppFactory

    untouched = segment_create(
        partner=partner,
        app=AppFactory(partner=partner),
        name="Other app",
        definition=SPEND_OVER_10,
        user=editor,
    )
    data = tmp_path / "customers.csv"
    data.write_text(
        "email,authenticated,birth_date,gender,market,store_spend,"
        "acquired_on,acquisition_type,platform\n"
        "new@mail.example,true,1990-01-01,female,FR,99,2026-01-05,free,windows11\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_customers", str(data), f"--app={app.store_product_id}")
    segment.refresh_from_db()
    untouched.refresh_from_db()
    assert segment.runs.get().trigger == SegmentRun.Trigger.IMPORT
    assert segment.member_count == 1
    assert not untouched.runs.exists()


@pytest.mark.django_db
def test_saving_a_segment_read_before_a_recompute_keeps_what_the_recompute_wrote(
    partner, app, editor, settings
):
    from engagement.services.segments import segment_update

    settings.SEGMENT_MIN_SIZE = 1
    segment = segment_create(
        partner=partner,
        app=app,
        name="Spenders",
        definition=SPEND_OVER_10,
        user=editor,
        enqueue=False,
    )
    spender(app, "20")
    read_by_the_editor = Segment.objects.get(pk=segment.pk)
    membership.segment_recompute(segment_id=segment.pk, version=1)
    segment_update(
        segment=read_by_the_editor,
        app=app,
        name="Big spenders",
        definition=SPEND_OVER_10,
        user=editor,
    )
    segment.refresh_from_db()
    assert segment.name == "Big spenders"
    assert (segment.version, segment.member_count, segment.status) == (
        1,
        1,
        Segment.Status.ACTIVE,
    )

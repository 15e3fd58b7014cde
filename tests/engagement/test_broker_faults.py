"""Broker faults lose no recompute: a stopped or frozen Redis, a killed worker.

Each test starts its own ``redis-server`` on a free port (never the shared
one) and stops it to take the broker away. The tests marked ``broker`` also
run real Celery workers on the test PostgreSQL database.
"""

import datetime as dt
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from customers.models import AppCustomer, Customer
from engagement.models import Segment, SegmentMembership, SegmentRun
from engagement.services import membership
from engagement.services.segments import segment_create
from engagement.tasks import segments as segment_tasks
from tests.engagement.test_segment_views import SPEND_ROW, editor_post
from tests.factories import AppCustomerFactory, CustomerFactory
from tests.workers import (
    ROOT,
    PrivateRedis,
    celery_publishing_to,
    database_url,
    require_postgresql,
    start_worker,
    stop_worker,
    wait_for,
    wait_for_worker,
)

SPEND_OVER = {
    "version": 1,
    "any": [{"all": [{"attribute": "store_spend", "operator": "gt", "value": 10}]}],
}
NO_GRACE = dt.timedelta(0)


def spender(app, spend):
    return AppCustomerFactory(
        app=app, customer=CustomerFactory(store_spend=Decimal(spend))
    ).customer


def members(segment):
    return set(
        SegmentMembership.objects.filter(segment=segment).values_list(
            "customer_id", flat=True
        )
    )


def enqueue_failures(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.getMessage().startswith("segment_enqueue_failed")
    ]


@pytest.fixture
def redis_server():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server):
    """This process publishes to the private Redis."""
    with celery_publishing_to(redis_server.url):
        yield redis_server


@pytest.fixture
def broker_down(broker):
    """The private Redis has stopped: its port refuses connections."""
    broker.stop()
    return broker


@pytest.fixture
def segment(partner, app, editor):
    return segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER, user=editor
    )


def computed(segment):
    version = membership.segment_request_recompute(
        segment=segment, trigger=SegmentRun.Trigger.SUPPORT, enqueue=False
    )
    membership.segment_recompute(segment_id=segment.pk, version=version)
    segment.refresh_from_db()
    return segment


@contextmanager
def fails_if_still_running_after(seconds: int):
    """Turn a hang into a failure: a liveness guard, not a timing claim."""

    def hung(signum, frame):
        raise AssertionError(f"still waiting after {seconds} s: the request hangs")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --- Saving with the broker down (both databases) -----------------------------


@pytest.mark.django_db
def test_saving_a_new_segment_with_the_broker_down_says_its_computation_is_queued(
    editor_client, app, broker_down, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.INFO, logger="engagement")
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("engagement:segment_create"),
            editor_post(app, [SPEND_ROW], name="Saved in an outage"),
        )
    segment = Segment.objects.get(name="Saved in an outage")
    assert response.status_code == 302
    assert response.url == segment.get_absolute_url()
    assert segment.pending_version > segment.version
    assert segment.recompute_requested_at is not None
    page = editor_client.get(response.url).content.decode()
    assert "queued" in page
    assert "Computing" in page
    assert len(enqueue_failures(caplog)) == 1
    assert f"segment={segment.pk}" in enqueue_failures(caplog)[0]


@pytest.mark.django_db
def test_editing_a_segment_with_the_broker_down_shows_it_as_updating(
    editor_client,
    app,
    segment,
    broker_down,
    settings,
    django_capture_on_commit_callbacks,
    caplog,
):
    settings.SEGMENT_MIN_SIZE = 1
    spender(app, "20")
    segment = computed(segment)
    before = members(segment)
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("engagement:segment_edit", args=[segment.pk]),
            editor_post(app, [{**SPEND_ROW, "value": "50"}], name="Spenders"),
        )
    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.pending_version > segment.version
    assert members(segment) == before  # the old membership stays in force
    page = editor_client.get(response.url).content.decode()
    assert "queued" in page
    assert "Updating" in page
    row = editor_client.get(reverse("engagement:segment_row", args=[segment.pk]))
    assert "Updating" in row.content.decode()
    assert len(enqueue_failures(caplog)) == 1


def _refresh(editor_client, admin_client, segments):
    for segment in segments:
        response = editor_client.post(
            reverse("engagement:segment_refresh", args=[segment.pk])
        )
        assert response.status_code == 302


def _admin_action(editor_client, admin_client, segments):
    response = admin_client.post(
        reverse("admin:engagement_segment_changelist"),
        {"action": "recompute", "_selected_action": [s.pk for s in segments]},
    )
    assert response.status_code == 302


def _import(editor_client, admin_client, segments):
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "customers.csv"
        data.write_text(
            "email,authenticated,birth_date,gender,market,store_spend,"
            "acquired_on,acquisition_type,platform\n"
            "new@mail.example,true,1990-01-01,female,FR,99,2026-01-05,free,windows11\n"
        )
        call_command(
            "import_customers",
            str(data),
            f"--app={segments[0].app.store_product_id}",
            stdout=StringIO(),
        )


def _command(editor_client, admin_client, segments):
    call_command("recompute_segments", "--all", stdout=StringIO())


def _daily(editor_client, admin_client, segments):
    segment_tasks.segments_recompute_due.run()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ask",
    [_refresh, _admin_action, _import, _command, _daily],
    ids=["refresh", "admin action", "import", "recompute_segments", "daily run"],
)
def test_every_way_of_asking_for_a_recompute_survives_the_broker_down(
    ask,
    editor_client,
    admin_client,
    partner,
    app,
    editor,
    broker_down,
    django_capture_on_commit_callbacks,
    caplog,
):
    segments = [
        segment_create(
            partner=partner, app=app, name=name, definition=SPEND_OVER, user=editor
        )
        for name in ("First", "Second", "Third")
    ]
    Segment.objects.update(version=F("pending_version"))  # all current
    caplog.set_level(logging.INFO, logger="engagement")
    with django_capture_on_commit_callbacks(execute=True):
        ask(editor_client, admin_client, segments)
    for segment in segments:
        segment.refresh_from_db()
        assert segment.pending_version > segment.version, segment.name
    # One line per batch: after the first failure the rest are not tried
    # (each would wait for the broker again); the sweeper sends them.
    assert len(enqueue_failures(caplog)) == (3 if ask is _refresh else 1)


@pytest.mark.django_db
def test_the_sweeper_sends_what_the_outage_lost_once_the_broker_is_back(
    editor_client, app, segment, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(reverse("engagement:segment_refresh", args=[segment.pk]))
    broker_down.start()
    queue = broker_down.client()
    assert queue.llen("celery") == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert membership.segments_request_stalled(grace=NO_GRACE) == 1
    assert queue.llen("celery") == 1
    segment.refresh_from_db()
    # Asked again now: the next sweep waits a whole grace period.
    with django_capture_on_commit_callbacks(execute=True):
        assert membership.segments_request_stalled() == 0


@pytest.mark.django_db
def test_a_frozen_broker_does_not_hold_a_save(
    partner, app, editor, redis_server, django_capture_on_commit_callbacks, caplog
):
    if not django_settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("the Redis transport options apply where the broker is Redis")
    with celery_publishing_to(redis_server.url):
        redis_server.freeze()
        with (
            fails_if_still_running_after(120),
            django_capture_on_commit_callbacks(execute=True),
        ):
            segment = segment_create(
                partner=partner,
                app=app,
                name="Frozen broker",
                definition=SPEND_OVER,
                user=editor,
            )
    segment.refresh_from_db()
    assert segment.pending_version > segment.version
    assert len(enqueue_failures(caplog)) == 1


# --- The sweeper (both databases; tasks run eagerly) --------------------------


@pytest.mark.django_db
def test_the_sweeper_asks_again_for_a_recompute_requested_longer_ago_than_the_grace(
    partner, app, editor, settings, django_capture_on_commit_callbacks
):
    settings.SEGMENT_MIN_SIZE = 1
    customer = spender(app, "20")
    now = timezone.now()
    grace = dt.timedelta(seconds=settings.SEGMENT_SWEEP_GRACE_SECONDS)
    lost, recent = (
        segment_create(
            partner=partner, app=app, name=name, definition=SPEND_OVER, user=editor
        )
        for name in ("Lost", "Recent")
    )
    Segment.objects.filter(pk=lost.pk).update(
        recompute_requested_at=now - grace - dt.timedelta(seconds=1)
    )
    Segment.objects.filter(pk=recent.pk).update(
        recompute_requested_at=now - grace + dt.timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert membership.segments_request_stalled(now=now) == 1
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert lost.version == lost.pending_version
    assert members(lost) == {customer.pk}
    assert lost.runs.get().trigger == SegmentRun.Trigger.RETRY
    assert recent.pending_version > recent.version


def never_asked(partner, app):
    return Segment.objects.create(
        kind=Segment.Kind.SEGMENT,
        partner=partner,
        app=app,
        name="Never asked",
        definition=SPEND_OVER,
    )


@pytest.mark.django_db
def test_the_sweeper_computes_a_segment_that_was_never_asked_for(
    partner, app, django_capture_on_commit_callbacks
):
    never = never_asked(partner, app)
    assert (never.version, never.pending_version) == (0, 0)
    with django_capture_on_commit_callbacks(execute=True):
        assert membership.segments_request_stalled(grace=NO_GRACE) == 1
    never.refresh_from_db()
    assert never.version == never.pending_version == 1


@pytest.mark.django_db
def test_the_sweeper_leaves_a_failed_version_alone(segment, monkeypatch):
    def broken(**kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(membership, "_apply_diff", broken)
    membership.segment_recompute(segment_id=segment.pk, version=1)
    segment.refresh_from_db()
    assert segment.status == Segment.Status.FAILED
    # A deterministic failure would fail again every minute: Refresh, the
    # admin action or the next change ask again.
    assert membership.segments_request_stalled(grace=NO_GRACE) == 0


@pytest.mark.django_db
def test_the_sweeper_leaves_current_segments_alone(segment):
    computed(segment)
    assert membership.segments_request_stalled(grace=NO_GRACE) == 0


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_skips_a_segment_locked_by_a_running_recompute(partner, app):
    require_postgresql()
    segment = never_asked(partner, app)
    with psycopg.connect(database_url()) as recompute:
        # A running recompute holds its segment's lock until it commits.
        recompute.execute(membership.RECOMPUTE_LOCK_SQL, [segment.pk])
        assert membership.segments_request_stalled(grace=NO_GRACE) == 0
        recompute.rollback()
    assert membership.segments_request_stalled(grace=NO_GRACE) == 1


@pytest.mark.django_db
def test_the_sweeper_is_a_database_beat_entry_every_minute():
    from django_celery_beat.models import PeriodicTask

    from config.celery import app as celery_app

    task = PeriodicTask.objects.get(name="Ask again for stalled segment recomputes")
    assert task.task == "engagement.tasks.segments.segments_recompute_stalled"
    assert task.task in celery_app.tasks
    assert (task.interval.every, task.interval.period) == (1, "minutes")
    assert task.enabled


# --- Settings ------------------------------------------------------------------


def transport_options(broker_url: str) -> dict:
    """The broker transport options the settings give for ``broker_url``."""
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, json; django.setup();"
            "from django.conf import settings;"
            "print(json.dumps(settings.CELERY_BROKER_TRANSPORT_OPTIONS))",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CELERY_BROKER_URL": broker_url,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(shown.stdout.strip().splitlines()[-1])


def test_redis_keeps_a_task_unacknowledged_longer_than_the_longest_task_runs():
    options = transport_options("redis://127.0.0.1:6379/0")
    recompute = segment_tasks.segment_recompute_task
    longest_wait = recompute.retry_backoff_max + recompute.time_limit
    assert options["visibility_timeout"] > longest_wait
    assert options["socket_timeout"] and options["socket_connect_timeout"]


def test_the_filesystem_broker_keeps_its_own_options():
    options = transport_options("filesystem://")
    assert options["data_folder_in"] == options["data_folder_out"]
    assert "visibility_timeout" not in options


# --- Real workers (PostgreSQL, marked broker) -----------------------------------


@pytest.fixture
def workers(broker, tmp_path, settings):
    """Start real workers on the private Redis; stop them all afterwards."""
    require_postgresql()
    started = []

    def start():
        log = tmp_path / f"worker-{len(started) + 1}.log"
        process = start_worker(
            broker_url=broker.url, min_size=settings.SEGMENT_MIN_SIZE, log=log
        )
        started.append(process)
        wait_for_worker(process, log=log)
        return process

    yield start
    for process in started:
        stop_worker(process)


def current(segment_id: int) -> bool:
    segment = Segment.objects.get(pk=segment_id)
    return segment.version == segment.pending_version and segment.status in (
        Segment.Status.ACTIVE,
        Segment.Status.INACTIVE,
    )


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_an_outage_loses_no_recompute_with_a_real_worker(
    editor_client, partner, app, editor, broker, workers, settings
):
    settings.SEGMENT_MIN_SIZE = 1
    cheap, rich = spender(app, "20"), spender(app, "80")
    workers()
    existing = segment_create(
        partner=partner, app=app, name="Existing", definition=SPEND_OVER, user=editor
    )
    wait_for(lambda: current(existing.pk), seconds=60, what="the first computation")
    assert members(existing) == {cheap.pk, rich.pk}

    broker.stop()
    response = editor_client.post(
        reverse("engagement:segment_create"),
        editor_post(app, [SPEND_ROW], name="Saved in an outage"),
    )
    assert response.status_code == 302
    assert "queued" in editor_client.get(response.url).content.decode()
    created = Segment.objects.get(name="Saved in an outage")
    assert created.pending_version > created.version
    response = editor_client.post(
        reverse("engagement:segment_edit", args=[existing.pk]),
        editor_post(app, [{**SPEND_ROW, "value": "50"}], name="Existing"),
    )
    assert response.status_code == 302
    assert "queued" in editor_client.get(response.url).content.decode()
    existing.refresh_from_db()
    assert existing.pending_version > existing.version
    assert members(existing) == {cheap.pk, rich.pk}

    broker.start()  # empty: what was queued before the outage is gone too
    assert membership.segments_request_stalled(grace=NO_GRACE) == 2
    wait_for(
        lambda: current(created.pk) and current(existing.pk),
        seconds=180,
        what="the worker to reconnect and compute both segments",
    )
    assert members(created) == {cheap.pk, rich.pk}
    assert members(existing) == {rich.pk}


def backends_blocked_by(pid: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            [pid],
        )
        return [row[0] for row in cursor.fetchall()]


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_recompute_is_recovered_by_the_sweeper(
    partner, app, editor, broker, workers, settings
):
    settings.SEGMENT_MIN_SIZE = 1
    customer = spender(app, "20")
    first = workers()
    with psycopg.connect(database_url()) as holder:
        # The recompute takes its segment's lock, then reads the app's
        # customers: holding that table keeps the worker inside the recompute.
        holder.execute(
            f"LOCK TABLE {AppCustomer._meta.db_table} IN ACCESS EXCLUSIVE MODE"
        )
        segment = segment_create(
            partner=partner, app=app, name="Killed", definition=SPEND_OVER, user=editor
        )
        (orphan,) = wait_for(
            lambda: backends_blocked_by(holder.info.backend_pid),
            seconds=60,
            what="the worker to start the recompute and wait on the customers",
        )
        assert broker.client().hlen("unacked") == 1  # delivered, not acknowledged
        # A running recompute holds its lock: the sweeper leaves it alone.
        assert membership.segments_request_stalled(grace=NO_GRACE) == 0
        first.kill()
        first.wait(timeout=20)
        holder.rollback()
    # PostgreSQL notices the dead client only once the orphan's statement
    # is done and it waits for the next one: then it ends, rolls back and
    # releases the segment's lock.
    wait_for(
        lambda: not backend_alive(orphan),
        seconds=60,
        what="PostgreSQL to end the killed worker's session",
    )
    # Redis hands the message out again only after the visibility timeout.
    assert broker.client().hlen("unacked") == 1
    segment.refresh_from_db()
    assert segment.pending_version > segment.version
    workers()
    assert membership.segments_request_stalled(grace=NO_GRACE) == 1
    wait_for(
        lambda: current(segment.pk),
        seconds=120,
        what="the new worker to compute the segment",
    )
    assert members(segment) == {customer.pk}
    # When Redis does hand the killed worker's message out, it changes nothing.
    runs = segment.runs.count()
    assert membership.segment_recompute(segment_id=segment.pk, version=1) is None
    assert segment.runs.count() == runs


# --- Known user groups: the linker's watermark --------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_linker_waits_for_a_long_transaction_that_wrote_customers(partner):
    """An import runs in one transaction, for minutes when it is large: the
    customers it stamped at its start become visible only when it commits.
    The linker must not move its watermark past them meanwhile, even when
    another writer commits later customers (the import's own link after its
    commit is no guarantee: its process may die first)."""
    from engagement.services import known_user_group_linking as linking
    from tests.factories import known_user_group

    require_postgresql()
    group = known_user_group(
        partner=partner, emails=["slow@mail.example", "quick@mail.example"]
    )
    later = timezone.now() + dt.timedelta(minutes=5)  # the lag is long past
    linking.known_user_groups_link_changed(now=later)
    with psycopg.connect(database_url()) as importer:
        importer.execute(
            f"INSERT INTO {Customer._meta.db_table} (email, authenticated, gender,"
            " market, store_purchase_count, store_acquisition_count, store_spend,"
            " created_at, updated_at) VALUES ('slow@mail.example', true, 'male',"
            " 'FR', 0, 0, 0, now(), now())"
        )
        CustomerFactory(email="quick@mail.example", authenticated=True)
        linking.known_user_groups_link_changed(now=later)
        importer.commit()
    linking.known_user_groups_link_changed(now=later + dt.timedelta(minutes=1))
    group.refresh_from_db()
    assert group.member_count == 2

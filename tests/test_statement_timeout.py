"""Statement timeouts: web processes never wait on one query for ever.

The faults are real: another PostgreSQL connection holds a lock, so the
page's query waits until the timeout cancels it.
"""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from customers.models import AppCustomer
from engagement.models import CustomerGroup
from tests.engagement.test_segment_views import SPEND_ROW, editor_post

ROOT = Path(__file__).resolve().parent.parent

needs_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="statement timeouts are PostgreSQL's",
)


def _database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )


def _show_statement_timeout(setup: str, setting="statement_timeout", **env) -> str:
    """SHOW ``setting`` in a fresh process after ``setup`` ran."""
    code = (
        f"{setup}\n"
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        f"    cursor.execute('SHOW {setting}')\n"
        "    print(cursor.fetchone()[0])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": _database_url(),
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@needs_postgresql
@pytest.mark.django_db
def test_web_processes_run_every_statement_under_the_web_timeout():
    assert (
        _show_statement_timeout(
            "import config.wsgi", DATABASE_WEB_STATEMENT_TIMEOUT="3"
        )
        == "3s"
    )
    assert (
        _show_statement_timeout(
            "import config.asgi", DATABASE_WEB_STATEMENT_TIMEOUT="4"
        )
        == "4s"
    )


@needs_postgresql
@pytest.mark.django_db
def test_web_processes_never_jit_compile_alongside_their_timeout():
    """JIT cost a third of a live estimate; the timeout's startup option and
    this one add up instead of replacing each other."""
    assert _show_statement_timeout("import config.wsgi", setting="jit") == "off"
    assert (
        _show_statement_timeout(
            "import config.wsgi", DATABASE_WEB_STATEMENT_TIMEOUT="3"
        )
        == "3s"
    )


@needs_postgresql
@pytest.mark.django_db
def test_workers_run_under_the_longer_worker_timeout():
    setup = (
        "import django; django.setup()\n"
        "from celery.signals import worker_init\n"
        "from config.celery import app\n"
        "worker_init.send(sender=None)\n"
    )
    assert (
        _show_statement_timeout(setup, DATABASE_WORKER_STATEMENT_TIMEOUT="120")
        == "2min"
    )


@needs_postgresql
@pytest.mark.django_db
def test_commands_keep_no_timeout():
    assert _show_statement_timeout("import django; django.setup()") == "0"


class Holder:
    """Another connection that holds a table lock."""

    def __init__(self, other: psycopg.Connection):
        self.other = other

    def wait_until_blocking(self, seconds: float = 30) -> None:
        """Poll until some session waits for this lock."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE %s = ANY(pg_blocking_pids(pid))",
                    [self.other.info.backend_pid],
                )
                if cursor.fetchone()[0]:
                    return
        raise AssertionError("nothing waited for the lock")


@contextmanager
def locked(model):
    """Hold an exclusive lock on ``model``'s table from another connection."""
    with psycopg.connect(_database_url(), autocommit=False) as other:
        other.execute(f"LOCK TABLE {model._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        try:
            yield Holder(other)
        finally:
            other.rollback()


@pytest.fixture
def short_timeout():
    """This test's web requests run under a 300 ms statement timeout."""
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 300")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_timed_out_estimate_says_so_instead_of_an_error_page(
    editor_client, app, short_timeout
):
    with locked(AppCustomer):
        response = editor_client.post(
            reverse("engagement:segment_estimate"), editor_post(app, [SPEND_ROW])
        )
    assert response.status_code == 200
    assert "the estimate is taking too long; save to compute it" in (
        response.content.decode()
    )


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_timed_out_page_answers_503_with_a_plain_message(
    editor_client, app, short_timeout
):
    with locked(CustomerGroup):
        page = editor_client.get(reverse("engagement:customer_groups"))
        fragment = editor_client.get(
            reverse("engagement:customer_groups"), HTTP_HX_REQUEST="true"
        )
    assert page.status_code == 503
    assert "This page is taking too long" in page.content.decode()
    assert fragment.status_code == 503
    assert "This is taking too long" in fragment.content.decode()
    # The connection is usable again once the lock is gone.
    assert editor_client.get(reverse("engagement:customer_groups")).status_code == 200


@pytest.fixture
def segment(partner, app):
    """A segment asked for (version 1) but not computed: no task is sent."""
    from engagement.services.segments import segment_create
    from tests.factories import SPEND_OVER_10

    return segment_create(
        partner=partner,
        app=app,
        name="Spenders",
        definition=SPEND_OVER_10,
        user=None,
        enqueue=False,
    )


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_recompute_past_the_timeout_fails_cleanly_instead_of_retrying(
    segment, short_timeout
):
    from engagement.services.membership import segment_recompute

    with locked(AppCustomer):
        run = segment_recompute(segment_id=segment.pk, version=1)
    segment.refresh_from_db()
    assert segment.status == segment.Status.FAILED
    assert "statement timeout" in run.error
    assert segment.version == 0


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_partners_never_wait_for_a_running_recompute(
    segment, app, editor_client, short_timeout, monkeypatch
):
    """A recompute of a big app takes seconds to minutes: saving, refreshing or
    deleting the segment meanwhile must not wait for it (and so run into the
    web timeout and lose the partner's edit)."""
    import threading

    from engagement.tasks.segments import segment_recompute_task

    # Requests go to a broker, as in production (tests otherwise run the
    # task in the request, which would wait for the lock).
    sent = []
    monkeypatch.setattr(
        segment_recompute_task,
        "apply_async",
        lambda args, kwargs=None: sent.append(args),
    )

    from django.db import connections

    from engagement.models import Segment
    from engagement.services.membership import segment_recompute

    with locked(AppCustomer) as holder:
        recompute = threading.Thread(
            target=lambda: (
                segment_recompute(segment_id=segment.pk, version=1),
                connections.close_all(),
            )
        )
        recompute.start()
        # The recompute is inside its transaction, waiting for the customers.
        holder.wait_until_blocking()
        edit = editor_client.post(
            reverse("engagement:segment_edit", args=[segment.pk]),
            editor_post(app, [{**SPEND_ROW, "value": "25"}], name="Big spenders"),
        )
        refresh = editor_client.post(
            reverse("engagement:segment_refresh", args=[segment.pk])
        )
        delete = editor_client.post(
            reverse("engagement:segment_delete", args=[segment.pk]), follow=True
        )
    recompute.join(30)
    assert edit.status_code == 302
    assert refresh.status_code == 302
    assert "is being computed right now" in delete.content.decode()
    segment = Segment.objects.get(pk=segment.pk)
    assert segment.name == "Big spenders"
    assert segment.definition["any"][0]["all"][0]["value"] == 25
    assert segment.pending_version == 3  # the save and the refresh asked again
    assert [version for _id, version, _trigger in sent] == [2, 3]

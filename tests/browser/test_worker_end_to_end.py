"""End to end through a real Celery worker on Redis: save, watch the count appear.

Runs where REDIS_URL is set and the tests use PostgreSQL (a worker process
cannot see SQLite's in-memory test database). CI runs it.
"""

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect

from config.celery import app as celery_app
from tests.factories import AppCustomerFactory, CustomerFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.broker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker(settings):
    if not os.environ.get("REDIS_URL") or connection.vendor != "postgresql":
        pytest.skip(
            "needs REDIS_URL and PostgreSQL (a worker shares the test database)"
        )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
            f":{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "SEGMENT_MIN_SIZE": str(settings.SEGMENT_MIN_SIZE),
    }
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "--app",
            "config",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if celery_app.control.ping(timeout=0.5):
                break
            if process.poll() is not None:
                pytest.fail(f"the worker exited:\n{process.stdout.read()}")
        else:
            pytest.fail("the Celery worker did not answer within 30 s")
        yield process
    finally:
        celery_app.conf.task_always_eager = True
        process.terminate()
        process.wait(timeout=20)


def test_saving_a_segment_in_the_browser_is_computed_by_a_real_worker(
    page, sign_in, editor, app, worker, settings
):
    for spend in ("20", "30", "40"):
        AppCustomerFactory(
            app=app, customer=CustomerFactory(store_spend=Decimal(spend))
        )
    sign_in("editor")
    page.goto("/engage/segments/new/?template=big-spenders")
    page.get_by_label("Group name").fill("Worker test")
    page.locator('.condition-row[data-row="0"]').get_by_label("Value").fill("10")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Worker test")).to_be_visible()
    # The page polls until the worker has applied the computation.
    expect(page.locator("#stat-members")).to_have_text(
        "Small" if settings.SEGMENT_MIN_SIZE > 3 else "3", timeout=30_000
    )
    expect(page.locator("#stat-status")).to_contain_text("Inactive", timeout=5_000)
    expect(page.locator("#stat-eligible")).to_have_text("3")

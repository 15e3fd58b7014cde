"""End to end through a real Celery worker on Redis: save, watch the count appear.

Runs where REDIS_URL is set and the tests use PostgreSQL (a worker process
cannot see SQLite's in-memory test database). CI runs it.
"""

import os
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from config.celery import app as celery_app
from tests.factories import AppCustomerFactory, CustomerFactory
from tests.workers import require_postgresql, start_worker, stop_worker, wait_for_worker

pytestmark = [
    pytest.mark.broker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker(settings, tmp_path):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL")
    require_postgresql()
    log = tmp_path / "worker.log"
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    process = start_worker(
        broker_url=os.environ["REDIS_URL"], min_size=settings.SEGMENT_MIN_SIZE, log=log
    )
    try:
        wait_for_worker(process, log=log, seconds=30)
        yield process
    finally:
        celery_app.conf.task_always_eager = True
        stop_worker(process)


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

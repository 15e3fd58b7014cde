"""``bench_notify`` runs end to end on a small app, with real workers and the
stand-in, and ends with its JSON line (PostgreSQL: workers share the
database)."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.demo import demo_data_seed
from tests.workers import database_url, require_postgresql

KEYS = [
    "channels",
    "rate_1_worker",
    "rate_2_workers",
    "bare_rate",
    "ratio_2_workers",
    "peak_rss_mb",
    "duplicates",
]


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_the_benchmark_delivers_every_channel_once_and_prints_its_json_line(
    monkeypatch, settings
):
    require_postgresql()
    monkeypatch.setenv("DATABASE_URL", database_url())  # the workers' database
    monkeypatch.delenv("REDIS_URL", raising=False)  # a private redis-server
    settings.CELERY_BROKER_URL = "filesystem://"
    app = demo_data_seed(customers=300, apps=1, seed=3).apps[0]
    out = io.StringIO()
    call_command("bench_notify", app=app.pk, channels=120, stdout=out)
    summary = json.loads(out.getvalue().splitlines()[-1])
    assert list(summary) == KEYS
    assert (summary["channels"], summary["duplicates"]) == (120, 0)
    assert summary["rate_2_workers"] > 0 and summary["peak_rss_mb"] > 0


@pytest.mark.django_db
def test_the_benchmark_refuses_anything_but_postgresql():
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("refused on other databases only")
    with pytest.raises(CommandError, match="make bench-notify"):
        call_command("bench_notify", channels=10)

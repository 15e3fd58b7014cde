"""``bench_import`` measures PostgreSQL only, and leaves nothing behind."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from customers.management.bench_import import BENCH_PARTNER, bench_import
from customers.models import App, Customer, Partner

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor == "postgresql", reason="refuses SQLite")
def test_the_command_refuses_sqlite():
    with pytest.raises(CommandError, match="measures PostgreSQL"):
        call_command("bench_import", "--rows", "10", stdout=StringIO())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_a_small_run_reports_every_figure_and_removes_what_it_made():
    out = StringIO()

    figures = bench_import(rows=300, stdout=out)

    assert figures["import_rows"] == 300
    for name in ("import_seconds", "copy_seconds", "upsert_seconds"):
        assert figures[name] > 0
    assert figures["import_vs_copy"] > 0
    # Where the time went, from the import's own steps.
    phases = figures["import_phases_s"]
    assert set(phases) == {
        "read_and_copy",
        "customers_upsert",
        "app_customers_upsert",
        "indexes_rebuilt",
        "around",
    }
    assert all(seconds >= 0 for seconds in phases.values()), phases
    assert sum(phases.values()) == pytest.approx(figures["import_seconds"], abs=0.01)
    assert figures["writes_vs_copy"] > figures["import_vs_copy"]
    assert 0 < figures["customers"] <= 300
    assert 0 < figures["import_peak_rss_mb"] < 1000
    assert "bare COPY" in out.getvalue()
    assert not Customer.objects.exists()
    assert not Partner.objects.filter(name=BENCH_PARTNER).exists()
    assert not App.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_it_refuses_a_database_with_customers():
    Customer.objects.create(email="someone@mail.example", market="FR")

    with pytest.raises(CommandError, match="empty customer tables"):
        bench_import(rows=10, stdout=StringIO())

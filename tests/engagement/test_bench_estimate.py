"""``bench_estimate`` runs end to end on a tiny seeded app and ends with its
JSON line."""

import io
import json

import pytest
from django.core.management import call_command

from customers.demo import demo_data_seed

pytestmark = pytest.mark.django_db(transaction=True)

KEYS = {
    "customers",
    "definitions",
    "median_ms",
    "p95_ms",
    "ratio_to_exact",
    "coverage",
    "max_rel_error_above_1pct",
}


def test_the_benchmark_ends_with_its_json_line(settings):
    settings.ESTIMATE_EXACT_MAX_ROWS = 100
    settings.ESTIMATE_SAMPLE_SIZE = 200
    app = demo_data_seed(customers=1_000, apps=1, seed=3).apps[0]
    out = io.StringIO()
    call_command("bench_estimate", app=app.pk, definitions=5, repeats=1, stdout=out)
    summary = json.loads(out.getvalue().splitlines()[-1])
    assert set(summary) >= KEYS
    assert summary["definitions"] == 5
    assert summary["customers"] == 1_000
    assert 0 <= summary["coverage"] <= 1


def test_the_benchmark_refuses_to_seed_anything_but_postgresql(settings):
    from django.core.management.base import CommandError
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("refused on other databases only")
    with pytest.raises(CommandError, match="make bench-estimate"):
        call_command("bench_estimate", customers=10)

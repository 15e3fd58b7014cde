"""The sampled live estimate is accurate as stated, on seeded data.

Deterministic: the demo data, its sample keys and the definitions all come
from fixed seeds, and the evaluation date is fixed, so the figures below are
the same on every run (on each database).
"""

import datetime as dt

import pytest

from customers.demo import demo_data_seed
from engagement import rules
from engagement.management.estimates import random_definitions, scored
from engagement.services.app_statistics import (
    app_statistics_eligible_count,
    segment_estimate,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
CUSTOMERS = 20_000
SAMPLE = 2_000
DEFINITIONS = 200


@pytest.fixture
def sampled_app(settings, django_capture_on_commit_callbacks):
    """An app of 20,000 demo customers (seed 11), estimated from a sample of
    about 2,000 of its available customers."""
    settings.ESTIMATE_EXACT_MAX_ROWS = 1_000
    settings.ESTIMATE_SAMPLE_SIZE = SAMPLE
    app = demo_data_seed(customers=CUSTOMERS, apps=1, seed=11, today=TODAY).apps[0]
    with django_capture_on_commit_callbacks(execute=True):
        eligible = app_statistics_eligible_count(app_id=app.pk, today=TODAY)
    return app, eligible


def estimated(app) -> list[tuple[int, int, int]]:
    """``(estimate, margin, exact)`` of each random definition."""
    results = []
    for definition in random_definitions(seed=2026, count=DEFINITIONS):
        estimate = segment_estimate(app=app, definition=definition, today=TODAY)
        assert estimate.sample is not None, "the sampled path"
        exact = rules.segment_queryset(
            definition=definition, app=app, today=TODAY
        ).count()
        results.append((estimate.members, estimate.margin, exact))
    return results


def test_the_stated_interval_covers_the_exact_count_in_95_percent_of_cases(
    sampled_app,
):
    app, eligible = sampled_app
    results = estimated(app)
    score = scored(results, eligible=eligible)
    assert score.coverage >= 0.95  # 197 of 200 here
    above = scored(
        [(v, m, e) for v, m, e in results if e > 0.01 * eligible], eligible=eligible
    )
    assert above.definitions >= 150
    assert above.coverage >= 0.95


def test_the_relative_error_is_under_5_percent_where_the_sample_promises_it(
    sampled_app,
):
    """Under 5% for every segment above 40% of the app, where a sample of
    2,000 of 13,324 states a 95% margin of 5%.

    The relative margin at share s of a sample of n is 1.96·√((1−s)/(n·s)),
    by the finite population correction: under 5% above 1% of the app takes
    n ≈ 152,000; the default 20,000 reaches it above ~7% (README "Live
    estimates"); this sample, above ~40%.
    """
    app, eligible = sampled_app
    results = estimated(app)
    score = scored(results, eligible=eligible, above=0.4)
    assert score.definitions >= 40
    assert score.max_rel_error < 0.05

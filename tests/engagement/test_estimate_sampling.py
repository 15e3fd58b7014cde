"""The live estimate from the app's sample: when it samples, how it scales,
its margin, and the Small rule on every number it shows (issue 12, point 1)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from customers.models import SAMPLE_KEY_RANGE, AppCustomer
from engagement import rules
from engagement.models import EstimateSample, Segment
from engagement.selectors.estimates import (
    Scaled,
    Shown,
    sample_cutoff,
    sample_size_wanted,
    sample_table_cutoff,
    scaled,
    shown_size,
    significant_up,
)
from engagement.services import membership
from engagement.services.app_statistics import (
    app_statistics_eligible_count,
    app_statistics_forget,
)
from engagement.services.estimate_sample import estimate_sample_build
from engagement.services.estimates import segment_estimate
from engagement.services.segments import segment_create
from tests.engagement.test_segment_editor_feedback import change_of, estimate
from tests.engagement.test_segment_views import SPEND_ROW
from tests.factories import SPEND_OVER_10, AppCustomerFactory, CustomerFactory

# The margins and rules below are stated for a minimum size of 100.
MINIMUM = 100


@pytest.fixture(autouse=True)
def _thresholds(settings):
    settings.SEGMENT_MIN_SIZE = MINIMUM
    settings.ESTIMATE_EXACT_MAX_ROWS = 50_000
    settings.ESTIMATE_SAMPLE_SIZE = 20_000


# Scaling and margins ---------------------------------------------------------


def test_the_app_is_counted_exactly_up_to_the_threshold(settings):
    settings.ESTIMATE_SAMPLE_MAX_SIZE = 160_000
    assert sample_table_cutoff(eligible=None) is None  # no stored count: counted
    assert sample_table_cutoff(eligible=50_000) is None
    # Above it, the table holds about ESTIMATE_SAMPLE_MAX_SIZE of them…
    assert sample_table_cutoff(eligible=1_600_000) == -(-SAMPLE_KEY_RANGE // 10)
    # … or all of them, for an app not much larger than that.
    assert sample_table_cutoff(eligible=60_000) == SAMPLE_KEY_RANGE
    # A first read of about ESTIMATE_SAMPLE_SIZE of a million.
    assert sample_cutoff(eligible=1_000_000, size=20_000) == -(-SAMPLE_KEY_RANGE // 50)


def test_a_count_that_might_be_above_1_percent_asks_for_a_5_percent_margin():
    # 2% ± 0.2% of a million: within 10% of itself, wants more. Sized for
    # the bottom of the interval, 1.8%: 1.96² · 0.982 / (0.05² · 0.018).
    wanted = sample_size_wanted(
        estimate=Scaled(20_000, 2_000), sample=20_000, population=1_000_000
    )
    assert wanted == 83_833
    # At 1% or below, sized for 1%: about 152,000.
    assert (
        sample_size_wanted(
            estimate=Scaled(9_000, 1_500), sample=20_000, population=1_000_000
        )
        == 152_128
    )


def test_a_count_within_5_percent_or_surely_under_1_percent_reads_no_more():
    assert (
        sample_size_wanted(
            estimate=Scaled(100_000, 4_000), sample=20_000, population=1_000_000
        )
        == 20_000
    )
    # 0.5% ± 0.2%: even the top of the interval is under 1% of the app.
    assert (
        sample_size_wanted(
            estimate=Scaled(5_000, 2_000), sample=20_000, population=1_000_000
        )
        == 20_000
    )


def test_the_estimate_scales_the_share_with_a_finite_population_margin():
    result = scaled(matches=500, sample=2_000, population=100_000)
    assert result.value == 25_000
    # 1.96 · 100,000 · √(0.25 · 0.75 / 2,000) · √(98,000 / 99,999) = 1,878.7
    assert result.margin == 1_879  # rounded up
    # The whole population sampled: nothing left to estimate.
    assert scaled(matches=5, sample=10, population=10).margin == 0


def test_no_match_in_the_sample_still_states_a_margin():
    result = scaled(matches=0, sample=20_000, population=1_000_000)
    assert result.value == 0
    # About what 1.96² sampled customers weigh: 1,000,000 / 20,000 · 3.84.
    assert 180 <= result.margin <= 200


def test_margins_are_rounded_up_to_two_significant_digits():
    assert significant_up(347) == 350
    assert significant_up(1_878.7) == 1_900
    assert significant_up(24) == 24
    assert significant_up(0) == 0


# The Small rule -------------------------------------------------------------


def test_an_exact_size_keeps_todays_display():
    assert shown_size(value=99, margin=None, zero_is_small=True) == Shown("small")
    # A margin of 0 (the whole app read from its sample) is an exact count.
    assert shown_size(value=120, margin=0, zero_is_small=True) == Shown("exact", 120)
    assert shown_size(value=100, margin=None, zero_is_small=True) == Shown("exact", 100)
    # Change counts: 0 is shown, 1 to 99 read "fewer than 100".
    assert shown_size(value=0, margin=None, zero_is_small=False) == Shown("exact", 0)
    assert shown_size(value=42, margin=None, zero_is_small=False) == Shown(
        "fewer", MINIMUM
    )


def test_a_sampled_size_whose_interval_is_below_the_minimum_is_small():
    assert shown_size(value=60, margin=39, zero_is_small=True) == Shown("small")
    # A change count: "fewer than 100", the minimum, as exact ones do.
    shown = shown_size(value=60, margin=39, zero_is_small=False)
    assert shown == Shown("fewer", MINIMUM) and not shown.sampled


def test_a_sampled_size_that_might_be_under_the_minimum_shows_only_a_bound():
    # 120 ± 50: the true size may be 70; shown "fewer than about 170".
    shown = shown_size(value=120, margin=50, zero_is_small=True)
    assert (shown.kind, shown.value) == ("fewer", 170)
    assert shown.sampled
    # The bound is the top of the interval, rounded up.
    assert shown_size(value=90, margin=37, zero_is_small=False).value == 130


def test_a_sampled_size_clear_of_the_minimum_shows_about_and_its_margin():
    assert shown_size(value=12_437, margin=347, zero_is_small=True) == Shown(
        "about", 12_400, 350
    )
    assert shown_size(value=150, margin=25, zero_is_small=True) == Shown(
        "about", 150, 25
    )
    # The interval's bottom exactly at the minimum is clear of it.
    assert shown_size(value=200, margin=100, zero_is_small=True).kind == "about"


# The editor's estimate -------------------------------------------------------


@pytest.fixture
def sampled(app, settings, django_capture_on_commit_callbacks):
    """300 available customers with evenly spread sample keys, spending $0,
    $20 and $30 in turn; the estimate samples about 100 of them: the first
    100 (spends 0, 20, 30, 0, …)."""
    settings.ESTIMATE_EXACT_MAX_ROWS = 10
    settings.ESTIMATE_SAMPLE_SIZE = 100
    settings.ESTIMATE_SAMPLE_MAX_SIZE = 100
    for i in range(300):
        AppCustomerFactory(
            app=app,
            customer=CustomerFactory(store_spend=Decimal(("0", "20", "30")[i % 3])),
            sample_key=i * (SAMPLE_KEY_RANGE // 300) + SAMPLE_KEY_RANGE // 600,
        )
    with django_capture_on_commit_callbacks(execute=True):
        app_statistics_eligible_count(app_id=app.pk, today=rules.evaluation_date())
    estimate_sample_build(app_id=app.pk)
    return app


@pytest.mark.django_db
def test_a_large_app_is_estimated_from_its_sample(editor_client, sampled):
    members, _text, html = estimate(editor_client, sampled, [SPEND_ROW])
    # 66 of the 100 sampled spent over $10: 300 · 0.66 = 198, ± 1.96 · 300 ·
    # √(0.66 · 0.34 / 100 · 200 / 299) = 22.8, shown to two digits.
    assert members == "about 200 ± 23"
    note = re.search(r'id="estimate-sample">([^<]*)<', html).group(1)
    assert note.startswith("Estimated from a sample of 100 customers")


@pytest.mark.django_db
def test_a_sample_counts_in_one_statement_over_the_sample_table(editor_client, sampled):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        estimate(editor_client, sampled, [SPEND_ROW])
    sample_table = EstimateSample._meta.db_table
    counted = [query["sql"] for query in queries if sample_table in query["sql"]]
    assert len(counted) == 1
    assert not [q for q in queries if AppCustomer._meta.db_table in q["sql"]]


@pytest.mark.django_db
def test_a_count_that_might_be_above_1_percent_reads_further_keys(
    sampled, settings, django_capture_on_commit_callbacks
):
    """The table holds 200 of the 300 customers; in the first 100, 99 ± 23
    spend over $25, wider than 5% of it: the estimate reads the keys up to
    the 200th as well and states the margin of 200 of 300."""
    settings.ESTIMATE_SAMPLE_MAX_SIZE = 200
    with django_capture_on_commit_callbacks(execute=True):
        app_statistics_forget(app_ids=[sampled.pk])
        app_statistics_eligible_count(app_id=sampled.pk, today=rules.evaluation_date())
    estimate_sample_build(app_id=sampled.pk)
    assert EstimateSample.objects.filter(app=sampled).count() == 200
    result = segment_estimate(
        app=sampled,
        definition={
            "version": 1,
            "any": [
                {"all": [{"attribute": "store_spend", "operator": "gt", "value": 25}]}
            ],
        },
    )
    # 66 of the first 200 spent $30: 300 · 66/200 = 99.
    assert (result.sample, result.members) == (200, 99)
    assert result.margin == 12  # 1.96 · 300 · √(0.33 · 0.67 / 200 · 100 / 299)


@pytest.mark.django_db
def test_a_small_app_keeps_the_exact_count(editor_client, app, settings):
    settings.SEGMENT_MIN_SIZE = 1
    for _ in range(3):
        AppCustomerFactory(app=app, customer=CustomerFactory(store_spend=20))
    members, _text, html = estimate(editor_client, app, [SPEND_ROW])
    assert members == "3"
    assert "estimate-sample" not in html


@pytest.mark.django_db
def test_the_sampled_change_follows_the_small_rule_per_number(
    editor_client, sampled, partner, editor
):
    segment = segment_create(
        partner=partner,
        app=sampled,
        name="Spenders",
        definition=SPEND_OVER_10,
        user=editor,
    )
    version = membership.segment_request_recompute(
        segment=segment, trigger="save", enqueue=False
    )
    membership.segment_recompute(segment_id=segment.pk, version=version)
    assert Segment.objects.get(pk=segment.pk).member_count == 200  # exact
    # Over $25: the 100 who spent $20 leave. In the sample: no one joins
    # (0 ± 10: Small, "fewer than 100"); 33 stay, 300 · 0.33 = 99 ± 23, so
    # 200 − 99 = 101 ± 23 leave, which might be under 100: only a bound.
    _m, _t, html = estimate(
        editor_client,
        sampled,
        [{**SPEND_ROW, "value": "25"}],
        segment=segment.pk,
    )
    assert change_of(html) == (
        "fewer than 100 would join, fewer than about 130 would leave"
    )


@pytest.mark.django_db
def test_reading_on_always_progresses_and_stops(
    sampled, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """A size wanted just above the sample read so far reads at least twice
    as many: a handful of statements, never one a customer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from engagement.services import estimates

    settings.ESTIMATE_SAMPLE_MAX_SIZE = 300
    app_statistics_forget(app_ids=[sampled.pk])
    with django_capture_on_commit_callbacks(execute=True):
        app_statistics_eligible_count(app_id=sampled.pk, today=rules.evaluation_date())
    estimate_sample_build(app_id=sampled.pk)
    monkeypatch.setattr(
        estimates, "sample_size_wanted", lambda *, sample, **kwargs: sample + 1
    )
    with CaptureQueriesContext(connection) as queries:
        result = segment_estimate(app=sampled, definition=SPEND_OVER_10)
    reads = [q for q in queries if EstimateSample._meta.db_table in q["sql"]]
    assert result.sample == 300  # read to the end of the table
    assert len(reads) == 3  # 100, then 200, then 300


# Estimates kept in the cache -------------------------------------------------


def sample_reads(queries) -> int:
    return sum(EstimateSample._meta.db_table in query["sql"] for query in queries)


@pytest.mark.django_db
def test_an_estimate_made_before_reads_the_sample_no_more(editor_client, sampled):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first, _text, _html = estimate(editor_client, sampled, [SPEND_ROW])
    with CaptureQueriesContext(connection) as queries:
        again, _text, _html = estimate(editor_client, sampled, [SPEND_ROW])
    assert again == first == "about 200 ± 23"
    assert sample_reads(queries) == 0


@pytest.mark.django_db
def test_a_recompute_or_a_new_sample_is_counted_again(
    editor_client, sampled, partner, editor, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    segment = segment_create(
        partner=partner,
        app=sampled,
        name="Spenders",
        definition=SPEND_OVER_10,
        user=editor,
    )

    def recompute() -> None:
        version = membership.segment_request_recompute(
            segment=segment, trigger="save", enqueue=False
        )
        membership.segment_recompute(segment_id=segment.pk, version=version)

    def reads(**kwargs) -> int:
        with CaptureQueriesContext(connection) as queries:
            estimate(editor_client, sampled, [SPEND_ROW], **kwargs)
        return sample_reads(queries)

    recompute()
    assert (reads(segment=segment.pk), reads(segment=segment.pk)) == (1, 0)
    recompute()  # the membership the preview probes may have changed
    assert reads(segment=segment.pk) == 1
    assert reads() == 1  # the estimate alone is kept apart

    with django_capture_on_commit_callbacks(execute=True):
        app_statistics_forget(app_ids=[sampled.pk])
    estimate_sample_build(app_id=sampled.pk)  # a new sample, a new version
    assert reads() == 1


@pytest.mark.django_db
def test_a_current_sample_estimates_after_its_count_has_aged(editor_client, sampled):
    """The count the sample scales to lasts as long as the sample: ten
    minutes later an estimate still reads the sample, not a million rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from engagement.models import AppStatistics
    from engagement.services.app_statistics import ELIGIBLE_COUNT_MAX_AGE

    AppStatistics.objects.filter(app=sampled).update(
        computed_at=timezone.now() - 2 * ELIGIBLE_COUNT_MAX_AGE
    )
    with CaptureQueriesContext(connection) as queries:
        members, _text, _html = estimate(editor_client, sampled, [SPEND_ROW])
    assert members == "about 200 ± 23"
    assert sample_reads(queries) == 1
    assert not [q for q in queries if AppCustomer._meta.db_table in q["sql"]]
    # The count itself is no longer current for what counts exactly.
    assert (
        app_statistics_eligible_count(app_id=sampled.pk, today=rules.evaluation_date())
        == 300
    )


@pytest.mark.django_db
def test_a_sample_is_built_with_the_count_it_scales_to(sampled):
    from engagement.models import AppStatistics

    app_statistics_forget(app_ids=[sampled.pk])
    estimate_sample_build(app_id=sampled.pk)
    row = AppStatistics.objects.get(app=sampled)
    assert (row.eligible_count, row.computed_on) == (300, rules.evaluation_date())
    assert row.sample_version == row.customers_version

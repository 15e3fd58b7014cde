"""The benchmark's checks fail loudly: a wrong member set, a counter that
misses writes, a database that refuses a checkpoint."""

import pytest
from django.core.management.base import CommandError
from django.db import connection

from engagement import rules
from engagement.management import bench
from engagement.models import SegmentMembership
from engagement.services.segments import segment_create
from tests.engagement.test_membership import TODAY, recompute, spender
from tests.factories import SPEND_OVER_10

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(partner, app):
    segment = segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER_10, user=None
    )
    spender(app, "20")
    spender(app, "30")
    spender(app, "1")
    run = recompute(segment)
    queryset = rules.segment_queryset(
        definition=segment.definition, app=app, today=TODAY
    )
    return run, queryset


def test_the_member_set_check_passes_on_the_members_the_baseline_selects(computed):
    run, queryset = computed
    bench.member_set_check(run=run, queryset=queryset, expected=2)


def test_the_member_set_check_fails_on_a_missing_member(computed):
    run, queryset = computed
    SegmentMembership.objects.filter(segment_id=run.segment_id).first().delete()
    with pytest.raises(CommandError, match="1 selected customers are not members"):
        bench.member_set_check(run=run, queryset=queryset, expected=2)


def test_the_member_set_check_fails_on_a_member_the_baseline_does_not_select(
    computed, app
):
    run, queryset = computed
    stranger = spender(app, "0")
    SegmentMembership.objects.create(segment_id=run.segment_id, customer=stranger)
    with pytest.raises(CommandError, match="1 members are not selected"):
        bench.member_set_check(run=run, queryset=queryset, expected=2)


def test_the_member_set_check_fails_on_equal_counts_of_other_customers(computed, app):
    run, queryset = computed
    SegmentMembership.objects.filter(segment_id=run.segment_id).first().delete()
    SegmentMembership.objects.create(
        segment_id=run.segment_id, customer=spender(app, "0")
    )
    with pytest.raises(CommandError, match="1 selected customers are not members"):
        bench.member_set_check(run=run, queryset=queryset, expected=2)


def test_a_counter_that_misses_writes_stops_the_benchmark(computed):
    run, _queryset = computed
    bench.membership_writes_check(written=2, run=run)
    with pytest.raises(CommandError, match="counted 0 rows written"):
        bench.membership_writes_check(written=0, run=run)


def test_each_measurement_starts_from_a_checkpoint_it_saw_complete():
    if connection.vendor != "postgresql":
        pytest.skip("CHECKPOINT is PostgreSQL's")
    measurement, result = bench.measure(lambda: 42)
    assert result == 42
    assert measurement.from_checkpoint
    assert measurement.mark.startswith("ckpt")

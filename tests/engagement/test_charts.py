"""The history chart: geometry in engagement.charts, drawn by the segment page."""

import datetime as dt
import re

import pytest

from engagement.charts import HEIGHT, WIDTH, history_chart
from engagement.models import SegmentRun
from engagement.selectors.segments import segment_history_runs
from engagement.services.segments import segment_create
from tests.factories import SPEND_OVER_10

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def run(*, day: int, members: int) -> SegmentRun:
    return SegmentRun(
        version=day + 1, started_at=START + dt.timedelta(days=day), member_count=members
    )


def test_no_run_draws_nothing():
    chart = history_chart(runs=[])
    assert chart.points == "" and chart.dots == [] and chart.first is None


def test_one_run_sits_in_the_middle_at_the_top():
    chart = history_chart(runs=[run(day=0, members=40)])
    assert chart.points == f"{WIDTH / 2:.1f},0.0"
    assert chart.max_count == 40


def test_runs_spread_over_the_width_scaled_to_the_largest_count():
    chart = history_chart(
        runs=[run(day=0, members=300), run(day=1, members=100), run(day=2, members=0)]
    )
    assert chart.points == f"0.0,0.0 300.0,{HEIGHT * 2 / 3:.1f} 600.0,{HEIGHT:.1f}"
    assert (chart.first, chart.last) == (START, START + dt.timedelta(days=2))


@pytest.fixture
def segment(partner, app, editor):
    return segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER_10, user=editor
    )


@pytest.mark.django_db
def test_the_chart_reads_successful_runs_oldest_first(segment):
    for day, members, error in [(2, 7, ""), (0, 5, ""), (1, None, "boom")]:
        SegmentRun.objects.create(
            segment=segment,
            version=day + 1,
            started_at=START + dt.timedelta(days=day),
            member_count=members,
            error=error,
        )
    assert [r.member_count for r in segment_history_runs(segment=segment)] == [5, 7]


@pytest.mark.django_db
def test_coordinates_keep_a_decimal_point_in_french(editor_client, segment):
    for day, members in enumerate([300, 100, 250]):
        SegmentRun.objects.create(
            segment=segment,
            version=day + 1,
            started_at=START + dt.timedelta(days=day),
            member_count=members,
        )
    html = editor_client.get(
        segment.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert 'lang="fr"' in html
    circles = re.findall(r'<circle cx="([^"]+)" cy="([^"]+)"', html)
    assert circles == [("0.0", "0.0"), ("300.0", "106.7"), ("600.0", "26.7")]

"""The segment page draws its history chart and computations table once per
set of runs they show, in each language and time zone, and draws them again
as soon as a computation starts or ends (issue 12: pages under load)."""

import datetime as dt
import re

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from engagement.models import SegmentRun
from engagement.services.segments import segment_create
from tests.factories import SPEND_OVER_10

CHART = "engagement/segments/_history_chart.html"
TABLE = "engagement/segments/_runs.html"


@pytest.fixture
def segment(partner, app, editor):
    segment = segment_create(
        partner=partner, app=app, name="Spenders", definition=SPEND_OVER_10, user=editor
    )
    start = timezone.now() - dt.timedelta(days=3)
    for day, members in enumerate([300, 250]):
        started = start + dt.timedelta(days=day)
        SegmentRun.objects.create(
            segment=segment,
            version=day + 1,
            started_at=started,
            finished_at=started + dt.timedelta(seconds=2),
            member_count=members,
        )
    return segment


def parts(response) -> list[str]:
    """The chart and the table as the page shows them."""
    html = response.content.decode()
    return re.findall(
        r"<figure.*?</figure>|<table[^>]*segment-runs.*?</table>", html, re.S
    )


def drawn(response) -> set[str]:
    return {CHART, TABLE} & {template.name for template in response.templates}


@pytest.mark.django_db
def test_the_chart_and_table_are_drawn_once_for_the_same_runs(editor_client, segment):
    first = editor_client.get(segment.get_absolute_url())
    again = editor_client.get(segment.get_absolute_url())
    assert drawn(first) == {CHART, TABLE}
    assert len(parts(first)) == 2
    assert drawn(again) == set()
    assert parts(again) == parts(first)


@pytest.mark.django_db
def test_a_computation_that_starts_then_ends_is_drawn_each_time(editor_client, segment):
    editor_client.get(segment.get_absolute_url())
    run = SegmentRun.objects.create(
        segment=segment, version=3, started_at=timezone.now()
    )
    running = editor_client.get(segment.get_absolute_url())
    assert drawn(running) == {TABLE}  # the chart shows finished runs only
    assert "Running" in running.content.decode()

    run.finished_at, run.member_count = timezone.now(), 4_321
    run.save()
    finished = editor_client.get(segment.get_absolute_url())
    assert drawn(finished) == {CHART, TABLE}
    html = finished.content.decode()
    assert "Running" not in html
    # The table, and the chart's top, its point and the point's text.
    assert html.count("4,321") == 4


@pytest.mark.django_db
def test_each_language_and_time_zone_is_drawn_apart(editor_client, segment):
    english = editor_client.get(segment.get_absolute_url())
    french = editor_client.get(segment.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr")
    assert drawn(english) == drawn(french) == {CHART, TABLE}
    with translation.override("fr"):
        duration, members = (
            gettext("Duration"),
            gettext("Customers in this segment at each computation"),
        )
    assert duration != "Duration"
    html = french.content.decode()
    assert duration in html and members in html

    with timezone.override("Pacific/Auckland"):
        from engagement.views.segments import _runs_drawn

        auckland = _runs_drawn(segment=segment, runs=list(segment.runs.all()))
    assert "Pacific/Auckland" in auckland

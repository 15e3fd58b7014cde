"""The history chart: geometry in engagement.charts, drawn by the segment page."""

import datetime as dt
import re

import pytest

from engagement.charts import HEIGHT, WIDTH, history_chart
from engagement.models import Segment, SegmentRun
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


def test_each_point_is_labelled_in_the_language_and_time_zone_shown():
    from django.utils import timezone, translation

    runs = [run(day=0, members=12_345), run(day=1, members=40)]
    with translation.override("fr"), timezone.override("Europe/Paris"):
        chart = history_chart(runs=runs, min_size=100)
    # 00:00 UTC is 01:00 in Paris; French groups digits with a narrow space.
    assert chart.dots[0].when == "01/01/2026 01:00"
    assert chart.dots[0].count == "12\u202f345"
    assert chart.dots[1].small and chart.dots[1].count == ""


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


def test_small_points_sit_on_one_band_under_the_minimum_line():
    chart = history_chart(
        runs=[run(day=0, members=10), run(day=1, members=90), run(day=2, members=400)],
        min_size=100,
    )
    small_y = {dot.y for dot in chart.dots if dot.small}
    # Both Small points at the same height: the drawing hides their counts.
    assert len(small_y) == 1
    assert [dot.small for dot in chart.dots] == [True, True, False]
    assert chart.min_line_y == f"{HEIGHT * (1 - 100 / 400):.1f}"
    assert float(chart.min_line_y) < float(small_y.pop()) < HEIGHT
    assert chart.small is False  # the latest point is not Small


def test_a_small_segments_scale_tops_at_the_minimum():
    chart = history_chart(
        runs=[run(day=0, members=37), run(day=1, members=42)], min_size=100
    )
    assert chart.small and chart.max_count == 100 and chart.min_line_y == "0.0"
    assert {dot.y for dot in chart.dots} == {f"{HEIGHT / 2:.1f}"}


def _runs(segment, counts):
    for day, members in enumerate(counts):
        SegmentRun.objects.create(
            segment=segment,
            version=day + 1,
            started_at=START + dt.timedelta(days=day + 4),
            finished_at=START + dt.timedelta(days=day + 4, seconds=1),
            member_count=members,
            joined=members,
            left=0,
        )


@pytest.mark.django_db
def test_axis_labels_follow_the_language(editor_client, segment):
    _runs(segment, [1303, 2500, 1800])
    english = editor_client.get(segment.get_absolute_url()).content.decode()
    assert ">2,500</text>" in english
    assert ">01/05/2026</text>" in english and ">01/07/2026</text>" in english
    french = editor_client.get(
        segment.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert re.search(r">2[\u00a0\u202f ]500</text>", french)
    assert ">05/01/2026</text>" in french and ">07/01/2026</text>" in french
    # Coordinates stay numbers with a point in French.
    assert not re.search(r'(?:c[xy]|[xy][12]?)="-?\d+,\d+"', french)


@pytest.mark.django_db
def test_the_chart_has_a_text_alternative_with_the_same_points(editor_client, segment):
    _runs(segment, [1303, 2500])
    html = editor_client.get(segment.get_absolute_url()).content.decode()
    table = html[html.index('<table class="visually-hidden"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", table)
    assert [members for _when, members in rows] == ["1,303", "2,500"]
    assert 'aria-describedby="history-table-caption"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_small_segment_page_shows_no_member_number(
    editor_client, segment, settings, language
):
    settings.SEGMENT_MIN_SIZE = 100
    _runs(segment, [37, 42])
    Segment.objects.filter(pk=segment.pk).update(
        member_count=42,
        eligible_count=5000,
        status=Segment.Status.INACTIVE,
        version=2,
        pending_version=2,
        computed_at=START,
    )
    html = editor_client.get(
        segment.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    for number in ("37", "42"):
        assert not re.search(rf"(?<![\w.,-]){number}(?![\w.,-])", html), number
    # The y axis carries no member figure, the minimum is a labelled line, and
    # the page says what the minimum is.
    assert 'class="chart-y-label"' not in html
    assert 'class="chart-min-size"' in html
    table = html[html.index('<table class="visually-hidden"') :]
    small = {"en": "Small", "fr": "Petit"}[language]
    assert table[: table.index("</table>")].count(f"<td>{small}</td>") == 2
    if language == "en":
        assert "Minimum size: 100" in html
        assert "minimum size of 100 customers" in html

"""Chart geometry for server-rendered SVG: data in, coordinates out.

No database and no templates here: a selector reads the rows, this module
scales them, the template draws. Coordinates are plain strings with a dot
as the decimal separator, so a localised template (French writes 12,5)
never breaks an SVG attribute. Each point's labels (its date, its count)
are localised here, once, in the active language and time zone: the chart
and its table both show them, and formatting 90 dates twice in the template
was a fifth of the segment page's time.

The privacy floor holds in the drawing too: a point below the minimum size
sits on one fixed "Small" band between the minimum-size line and zero, so
its position reveals no more than its "Small" label.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone
from django.utils.formats import date_format

from engagement.models import SegmentRun

WIDTH = 600
HEIGHT = 160


@dataclass(frozen=True)
class HistoryDot:
    x: str
    y: str
    run: SegmentRun
    small: bool  # below the minimum size: label "Small", never the count
    when: str  # the computation's start, localised
    count: str  # its member count, localised ("" when small)


@dataclass(frozen=True)
class HistoryChart:
    """Member count over time, scaled into a WIDTH × HEIGHT box."""

    points: str  # "x,y x,y …", the polyline
    dots: list[HistoryDot]
    max_count: int  # the top of the scale: the largest count, or the minimum
    first: dt.datetime | None
    last: dt.datetime | None
    min_size: int = 0
    # The y of the minimum-size line, drawn when any point is Small; "" if not.
    min_line_y: str = ""
    # The latest point is Small: the chart shows no member figure at all.
    small: bool = False


def _coordinate(value: float) -> str:
    return f"{value:.1f}"


def history_chart(*, runs: Sequence[SegmentRun], min_size: int = 0) -> HistoryChart:
    """Scale successful computations, oldest first, into chart coordinates."""
    if not runs:
        return HistoryChart(
            points="", dots=[], max_count=0, first=None, last=None, min_size=min_size
        )
    smalls = [run.member_count < min_size for run in runs]
    top = max([run.member_count for run in runs] + ([min_size] if any(smalls) else []))
    top = top or 1
    floor_y = HEIGHT * (1 - min_size / top)
    small_y = (floor_y + HEIGHT) / 2  # the Small band, halfway to zero
    span = len(runs) - 1 or 1
    dots = [
        HistoryDot(
            x=_coordinate(WIDTH * i / span if len(runs) > 1 else WIDTH / 2),
            y=_coordinate(small_y if small else HEIGHT * (1 - run.member_count / top)),
            run=run,
            small=small,
            when=date_format(
                timezone.localtime(run.started_at), "SHORT_DATETIME_FORMAT"
            ),
            count="" if small else intcomma(run.member_count),
        )
        for i, (run, small) in enumerate(zip(runs, smalls, strict=True))
    ]
    return HistoryChart(
        points=" ".join(f"{dot.x},{dot.y}" for dot in dots),
        dots=dots,
        max_count=top,
        first=runs[0].started_at,
        last=runs[-1].started_at,
        min_size=min_size,
        min_line_y=_coordinate(floor_y) if any(smalls) else "",
        small=smalls[-1],
    )

"""Chart geometry for server-rendered SVG: data in, coordinates out.

No database and no templates here: a selector reads the rows, this module
scales them, the template draws. Coordinates are plain strings with a dot
as the decimal separator, so a localised template (French writes 12,5)
never breaks an SVG attribute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from engagement.models import SegmentRun

WIDTH = 600
HEIGHT = 160


@dataclass(frozen=True)
class HistoryDot:
    x: str
    y: str
    run: SegmentRun


@dataclass(frozen=True)
class HistoryChart:
    """Member count over time, scaled into a WIDTH × HEIGHT box."""

    points: str  # "x,y x,y …", the polyline
    dots: list[HistoryDot]
    max_count: int
    first: dt.datetime | None
    last: dt.datetime | None


def _coordinate(value: float) -> str:
    return f"{value:.1f}"


def history_chart(*, runs: Sequence[SegmentRun]) -> HistoryChart:
    """Scale successful computations, oldest first, into chart coordinates."""
    if not runs:
        return HistoryChart(points="", dots=[], max_count=0, first=None, last=None)
    top = max(run.member_count for run in runs) or 1
    span = len(runs) - 1 or 1
    dots = [
        HistoryDot(
            x=_coordinate(WIDTH * i / span if len(runs) > 1 else WIDTH / 2),
            y=_coordinate(HEIGHT * (1 - run.member_count / top)),
            run=run,
        )
        for i, run in enumerate(runs)
    ]
    return HistoryChart(
        points=" ".join(f"{dot.x},{dot.y}" for dot in dots),
        dots=dots,
        max_count=top,
        first=runs[0].started_at,
        last=runs[-1].started_at,
    )

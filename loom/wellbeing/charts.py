"""Geometry of the progress charts, drawn on the server as small inline SVG.

The templates (``wellbeing/_chart_line.html``, ``wellbeing/_chart_bars.html``) only
place what is computed here, so a page needs no JavaScript and no chart library, and
a year of daily points is a few kilobytes. Each chart is one image with a text name
(``role="img"``); the page always puts a table with the same numbers next to it.

Time runs in the reading direction: left to right in English, right to left in Hebrew
(the x coordinates are mirrored), like the resources analytics charts. The SVG itself is
always laid out left to right (``direction="ltr"`` in the templates) so that the
anchors computed here mean the same on both pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format

from loom.wellbeing.analysis import Bucket

WIDTH = 480
MOOD_MIN = 1
MOOD_MAX = 10
# Bigger than the analytics charts' text: these charts are read on phones.
MARGIN_START = 34
MARGIN_END = 8
TOP = 20
PLOT_HEIGHT = 150
AXIS_GAP = 22
# Dots are drawn for short ranges only; a year of dots would be noise (and bytes).
DOTS_MAX = 100


@dataclass(frozen=True)
class Dot:
    x: float
    y: float


@dataclass(frozen=True)
class AxisText:
    x: float
    y: float
    text: str
    anchor: str


@dataclass(frozen=True)
class LineChart:
    id: str
    title: str
    width: int
    height: int
    rtl: bool
    daily_path: str
    moving_path: str
    dots: list[Dot]
    grid: list[tuple[float, float, float]]  # (x1, x2, y)
    axis: list[AxisText]
    empty: bool


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_y: float


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    width: int
    height: int
    rtl: bool
    bars: list[Bar]
    baseline_y: float
    x1: float
    x2: float


def _mirror(x: float, rtl: bool, width: float = WIDTH) -> float:
    return width - x if rtl else x


def _anchor(anchor: str, rtl: bool) -> str:
    if not rtl or anchor == "middle":
        return anchor
    return "end" if anchor == "start" else "start"


def mood_y(value: float) -> float:
    """The y of a mood 1–10 (10 at the top)."""
    clamped = min(max(value, MOOD_MIN), MOOD_MAX)
    return TOP + (MOOD_MAX - clamped) / (MOOD_MAX - MOOD_MIN) * PLOT_HEIGHT


def _path(points: Sequence[tuple[date, float]], x_of: dict[date, float], max_gap: int) -> str:
    """An SVG path through the points, lifting the pen over gaps longer than
    ``max_gap`` days so a missing week is not drawn as a straight trend."""
    parts: list[str] = []
    previous: date | None = None
    for day, value in points:
        command = "L" if previous is not None and (day - previous).days <= max_gap else "M"
        parts.append(f"{command}{x_of[day]:.1f} {mood_y(value):.1f}")
        previous = day
    return " ".join(parts)


def line_chart(
    chart_id: str,
    title: str,
    *,
    start: date,
    end: date,
    daily: Sequence[tuple[date, float]],
    moving: Sequence[tuple[date, float]],
    rtl: bool,
) -> LineChart:
    """Daily average mood (thin line and dots) with its 7-day moving average (thick
    line) from ``start`` to ``end`` on a fixed 1–10 scale."""
    span = max((end - start).days, 1)
    plot_width = WIDTH - MARGIN_START - MARGIN_END
    days = sorted({day for day, _value in daily} | {day for day, _value in moving})
    x_of = {
        day: _mirror(MARGIN_START + (day - start).days / span * plot_width, rtl) for day in days
    }
    bottom = TOP + PLOT_HEIGHT
    grid = [
        (_mirror(MARGIN_START, rtl), _mirror(WIDTH - MARGIN_END, rtl), mood_y(level))
        for level in (1, 5, 10)
    ]
    axis = [
        AxisText(_mirror(MARGIN_START - 6, rtl), mood_y(level) + 4, str(level), _anchor("end", rtl))
        for level in (1, 5, 10)
    ]
    axis.append(
        AxisText(
            _mirror(MARGIN_START, rtl),
            bottom + AXIS_GAP - 4,
            date_format(start, "MONTH_DAY_FORMAT"),
            _anchor("start", rtl),
        )
    )
    axis.append(
        AxisText(
            _mirror(WIDTH - MARGIN_END, rtl),
            bottom + AXIS_GAP - 4,
            date_format(end, "MONTH_DAY_FORMAT"),
            _anchor("end", rtl),
        )
    )
    ordered = sorted(daily)
    return LineChart(
        id=chart_id,
        title=title,
        width=WIDTH,
        height=bottom + AXIS_GAP + 2,
        rtl=rtl,
        daily_path=_path(ordered, x_of, max_gap=1),
        moving_path=_path(sorted(moving), x_of, max_gap=7),
        dots=[Dot(x_of[day], mood_y(value)) for day, value in ordered]
        if len(ordered) <= DOTS_MAX
        else [],
        grid=grid,
        axis=axis,
        empty=not ordered,
    )


def bar_chart(
    chart_id: str, title: str, buckets: Sequence[tuple[str, Bucket]], *, rtl: bool
) -> BarChart:
    """One column per bucket (a weekday, a part of the day) on the fixed 0–10 scale, its
    label below and its average above; an empty bucket has no column and a dash."""
    plot_width = WIDTH - 2 * MARGIN_END
    slot = plot_width / max(len(buckets), 1)
    bottom = TOP + PLOT_HEIGHT
    bars = []
    for index, (label, bucket) in enumerate(buckets):
        height = 0.0 if bucket.average is None else bucket.average / MOOD_MAX * PLOT_HEIGHT
        width = slot * 0.6
        x = MARGIN_END + index * slot + slot * 0.2
        if rtl:
            x = WIDTH - x - width
        bars.append(
            Bar(
                label=label,
                value_text="–" if bucket.average is None else f"{bucket.average:.1f}",
                x=x,
                y=bottom - height,
                width=width,
                height=height,
                label_x=x + width / 2,
                label_y=bottom + AXIS_GAP - 4,
                value_y=bottom - height - 5,
            )
        )
    return BarChart(
        id=chart_id,
        title=title,
        width=WIDTH,
        height=bottom + AXIS_GAP + 2,
        rtl=rtl,
        bars=bars,
        baseline_y=bottom,
        x1=MARGIN_END,
        x2=WIDTH - MARGIN_END,
    )

"""Geometry of the server-drawn charts (loom.wellbeing.charts)."""

from __future__ import annotations

from datetime import date, timedelta

from loom.wellbeing import charts
from loom.wellbeing.analysis import Bucket

START = date(2026, 3, 1)
END = date(2026, 3, 30)


def _line(daily, *, rtl=False):
    return charts.line_chart("c", "title", start=START, end=END, daily=daily, moving=daily, rtl=rtl)


def test_moods_map_to_a_fixed_scale() -> None:
    assert charts.mood_y(10) == charts.TOP
    assert charts.mood_y(1) == charts.TOP + charts.PLOT_HEIGHT
    # Out-of-range values are clamped, never drawn outside the plot.
    assert charts.mood_y(42) == charts.mood_y(10)
    assert charts.mood_y(-3) == charts.mood_y(1)


def test_time_runs_in_the_reading_direction() -> None:
    daily = [(START, 5.0), (END, 5.0)]
    ltr, rtl = _line(daily), _line(daily, rtl=True)
    assert ltr.dots[0].x < ltr.dots[1].x
    assert rtl.dots[0].x > rtl.dots[1].x
    assert ltr.dots[0].x == charts.WIDTH - rtl.dots[0].x


def test_the_daily_line_lifts_the_pen_over_missing_days() -> None:
    daily = [(START, 5.0), (START + timedelta(days=1), 6.0), (START + timedelta(days=5), 7.0)]
    chart = _line(daily)
    assert chart.daily_path.count("M") == 2 and chart.daily_path.count("L") == 1
    # The moving average bridges gaps up to a week.
    assert chart.moving_path.count("M") == 1


def test_an_empty_chart_says_so_and_draws_no_line() -> None:
    chart = _line([])
    assert chart.empty and chart.daily_path == "" and chart.dots == []


def test_a_year_has_no_dots_only_lines() -> None:
    daily = [(START + timedelta(days=i), 5.0) for i in range(365)]
    chart = charts.line_chart(
        "c", "t", start=START, end=START + timedelta(days=364), daily=daily, moving=daily, rtl=False
    )
    assert chart.dots == [] and chart.daily_path.count("L") == 364
    # A few kilobytes, not hundreds.
    assert len(chart.daily_path) + len(chart.moving_path) < 12_000


def test_bars_scale_to_ten_and_empty_buckets_have_no_column() -> None:
    chart = charts.bar_chart(
        "b",
        "t",
        [("Mon", Bucket(0, 10.0, 3)), ("Tue", Bucket(1, None, 0)), ("Wed", Bucket(2, 5.0, 1))],
        rtl=False,
    )
    full, empty, half = chart.bars
    assert full.height == charts.PLOT_HEIGHT and half.height == charts.PLOT_HEIGHT / 2
    assert empty.height == 0 and empty.value_text == "–"
    assert full.x < half.x
    mirrored = charts.bar_chart(
        "b", "t", [("Mon", Bucket(0, 1.0, 1)), ("Tue", Bucket(1, 2.0, 1))], rtl=True
    )
    assert mirrored.bars[0].x > mirrored.bars[1].x

"""Chart geometry (loom.analytics.charts) and the chart templates."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from loom.analytics import charts
from loom.analytics.charts import Series, bar_chart, line_chart, nice_scale, sparkline


def _xs(path: str) -> list[float]:
    return [float(x) for x in re.findall(r"[ML]([\d.]+) ", path)]


def test_nice_scale_includes_zero_and_rounds_out():
    assert nice_scale([12, 87]) == (0, 100, [0.0, 25, 50, 75, 100])
    low, high, ticks = nice_scale([-20, 45])
    assert low == -20 and high == 60 and 0.0 in ticks
    assert nice_scale([]) == (0.0, 1.0, [0.0, 0.25, 0.5, 0.75, 1.0])
    assert nice_scale([5, 5], y_min=0, y_max=10)[:2] == (0, 10)


def test_line_chart_runs_in_the_reading_direction():
    ltr = line_chart("a", labels=["1", "2", "3"], series=[Series("s", [1, 2, 3])], rtl=False)
    rtl = line_chart("a", labels=["1", "2", "3"], series=[Series("s", [1, 2, 3])], rtl=True)
    assert _xs(ltr.lines[0].path) == sorted(_xs(ltr.lines[0].path))
    assert _xs(rtl.lines[0].path) == sorted(_xs(rtl.lines[0].path), reverse=True)
    assert [round(charts.WIDTH - x, 1) for x in _xs(ltr.lines[0].path)] == _xs(rtl.lines[0].path)
    # The y labels sit at the start: left in English, right in Hebrew, anchored at the
    # end of their (logical) text, which the right-to-left SVG puts on its left.
    assert ltr.axis[0].x < charts.MARGIN_START < rtl.axis[0].x
    assert ltr.axis[0].anchor == rtl.axis[0].anchor == "end"


def test_the_pen_lifts_over_missing_weeks():
    chart = line_chart(
        "g", labels=list("abcde"), series=[Series("s", [1, 2, None, 4, 5])], rtl=False
    )
    path = chart.lines[0].path
    assert path.count("M") == 2 and path.count("L") == 2


def test_isolated_points_keep_a_dot_in_long_series():
    values = [None] * 80
    values[10] = 5.0
    values[40] = 6.0
    values[41] = 7.0
    chart = line_chart(
        "d", labels=[str(i) for i in range(80)], series=[Series("s", values)], rtl=False
    )
    assert len(chart.lines[0].dots) == 1  # only the lone point at 10


def test_target_line_and_its_label():
    chart = line_chart(
        "t", labels=["a", "b"], series=[Series("s", [40, 50])], rtl=False, unit="percent", target=95
    )
    assert chart.target is not None
    assert chart.target_text.text == "Target 95%"
    # The scale reaches the target even when every value is below it.
    assert chart.target.y >= charts.TOP
    assert [item.label for item in chart.legend] == ["s", "Target"]


def test_series_must_match_the_labels():
    with pytest.raises(ValueError):
        line_chart("x", labels=["a"], series=[Series("s", [1, 2])], rtl=False)


def test_empty_chart_is_marked_empty():
    chart = line_chart("e", labels=["a", "b"], series=[Series("s", [None, None])], rtl=False)
    assert chart.empty and chart.lines[0].path == ""


def test_at_most_four_x_labels_first_and_last_included():
    labels = [f"w{i}" for i in range(52)]
    chart = line_chart("x", labels=labels, series=[Series("s", [1.0] * 52)], rtl=False)
    texts = [a.text for a in chart.axis if a.text.startswith("w")]
    assert texts[0] == "w0" and texts[-1] == "w51" and len(texts) == 4


def test_grouped_bars_mirror_and_show_values_while_few():
    ltr = bar_chart(
        "b",
        labels=["a", "b"],
        series=[Series("x", [1, 2]), Series("y", [3, 4])],
        rtl=False,
        unit="count",
    )
    rtl = bar_chart(
        "b", labels=["a", "b"], series=[Series("x", [1, 2]), Series("y", [3, 4])], rtl=True
    )
    assert ltr.columns[0].rects[0].x < ltr.columns[1].rects[0].x
    assert rtl.columns[0].rects[0].x > rtl.columns[1].rects[0].x
    # Inside a group, the first series comes first in the reading direction too.
    assert rtl.columns[0].rects[0].x > rtl.columns[0].rects[1].x
    assert [t.text for t in ltr.columns[1].values] == ["2", "4"]
    many = bar_chart(
        "m", labels=[str(i) for i in range(13)], series=[Series("x", [1] * 13)], rtl=False
    )
    assert all(not c.values for c in many.columns)


def test_stacked_bars_add_up_and_refuse_negatives():
    chart = bar_chart(
        "s",
        labels=["a"],
        series=[Series("x", [2]), Series("y", [3])],
        rtl=False,
        stacked=True,
        unit="count",
    )
    [column] = chart.columns
    assert [t.text for t in column.values] == ["5"]
    bottom, top = column.rects
    assert bottom.y == pytest.approx(top.y + top.height)
    with pytest.raises(ValueError):
        bar_chart("n", labels=["a"], series=[Series("x", [-1])], rtl=False, stacked=True)


def test_negative_grouped_bars_hang_from_zero():
    chart = bar_chart("n", labels=["a", "b"], series=[Series("nps", [-20, 40])], rtl=False)
    assert chart.columns[0].rects[0].y == pytest.approx(chart.baseline.y)
    assert chart.columns[1].rects[0].y + chart.columns[1].rects[0].height == pytest.approx(
        chart.baseline.y
    )


def test_sparkline():
    spark = sparkline("s", [1, None, 3, 4], rtl=False, target=3.5)
    assert spark.path.startswith("M") and spark.path.count("M") == 2
    assert spark.last is not None and spark.last.x > 100
    assert spark.target_y is not None
    assert sparkline("e", [None, None], rtl=False).empty
    assert sparkline("r", [1, 2], rtl=True).last.x < 20


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (85.26, "percent", "85.3%"),
        (1204, "count", "1,204"),
        (8.24, "minutes", "8.2 min"),
        (23.96, "hours", "24.0 h"),
        (-12.4, "score", "-12"),
        (3.05, "per_coach", "3.0"),
        (None, "percent", "–"),
    ],
)
def test_format_value(value, unit, text):
    assert charts.format_value(value, unit) == text


@pytest.mark.django_db
def test_templates_render_a_named_image_with_a_legend():
    chart = line_chart(
        "k1",
        labels=["a", "b"],
        series=[Series("Everyone", [1, 2]), Series("Coaches", [2, 3])],
        rtl=True,
        target=2.5,
    )
    with translation.override("he"):
        html = render_to_string(
            "analytics/_chart_line.html",
            {"chart": chart, "name": "Onboarding <b>", "description": "d"},
        )
    assert 'role="img"' in html and 'aria-labelledby="k1-title"' in html
    assert 'direction="rtl"' in html
    assert "Onboarding &lt;b&gt;" in html  # the name is escaped
    assert 'aria-describedby="k1-desc"' in html
    assert "ax-swatch-secondary" in html and "ax-swatch-target" in html
    bars = bar_chart("k2", labels=["a"], series=[Series("x", [1]), Series("y", [2])], rtl=False)
    html = render_to_string("analytics/_chart_bars.html", {"chart": bars, "name": "Bars"})
    assert 'fill="url(#k2-hatch)"' in html and '<title id="k2-title">Bars</title>' in html
    spark = render_to_string(
        "analytics/_chart_spark.html", {"chart": sparkline("k3", [1, 2], rtl=False), "name": "Up"}
    )
    assert 'role="img"' in spark and ">Up</title>" in spark


def test_signed_numbers_keep_their_sign_in_right_to_left_text():
    assert charts.signed_number(2.5, digits=1) == "\u2066+2.5\u2069"
    assert charts.signed_number(-3, digits=0) == "\u2066\u22123\u2069"
    assert (
        charts.with_unit(charts.signed_number(-1.25, digits=1), "hours")
        == "\u2066\u22121.2\u2069 h"
    )


# --- review4: whole ticks for counts, every x label when they fit -------------------------


def _y_ticks(chart) -> list[str]:
    # The y labels are the axis texts left of the plot (the x labels sit below it).
    return [a.text for a in chart.axis if a.y < charts.TOP + charts.PLOT_HEIGHT + 8]


@pytest.mark.parametrize("counts", [[0, 1, 0], [1, 1], [0, 2, 1], [3, 0, 1], [0, 0, 0]])
def test_count_bars_have_whole_ticks_only(counts):
    chart = bar_chart(
        "c",
        labels=[str(i) for i in range(len(counts))],
        series=[Series("n", counts)],
        rtl=False,
        unit="count",
    )
    ticks = _y_ticks(chart)
    assert ticks and all(t.replace(",", "").isdigit() for t in ticks), ticks


def test_count_lines_have_whole_ticks_but_other_units_keep_fractions():
    counts = line_chart(
        "l", labels=["a", "b"], series=[Series("n", [0, 1])], rtl=False, unit="count"
    )
    assert all(t.isdigit() for t in _y_ticks(counts)), _y_ticks(counts)
    minutes = nice_scale([0, 1])
    assert 0.25 in minutes[2]  # not a count: quarter steps are fine


def test_large_count_steps_stay_round():
    assert nice_scale([0, 1000], whole=True)[2] == [0.0, 250, 500, 750, 1000]
    assert nice_scale([0, 7], whole=True)[2] == [0.0, 2, 4, 6, 8]


def test_every_label_of_the_nps_distribution_shows():
    labels = [str(score) for score in range(11)]
    for rtl in (False, True):
        chart = bar_chart(
            "nps",
            labels=labels,
            series=[Series("n", [float(i % 3) for i in range(11)])],
            rtl=rtl,
            unit="count",
            stacked=True,
        )
        texts = [a.text for a in chart.axis if a.y > charts.TOP + charts.PLOT_HEIGHT + 8]
        assert sorted(texts, key=int) == labels
        assert len(texts) == 11


def test_long_labels_still_thin_out():
    labels = [f"16 November {i}" for i in range(12)]
    chart = bar_chart("w", labels=labels, series=[Series("n", [1.0] * 12)], rtl=False)
    texts = [a.text for a in chart.axis if a.text.startswith("16 November")]
    assert len(texts) == charts.X_LABELS_MAX


@pytest.mark.parametrize("rtl", [False, True])
def test_wide_y_labels_stay_inside_the_chart(rtl):
    # 50,000 clients: "50,000" at the phone's font size is wider than the old fixed margin.
    for chart in (
        bar_chart(
            "b", labels=["a", "b"], series=[Series("n", [48_000, 50_000])], rtl=rtl, unit="count"
        ),
        line_chart(
            "l", labels=["a", "b"], series=[Series("n", [48_000, 50_000])], rtl=rtl, unit="count"
        ),
    ):
        ticks = [a for a in chart.axis if a.y < charts.TOP + charts.PLOT_HEIGHT + 8]
        assert any("," in a.text for a in ticks)
        for tick in ticks:
            width = len(tick.text) * charts.LABEL_CHAR_WIDTH
            # Anchored at its end: the text runs away from the plot, towards the edge.
            assert (tick.x - width >= 0) if not rtl else (tick.x + width <= charts.WIDTH)

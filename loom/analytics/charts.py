"""Geometry of the analytics charts, drawn on the server as small inline SVG.

The templates only place what is computed here, so a dashboard needs no JavaScript and no
chart library:

- ``analytics/_chart_line.html``: ``line_chart`` — one or more series over equally spaced
  periods (weeks, months) with an optional dashed target line;
- ``analytics/_chart_bars.html``: ``bar_chart`` — grouped or stacked columns per period;
- ``analytics/_chart_spark.html``: ``sparkline`` — a small trend for a table cell.

Include them with the chart and its accessible name::

    {% include "analytics/_chart_line.html" with chart=chart name=_("Onboarding, 12 weeks") %}

Each chart is one image (``role="img"``) named by ``name`` (and described by the
optional ``description``); the page always shows a table with the same numbers next
to it. Series are told apart by line dash or fill pattern as well as colour, and the
legend repeats the sample, so nothing relies on colour alone.

Time runs in the reading direction: left to right in English, right to left in Hebrew
(``rtl=True`` mirrors every x). The templates give a right-to-left chart's SVG
``direction="rtl"``, so a Hebrew label ("16 בנובמבר") reads in its own order; text
anchors are therefore logical (``"start"`` is the right edge there), which is why the
anchors computed here are the same in both directions while the x are mirrored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

# The viewBox; the SVG scales to its container (analytics.css caps its width).
WIDTH = 560
MARGIN_START = 52  # at least this much room for the y labels ("100%", "1,200")
MARGIN_END = 12
TOP = 18
PLOT_HEIGHT = 180
AXIS_GAP = 24
# Dots on every point for short series; beyond this only isolated points get one
# (a point with no neighbour draws no line, so it would otherwise be invisible).
DOTS_MAX = 60
# At most this many x labels when they do not all fit (see ``_Frame.x_labels``).
X_LABELS_MAX = 4
# A label's width estimate, in viewBox units per character at the largest axis font
# (analytics.css: 20px on a phone, where the SVG and its text shrink together, so a
# label that fits here fits at every width), and the gap kept between two labels.
LABEL_CHAR_WIDTH = 12.0
LABEL_GAP = 8.0
# Values printed above columns only while they stay legible.
BAR_VALUES_MAX = 12

SPARK_WIDTH = 120
SPARK_HEIGHT = 32
SPARK_PAD = 4

# A series' look: colour *and* dash/fill pattern (analytics.css), so two series differ
# for someone who cannot tell the colours apart.
Style = Literal["primary", "secondary", "tertiary", "quaternary"]
STYLES: tuple[Style, ...] = ("primary", "secondary", "tertiary", "quaternary")
Unit = str  # "percent" | "count" | "per_coach" | "minutes" | "hours" | "score" | ""
Formatter = Callable[[float], str]


def with_unit(number: str, unit: Unit) -> str:
    """A number already written out (``"85.5"``) with its unit: ``85.5%``, ``8.2 min``."""
    if unit == "percent":
        return gettext("%(value)s%%") % {"value": number}
    if unit == "minutes":
        return gettext("%(value)s min") % {"value": number}
    if unit == "hours":
        return gettext("%(value)s h") % {"value": number}
    return number


def _digits(unit: Unit, digits: int | None) -> int:
    if digits is not None:
        return digits
    return 0 if unit in ("count", "score") else 1


def format_value(value: float | None, unit: Unit = "", *, digits: int | None = None) -> str:
    """A figure in its unit for the viewer's locale: ``85.5%``, ``1,204``, ``8.2 min``.

    ``digits`` defaults to 0 for counts and scores and 1 otherwise; ``None`` is "–".
    """
    if value is None:
        return "–"
    places = _digits(unit, digits)
    return with_unit(number_format(round(value, places), places, force_grouping=True), unit)


def signed_number(value: float, *, digits: int) -> str:
    """``+2.5`` or ``−3`` (a real minus sign), isolated left to right (U+2066 … U+2069)
    so a Hebrew sentence around it cannot move the sign to the other end."""
    sign = "+" if value > 0 else "\u2212" if value < 0 else ""
    number = number_format(round(abs(value), digits), digits, force_grouping=True)
    return f"\u2066{sign}{number}\u2069"


@dataclass(frozen=True)
class Series:
    """One line (or one colour of columns): a label and one value per x position
    (``None`` where there is no figure: the line breaks there, the column is absent)."""

    label: str
    values: Sequence[float | None]
    style: Style | None = None  # by position when None


@dataclass(frozen=True)
class AxisText:
    x: float
    y: float
    text: str
    anchor: str


@dataclass(frozen=True)
class GridLine:
    x1: float
    x2: float
    y: float


@dataclass(frozen=True)
class Dot:
    x: float
    y: float


@dataclass(frozen=True)
class Line:
    label: str
    style: Style
    path: str
    dots: list[Dot]


@dataclass(frozen=True)
class LegendItem:
    label: str
    style: str  # a Style, or "target"


@dataclass(frozen=True)
class LineChart:
    id: str
    width: int
    height: int
    rtl: bool
    lines: list[Line]
    grid: list[GridLine]
    axis: list[AxisText]
    legend: list[LegendItem]
    target: GridLine | None
    target_text: AxisText | None
    empty: bool


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    style: Style


@dataclass(frozen=True)
class Column:
    """One x position of a bar chart: its rectangles and the text above them."""

    label: str
    rects: list[Rect]
    values: list[AxisText] = field(default_factory=list)


@dataclass(frozen=True)
class BarChart:
    id: str
    width: int
    height: int
    rtl: bool
    stacked: bool
    columns: list[Column]
    grid: list[GridLine]
    axis: list[AxisText]
    legend: list[LegendItem]
    baseline: GridLine
    empty: bool

    @property
    def columns_svg(self) -> SafeString:
        """Every column's rectangles and value labels as SVG markup. Written here, not in
        the template: a year of weekly columns is hundreds of numbers, and formatting each
        through template filters was most of the cost of a dashboard page."""
        fills = {
            "secondary": f' fill="url(#{escape(self.id)}-hatch)"',
            "tertiary": f' fill="url(#{escape(self.id)}-dots)"',
        }
        parts: list[str] = []
        for column in self.columns:
            parts.append("<g>")
            parts.extend(
                f'<rect class="ax-chart-bar ax-series-{escape(r.style)}" x="{r.x:.1f}" '
                f'y="{r.y:.1f}" width="{r.width:.1f}" height="{r.height:.1f}"'
                f"{fills.get(r.style, '')}></rect>"
                for r in column.rects
            )
            parts.extend(
                f'<text class="ax-chart-value" x="{t.x:.1f}" y="{t.y:.1f}" '
                f'text-anchor="{escape(t.anchor)}">{escape(t.text)}</text>'
                for t in column.values
            )
            parts.append("</g>")
        return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped or a number)


@dataclass(frozen=True)
class Sparkline:
    id: str
    width: int
    height: int
    path: str
    last: Dot | None
    target_y: float | None
    empty: bool


# ---------------------------------------------------------------------------- helpers


def _mirror(x: float, rtl: bool, width: float = WIDTH) -> float:
    return width - x if rtl else x


def _anchor(anchor: str, rtl: bool) -> str:
    # Logical anchors: with the SVG's direction set to rtl, "start" is the right edge,
    # which is exactly where a mirrored x needs it. Kept as a function so every anchor
    # goes through one place if that ever changes.
    return anchor


def _style(series: Series, index: int) -> Style:
    return series.style or STYLES[index % len(STYLES)]


def nice_step(span: float, ticks: int = 4, *, whole: bool = False) -> float:
    """A round step (1, 2, 2.5 or 5 × 10ⁿ) that cuts ``span`` into about ``ticks`` parts;
    with ``whole`` (counts) never below 1 and never 2.5 (no "0.25 sessions" or "2.5" tick)."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    factors: tuple[float, ...] = (1, 2, 5, 10) if whole and power < 10 else (1, 2, 2.5, 5, 10)
    for factor in factors:
        if raw <= factor * power:
            return max(factor * power, 1.0) if whole else factor * power
    return 10 * power


def nice_scale(
    values: Sequence[float],
    *,
    y_min: float | None = None,
    y_max: float | None = None,
    whole: bool = False,
) -> tuple[float, float, list[float]]:
    """The y range and its tick levels: always including 0 (a trend read from a cut-off
    axis exaggerates), rounded out to whole steps; fixed ends win when given. ``whole``
    (count data) keeps every tick a whole number."""
    low = min([0.0, *values]) if y_min is None else y_min
    high = max([0.0, *values]) if y_max is None else y_max
    if high <= low:
        high = low + 1.0
    step = nice_step(high - low, whole=whole)
    if y_min is None:
        low = math.floor(low / step + 1e-9) * step
    if y_max is None:
        high = math.ceil(high / step - 1e-9) * step
    ticks: list[float] = []
    level = math.ceil(low / step - 1e-9) * step
    while level <= high + step * 1e-6:
        ticks.append(0.0 if abs(level) < step * 1e-9 else level)
        level += step
    return low, high, ticks


class _Frame:
    """The plot area's x positions (equally spaced, mirrored in RTL) and y scale."""

    def __init__(
        self,
        count: int,
        low: float,
        high: float,
        rtl: bool,
        *,
        centred: bool,
        y_labels: Sequence[str] = (),
    ):
        self.count = count
        self.low = low
        self.high = high
        self.rtl = rtl
        # Wide y labels ("50,000" at the phone's font size) need more than MARGIN_START,
        # or their first digits fall outside the viewBox.
        longest = max((len(label) for label in y_labels), default=0)
        self.start = max(MARGIN_START, math.ceil(longest * LABEL_CHAR_WIDTH + 8))
        self.plot_width = WIDTH - self.start - MARGIN_END
        # Lines use the full width (first and last point on the edges); columns sit in
        # the middle of equal slots.
        self.centred = centred
        self.bottom = TOP + PLOT_HEIGHT

    def x(self, index: int) -> float:
        if self.centred:
            slot = self.plot_width / max(self.count, 1)
            raw = self.start + slot * (index + 0.5)
        elif self.count <= 1:
            raw = self.start + self.plot_width / 2
        else:
            raw = self.start + index / (self.count - 1) * self.plot_width
        return _mirror(raw, self.rtl)

    def y(self, value: float) -> float:
        clamped = min(max(value, self.low), self.high)
        return TOP + (self.high - clamped) / (self.high - self.low) * PLOT_HEIGHT

    def grid_and_labels(
        self, ticks: Sequence[float], fmt: Formatter
    ) -> tuple[list[GridLine], list[AxisText]]:
        x1 = _mirror(self.start, self.rtl)
        x2 = _mirror(WIDTH - MARGIN_END, self.rtl)
        grid = [GridLine(x1, x2, self.y(level)) for level in ticks]
        labels = [
            AxisText(
                _mirror(self.start - 6, self.rtl),
                self.y(level) + 5,
                fmt(level),
                _anchor("end", self.rtl),
            )
            for level in ticks
        ]
        return grid, labels

    def x_labels(self, labels: Sequence[str]) -> list[AxisText]:
        """Every label when they all fit side by side (the 0–10 of a score distribution);
        otherwise the first, the last and evenly spaced ones between, at most
        ``X_LABELS_MAX`` (twelve week dates would overlap on a phone)."""
        count = len(labels)
        if not count:
            return []
        longest = max(len(label) for label in labels)
        # Centred columns give each label its slot; a line's end labels hang inwards
        # from the edges, so its points are (count - 1) spacings apart.
        spacing = self.plot_width / (count if self.centred or count == 1 else count - 1)
        fits = longest * LABEL_CHAR_WIDTH + LABEL_GAP <= spacing
        wanted = count if fits else min(count, X_LABELS_MAX)
        if wanted == 1:
            picks = [0]
        else:
            picks = sorted({round(i * (count - 1) / (wanted - 1)) for i in range(wanted)})
        texts = []
        for index in picks:
            if self.centred or count == 1:
                anchor = "middle"
            elif index == 0:
                anchor = _anchor("start", self.rtl)
            elif index == count - 1:
                anchor = _anchor("end", self.rtl)
            else:
                anchor = "middle"
            texts.append(AxisText(self.x(index), self.bottom + AXIS_GAP - 6, labels[index], anchor))
        return texts


def _tick_formatter(unit: Unit, ticks: Sequence[float]) -> Formatter:
    # Whole ticks print without decimals; a 0.5 step keeps one.
    whole = all(float(level).is_integer() for level in ticks)
    digits = 0 if whole else (1 if all((level * 10).is_integer() for level in ticks) else 2)
    return lambda level: format_value(level, unit, digits=digits)


def _legend(series: Sequence[Series], target: float | None) -> list[LegendItem]:
    items = [LegendItem(s.label, _style(s, i)) for i, s in enumerate(series)]
    if target is not None:
        items.append(LegendItem(gettext("Target"), "target"))
    return items


# ----------------------------------------------------------------------------- charts


def line_chart(
    chart_id: str,
    *,
    labels: Sequence[str],
    series: Sequence[Series],
    rtl: bool,
    unit: Unit = "",
    target: float | None = None,
    y_min: float | None = None,
    y_max: float | None = None,
) -> LineChart:
    """Lines over equally spaced periods, ``labels[i]`` naming position ``i`` (a week's
    Monday, a month). The pen lifts over ``None`` so a missing week is not drawn as a
    trend. ``target`` adds a dashed horizontal line with its value; the y range always
    includes 0 and the target, unless ``y_min``/``y_max`` fix it."""
    count = len(labels)
    for item in series:
        if len(item.values) != count:
            raise ValueError(f"Series {item.label!r} has {len(item.values)} values for {count}.")
    present = [v for item in series for v in item.values if v is not None]
    whole = unit == "count" and all(float(v).is_integer() for v in present)
    low, high, ticks = nice_scale(
        present + ([target] if target is not None else []),
        y_min=y_min,
        y_max=y_max,
        whole=whole,
    )
    fmt = _tick_formatter(unit, ticks)
    frame = _Frame(count, low, high, rtl, centred=False, y_labels=[fmt(t) for t in ticks])
    grid, axis = frame.grid_and_labels(ticks, fmt)
    axis.extend(frame.x_labels(labels))

    lines = []
    for index, item in enumerate(series):
        parts: list[str] = []
        dots: list[Dot] = []
        values = list(item.values)
        for i, value in enumerate(values):
            if value is None:
                continue
            joined = i > 0 and values[i - 1] is not None
            parts.append(f"{'L' if joined else 'M'}{frame.x(i):.1f} {frame.y(value):.1f}")
            isolated = not joined and (i + 1 >= count or values[i + 1] is None)
            if count <= DOTS_MAX or isolated:
                dots.append(Dot(frame.x(i), frame.y(value)))
        lines.append(Line(item.label, _style(item, index), " ".join(parts), dots))

    target_line = target_text = None
    if target is not None:
        y = frame.y(target)
        target_line = GridLine(_mirror(frame.start, rtl), _mirror(WIDTH - MARGIN_END, rtl), y)
        target_text = AxisText(
            _mirror(WIDTH - MARGIN_END, rtl),
            y - 5,
            gettext("Target %(value)s")
            % {
                "value": format_value(
                    target, unit, digits=0 if float(target).is_integer() else None
                )
            },
            _anchor("end", rtl),
        )
    return LineChart(
        id=chart_id,
        width=WIDTH,
        height=frame.bottom + AXIS_GAP + 4,
        rtl=rtl,
        lines=lines,
        grid=grid,
        axis=axis,
        legend=_legend(series, target),
        target=target_line,
        target_text=target_text,
        empty=not present,
    )


def bar_chart(
    chart_id: str,
    *,
    labels: Sequence[str],
    series: Sequence[Series],
    rtl: bool,
    unit: Unit = "",
    stacked: bool = False,
) -> BarChart:
    """Columns per period: side by side (grouped) or on top of each other (``stacked``,
    for parts of a whole such as new coaches + new clients; values must not be negative).
    Grouped columns may go below 0. The values are printed above the columns while
    there are at most ``BAR_VALUES_MAX`` of them (the stack's total when stacked)."""
    count = len(labels)
    for item in series:
        if len(item.values) != count:
            raise ValueError(f"Series {item.label!r} has {len(item.values)} values for {count}.")
        if stacked and any(v is not None and v < 0 for v in item.values):
            raise ValueError("A stacked bar chart cannot show negative values.")
    if stacked:
        extent = [sum(s.values[i] or 0.0 for s in series) for i in range(count)]
    else:
        extent = [v for s in series for v in s.values if v is not None]
    present = any(v is not None for s in series for v in s.values)
    # Counts have whole ticks only: a "0.25" step on a chart of 1 answer reads as nonsense.
    whole = unit == "count" and all(float(v).is_integer() for v in extent)
    low, high, ticks = nice_scale(extent, whole=whole)
    fmt = _tick_formatter(unit, ticks)
    frame = _Frame(count, low, high, rtl, centred=True, y_labels=[fmt(t) for t in ticks])
    grid, axis = frame.grid_and_labels(ticks, fmt)
    axis.extend(frame.x_labels(labels))

    slot = frame.plot_width / max(count, 1)
    group_width = slot * 0.7
    per_bar = group_width if stacked else group_width / max(len(series), 1)
    shown = count if stacked else count * len(series)
    show_values = shown <= BAR_VALUES_MAX
    zero_y = frame.y(0.0)
    columns = []
    for i, label in enumerate(labels):
        centre = frame.x(i)
        start = centre - group_width / 2  # the group's left edge in SVG space
        rects: list[Rect] = []
        texts: list[AxisText] = []
        running = 0.0
        for j, item in enumerate(series):
            value = item.values[i]
            if value is None:
                continue
            if stacked:
                y_top = frame.y(running + value)
                y_bottom = frame.y(running)
                running += value
                x = start
            else:
                # Series order follows the reading direction inside the group too.
                position = (len(series) - 1 - j) if rtl else j
                x = start + position * per_bar
                y_top, y_bottom = sorted((frame.y(value), zero_y))
                if show_values:
                    above = value >= 0
                    texts.append(
                        AxisText(
                            x + per_bar / 2,
                            (y_top - 4) if above else (y_bottom + 14),
                            format_value(value, unit),
                            "middle",
                        )
                    )
            if y_bottom - y_top > 0:
                rects.append(Rect(x, y_top, per_bar, y_bottom - y_top, _style(item, j)))
        if stacked and show_values and any(s.values[i] is not None for s in series):
            texts.append(
                AxisText(centre, frame.y(running) - 4, format_value(running, unit), "middle")
            )
        columns.append(Column(label, rects, texts))
    return BarChart(
        id=chart_id,
        width=WIDTH,
        height=frame.bottom + AXIS_GAP + 4,
        rtl=rtl,
        stacked=stacked,
        columns=columns,
        grid=grid,
        axis=axis,
        legend=_legend(series, None) if len(series) > 1 else [],
        baseline=GridLine(_mirror(frame.start, rtl), _mirror(WIDTH - MARGIN_END, rtl), zero_y),
        empty=not present,
    )


def sparkline(
    chart_id: str,
    values: Sequence[float | None],
    *,
    rtl: bool,
    target: float | None = None,
) -> Sparkline:
    """A small trend line for a table cell (no axes, no text): the pen lifts over gaps,
    the latest point has a dot, and a target inside the range is a faint line. The
    scale fits the values (not from 0): it shows direction, the table shows figures."""
    present = [v for v in values if v is not None]
    if not present:
        return Sparkline(chart_id, SPARK_WIDTH, SPARK_HEIGHT, "", None, None, True)
    low = min(present)
    high = max(present)
    if high == low:
        low, high = low - 1, high + 1
    inner_w = SPARK_WIDTH - 2 * SPARK_PAD
    inner_h = SPARK_HEIGHT - 2 * SPARK_PAD
    count = len(values)

    def x_of(i: int) -> float:
        raw = SPARK_PAD + (i / (count - 1) * inner_w if count > 1 else inner_w / 2)
        return _mirror(raw, rtl, SPARK_WIDTH)

    def y_of(v: float) -> float:
        return SPARK_PAD + (high - v) / (high - low) * inner_h

    parts = []
    last: Dot | None = None
    for i, value in enumerate(values):
        if value is None:
            continue
        joined = i > 0 and values[i - 1] is not None
        parts.append(f"{'L' if joined else 'M'}{x_of(i):.1f} {y_of(value):.1f}")
        last = Dot(x_of(i), y_of(value))
    target_y = y_of(target) if target is not None and low <= target <= high else None
    return Sparkline(chart_id, SPARK_WIDTH, SPARK_HEIGHT, " ".join(parts), last, target_y, False)

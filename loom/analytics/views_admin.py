"""The admin dashboards: weekly KPIs, one KPI's drill-down, operations, business overview.

Thin views: clean the query (bad input falls back to the defaults with a notice on the
page, never an error), call the selectors, shape the figures for the templates (text in
the viewer's locale, chart geometry). Every table on a page is a registered table
(``loom.analytics.tables_admin``) rendered from its own ``rows``, so the export buttons
next to it download exactly what is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.http import urlencode
from django.utils.translation import get_language_bidi, gettext
from django.views.decorators.http import require_GET

from loom.accounts.permissions import admin_required
from loom.analytics import charts
from loom.analytics import selectors_admin as sel
from loom.analytics import tables_admin as tables
from loom.analytics.kpi_catalog import KPI_BY_KEY, KpiDefinition
from loom.analytics.tables import Table
from loom.core.ops import (
    WINDOWS,
    MemoryOpsStore,
    ops_store,
    ops_windows,
)

STATUS_ICONS = {"green": "check", "amber": "alert", "red": "close", "none": "info"}
# Shared with the registered tables, so a page cell and its export cell read the same.
WINDOW_LABELS = tables.WINDOW_LABELS
target_text = tables.target_text
p95_text = tables.p95_text
_spark_name = tables.spark_text


# --- Shaping helpers ----------------------------------------------------------------------


def _week_axis_label(monday: date) -> str:
    return date_format(monday, "MONTH_DAY_FORMAT")


def _period_axis_label(start: date, period: str) -> str:
    return date_format(start, "YEAR_MONTH_FORMAT" if period == "month" else "MONTH_DAY_FORMAT")


def week_title(monday: date) -> str:
    year, week, _day = monday.isocalendar()
    return gettext("Week %(week)s of %(year)s (%(start)s – %(end)s)") % {
        "week": week,
        "year": year,
        "start": date_format(monday, "MONTH_DAY_FORMAT"),
        "end": date_format(monday + timedelta(days=6), "MONTH_DAY_FORMAT"),
    }


def change_text(kpi: KpiDefinition, change: float | None) -> str:
    """``+2.5 pp`` for percentages (points, not per cent of the value), ``−3`` for counts."""
    if change is None:
        return "–"
    digits = 0 if kpi.unit in ("count", "score") else 1
    if round(change, digits) == 0:
        return gettext("no change")
    signed = charts.signed_number(change, digits=digits)
    if kpi.unit == "percent":
        return gettext("%(value)s pp") % {"value": signed}
    return charts.with_unit(signed, kpi.unit)


def cell_text(value: Any, kind: str) -> str:
    """A table cell as text in the viewer's locale and time zone (``–`` when empty)."""
    if value is None or value == "":
        return "–" if kind != "text" else ""
    if kind == "int":
        return number_format(value, 0, force_grouping=True)
    if kind == "float":
        # Counts stored as floats (numerators, denominators) read as whole numbers.
        digits = 0 if float(value).is_integer() else 1
        return number_format(round(float(value), 1), digits, force_grouping=True)
    if kind == "percent":
        return charts.format_value(float(value), "percent")
    if kind == "date":
        return date_format(value, "DATE_FORMAT")
    if kind == "datetime":
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if kind == "duration" and isinstance(value, timedelta):
        return age_text(value)
    return str(value)


def age_text(age: timedelta | None) -> str:
    if age is None:
        return "–"
    seconds = max(int(age.total_seconds()), 0)
    if seconds < 120:
        return gettext("%(n)s s") % {"n": seconds}
    if seconds < 2 * 3600:
        return gettext("%(n)s min") % {"n": seconds // 60}
    if seconds < 2 * 86400:
        return gettext("%(n)s h") % {"n": seconds // 3600}
    return gettext("%(n)s days") % {"n": seconds // 86400}


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool
    label: str  # the column's, for the narrow-screen layout
    code: bool = False  # an identifier (a route's name), shown as code


@dataclass(frozen=True)
class TableView:
    """A registered table's rows as the page shows them, with its export parameters."""

    table: Table
    rows: list[list[Cell]]
    params: Mapping[str, Any]
    caption: str = ""


def table_view(
    table: Table,
    viewer: Any,
    params: Mapping[str, Any],
    *,
    caption: str = "",
    formats: Mapping[str, Callable[[Any], str]] | None = None,
) -> TableView:
    """``formats`` shows some columns another way than their kind says (a KPI's value
    in its unit); the export keeps the plain figure."""
    formats = formats or {}
    numeric = [c.kind in ("int", "float", "percent", "duration") for c in table.columns]
    rows = [
        [
            Cell(
                formats[col.key](value) if col.key in formats else cell_text(value, col.kind),
                num,
                str(col.label),
                col.kind == "code",
            )
            for value, col, num in zip(row, table.columns, numeric, strict=True)
        ]
        for row in table.rows(viewer, params)
    ]
    return TableView(table, rows, params, caption or str(table.title))


def _query(base: Mapping[str, Any], **changes: Any) -> str:
    merged = {**base, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v not in (None, "")})


# --- Weekly KPI dashboard -----------------------------------------------------------------


@admin_required
@require_GET
def kpis(request: HttpRequest) -> HttpResponse:
    """Every KPI for a week against its target, with trends of the primary ones."""
    params, problems = tables.clean_kpi_query(request.GET)
    week = sel.parse_week(params["week"]) or sel.last_complete_week()
    segment = params["segment"]
    rtl = get_language_bidi()
    # The table is the registered ``admin_kpis`` table's own rows, the ones its export
    # writes, so the page and the download cannot drift apart; the dashboard read adds
    # only what a table cell cannot hold (the 12-week sparklines).
    dashboard = sel.kpi_dashboard(week=week, segment=segment)
    history = {row.kpi.key: row.history for group in dashboard.groups for row in group.rows}
    groups: list[dict[str, Any]] = []
    by_group: dict[str, dict[str, Any]] = {}
    for cells in tables.KPI_TABLE.rows(request.user, params):
        row = dict(zip(tables.KPI_COLUMNS, cells, strict=True))
        definition = KPI_BY_KEY[row["key"]]
        split = segment in definition.segments
        shown = segment if split else "all"
        values = history.get(definition.key, [])
        if definition.group not in by_group:
            by_group[definition.group] = {
                "key": definition.group,
                "label": row["group"],
                "rows": [],
                "export_key": tables.KPI_GROUP_TABLES.get(definition.group, tables.KPI_TABLE).key,
            }
            groups.append(by_group[definition.group])
        by_group[definition.group]["rows"].append(
            {
                "kpi": definition,
                "label": row["kpi"],
                "split": split,
                "provisional": bool(row["provisional"]),
                "status": row["status_key"],
                "status_label": row["status"],
                "value_text": charts.format_value(row["value"], definition.unit),
                "target_text": target_text(definition),
                "status_icon": STATUS_ICONS[row["status_key"]],
                "change_text": change_text(definition, row["change"]),
                "spark": charts.sparkline(
                    f"spark-{definition.key}", values, rtl=rtl, target=definition.target
                ),
                "spark_name": _spark_name(definition, values),
                "detail_url": reverse("analytics_admin:kpi", args=[definition.key])
                + (_query({"segment": shown}) if shown != "all" else ""),
            }
        )

    trend_weeks = int(params["trend"])
    mondays, trends = sel.kpi_trends(week=week, weeks=trend_weeks, segment=segment)
    labels = [_week_axis_label(m) for m in mondays]
    trend_charts = [
        {
            "trend": trend,
            "chart": charts.line_chart(
                f"trend-{trend.kpi.key}",
                labels=labels,
                series=[charts.Series(sel.segment_label(trend.segment), trend.values)],
                rtl=rtl,
                unit=trend.kpi.unit,
                target=trend.kpi.target,
            ),
            "name": gettext("%(kpi)s over %(weeks)s weeks")
            % {
                "kpi": trend.kpi.label,
                "weeks": trend_weeks,
            },
        }
        for trend in trends
    ]
    trend_rows = [
        {
            "week": monday,
            "cells": [
                {"text": charts.format_value(t.values[i], t.kpi.unit), "label": str(t.kpi.label)}
                for t in trends
            ],
        }
        for i, monday in reversed(list(enumerate(mondays)))
    ]
    current = sel.week_start(sel.reporting_today())
    previous_week = week - timedelta(weeks=1)
    next_week = week + timedelta(weeks=1)
    return TemplateResponse(
        request,
        "analytics/admin/kpis.html",
        {
            "params": params,
            "problems": problems,
            "dashboard": dashboard,
            "week_title": week_title(week),
            "groups": groups,
            "segments": [(s, sel.segment_label(s)) for s in sel.SEGMENTS],
            "trend_choices": sel.TREND_WEEKS,
            "trend_weeks": trend_weeks,
            "trend_charts": trend_charts,
            "trends": trends,
            "trend_rows": trend_rows,
            "max_week": sel.iso_week(current),
            "previous_url": _query(params, week=sel.iso_week(previous_week)),
            "next_url": _query(params, week=sel.iso_week(next_week))
            if next_week <= current
            else "",
            "provisional_any": any(r["provisional"] for g in groups for r in g["rows"]),
        },
    )


# --- Drill-down ---------------------------------------------------------------------------


@admin_required
@require_GET
def kpi(request: HttpRequest, key: str) -> HttpResponse:
    """One KPI: what it measures, its target, and every week's counts and value."""
    definition = KPI_BY_KEY.get(key)
    if definition is None:
        raise Http404
    params, problems = tables.clean_detail_query({**request.GET.dict(), "kpi": key})
    detail = sel.kpi_detail(
        kpi=definition,
        segment=params["segment"],
        range_=params["range"],
        today=sel.reporting_today(),
    )
    rtl = get_language_bidi()
    chart = charts.line_chart(
        f"kpi-{key}",
        labels=[_week_axis_label(w) for w in detail.weeks],
        series=[
            charts.Series(
                sel.segment_label(detail.segment),
                [p.value if (p := detail.points.get(w)) else None for w in detail.weeks],
            )
        ],
        rtl=rtl,
        unit=definition.unit,
        target=definition.target,
    )
    latest = [
        {
            "segment": sel.segment_label(segment),
            "value": charts.format_value(point.value if point else None, definition.unit),
            "numerator": cell_text(point.numerator if point else None, "float"),
            "denominator": cell_text(point.denominator if point else None, "float"),
            "status": sel.status_label(definition, point.value if point else None),
            "status_key": definition.status(point.value if point else None),
            "icon": STATUS_ICONS[definition.status(point.value if point else None)],
        }
        for segment, point in detail.latest_by_segment
    ]
    base = {"segment": params["segment"], "range": params["range"]}
    export_params = {"kpi": key, **base}
    return TemplateResponse(
        request,
        "analytics/admin/kpi.html",
        {
            "kpi": definition,
            "params": params,
            "problems": problems,
            "detail": detail,
            "chart": chart,
            "chart_name": gettext("%(kpi)s by week: %(segment)s")
            % {
                "kpi": definition.label,
                "segment": sel.segment_label(detail.segment),
            },
            "weeks_table": table_view(
                tables.DETAIL_TABLE,
                request.user,
                export_params,
                formats={"value": lambda v: charts.format_value(v, definition.unit)},
            ),
            "export_params": export_params,
            "latest": latest,
            "latest_title": week_title(detail.latest_week) if detail.latest_week else "",
            "segments": [
                (s, sel.segment_label(s), _query(base, segment=s)) for s in definition.segments
            ],
            "ranges": [(r, _query(base, range=r)) for r in sel.DRILL_RANGES],
            "unit_label": sel.unit_label(definition),
            "target_text": target_text(definition),
            "definition_text": sel.kpi_text(definition, "definition"),
            "formula_text": sel.kpi_text(definition, "formula"),
            "source_text": sel.kpi_text(definition, "source"),
            "numerator_text": sel.kpi_text(definition, "numerator_label"),
            "denominator_text": sel.kpi_text(definition, "denominator_label"),
            "group_label": sel.GROUP_LABELS.get(definition.group, definition.group),
            "amber_text": charts.format_value(definition.amber_margin * 100, "percent", digits=0),
        },
    )


# --- Operations ---------------------------------------------------------------------------


@admin_required
@require_GET
def operations(request: HttpRequest) -> HttpResponse:
    """Traffic, errors and latency of the last 15 minutes / hour / day, people active now,
    the outbox, the background loops, the task queue and the rollups."""
    params, problems = tables.clean_ops_query(request.GET)
    now = timezone.now()
    windows = ops_windows()
    if not all(figures.available for figures in windows.values()):
        problems = [
            *problems,
            gettext(
                "The request figures cannot be read right now (the metrics store is down "
                "or slow): errors and latency are missing, everything else is current."
            ),
        ]
    summaries = [
        {
            "key": name,
            "label": str(WINDOW_LABELS[name]),
            "requests": number_format(figures.total.requests, 0, force_grouping=True),
            "error_rate": charts.format_value(figures.total.error_rate, "percent"),
            "errors": number_format(figures.total.errors, 0, force_grouping=True),
            "p95": p95_text(figures.total.p95),
            "url": _query(params, window=name),
            "current": name == params["window"],
        }
        for name, figures in windows.items()
    ]
    outbox = sel.outbox_health(now=now)
    queue = sel.task_queue_health(now=now)
    return TemplateResponse(
        request,
        "analytics/admin/operations.html",
        {
            "params": params,
            "problems": problems,
            "now": now,
            "summaries": summaries,
            "window_label": str(WINDOW_LABELS[params["window"]]),
            "windows": WINDOWS,
            # Without Redis each process counts only its own requests: say so, so a
            # multi-process deployment's figures are not mistaken for the whole site's.
            "per_process": isinstance(ops_store(), MemoryOpsStore),
            "routes_table": table_view(tables.ROUTES_TABLE, request.user, params),
            "errors_table": table_view(tables.ERRORS_TABLE, request.user, {}),
            "active": sel.active_users_now(now=now),
            "outbox": outbox,
            "outbox_age": age_text(outbox.oldest_age(now)),
            "outbox_url": reverse("admin_area:outbox"),
            "loops": [
                {"loop": loop, "age": age_text(now - loop.beat_at)}
                for loop in sel.worker_loops(now=now)
            ],
            "queue": queue,
            "queue_age": age_text(queue.oldest_age(now)) if queue else "",
            "runs": sel.latest_rollup_runs(),
            "refresh_url": _query(params),
        },
    )


# --- Business overview --------------------------------------------------------------------


@admin_required
@require_GET
def business(request: HttpRequest) -> HttpResponse:
    """Growth of coaches and clients, feature adoption and NPS over weeks or months."""
    params, problems = tables.clean_business_query(request.GET)
    period = params["period"]
    count = int(params["range"])
    today = sel.reporting_today()
    rtl = get_language_bidi()
    keys = [*tables.GROWTH_KEYS, *tables.ADOPTION_KEYS, "nps"]
    series = sel.kpi_period_series(keys=keys, period=period, count=count, today=today)
    labels = [_period_axis_label(s, period) for s in series.starts]

    def line(chart_id: str, key_list: Sequence[str], *, target: float | None = None) -> Any:
        return charts.line_chart(
            chart_id,
            labels=labels,
            series=[charts.Series(str(KPI_BY_KEY[k].label), series.values[k]) for k in key_list],
            rtl=rtl,
            unit=KPI_BY_KEY[key_list[0]].unit,
            target=target,
        )

    def bars(chart_id: str, key: str) -> Any:
        return charts.bar_chart(
            chart_id,
            labels=labels,
            series=[charts.Series(str(KPI_BY_KEY[key].label), series.values[key])],
            rtl=rtl,
            unit="count",
        )

    try:
        nps_url = reverse("analytics_nps:admin")
    except NoReverseMatch:
        nps_url = ""
    table_params = dict(params)
    return TemplateResponse(
        request,
        "analytics/admin/business.html",
        {
            "params": params,
            "problems": problems,
            "has_values": series.has_values,
            "period_choices": [
                ("week", gettext("Weeks"), _query({"period": "week"})),
                ("month", gettext("Months"), _query({"period": "month"})),
            ],
            "range_choices": [
                (str(n), _query(params, range=n)) for n in sel.BUSINESS_RANGES[period]
            ],
            "coaches_chart": line("coaches-total", ["coaches_total"]),
            "clients_chart": line("clients-total", ["clients_total"]),
            "coaches_new_chart": bars("coaches-new", "coaches_new"),
            "clients_new_chart": bars("clients-new", "clients_new"),
            "adoption_computed": tables.computed_for(period, tables.ADOPTION_KEYS),
            "adoption_chart": line("adoption", list(tables.ADOPTION_KEYS)),
            "adoption_targets": [
                (KPI_BY_KEY[k].label, target_text(KPI_BY_KEY[k])) for k in tables.ADOPTION_KEYS
            ],
            "nps_chart": line("nps", ["nps"], target=KPI_BY_KEY["nps"].target),
            "nps_table": table_view(tables.NPS_TABLE, request.user, table_params),
            "nps_url": nps_url,
            "growth_table": table_view(tables.GROWTH_TABLE, request.user, table_params),
            "adoption_table": table_view(tables.ADOPTION_TABLE, request.user, table_params),
            "range_text": (
                gettext("the last %(n)s weeks")
                if period == "week"
                else gettext("the last %(n)s months")
            )
            % {"n": count},
        },
    )

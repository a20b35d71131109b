"""The admin dashboards' tables (registered with ``loom.analytics.tables``).

Each page renders these rows and the export writes the same ones. The query-string
cleaners live here too, because a table's ``clean_params`` and its page must read the
query the same way; ``clean_*`` return the parameters and the problems found (the page
shows those as a message and falls back to the defaults; the export just uses them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils.formats import number_format
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loom.analytics import charts
from loom.analytics.kpi_catalog import KPI_BY_KEY, KPIS, KpiDefinition
from loom.analytics.models import Period
from loom.analytics.selectors_admin import (
    BUSINESS_RANGES,
    DRILL_RANGES,
    GROUP_LABELS,
    SEGMENTS,
    TREND_WEEKS,
    KpiDetail,
    LoopHealth,
    iso_week,
    kpi_dashboard,
    kpi_detail,
    kpi_period_series,
    kpi_points,
    kpi_trends,
    last_complete_week,
    latest_rollup_runs,
    months_ending,
    parse_week,
    reporting_today,
    segment_label,
    status_label,
    unit_label,
    week_start,
    weeks_ending,
    worker_loops,
)
from loom.analytics.tables import Cell, Column, Table, register_table
from loom.core.ops import LATENCY_BUCKETS, WINDOWS, Percentile, ops_recent_errors, ops_windows

Params = dict[str, Any]
GROWTH_KEYS = ("coaches_total", "clients_total", "coaches_new", "clients_new")
ADOPTION_KEYS = tuple(kpi.key for kpi in KPIS if kpi.group == "adoption")
DEFAULT_WINDOW = "1h"
PRIMARY_KPIS = tuple(kpi for kpi in KPIS if kpi.group == "primary")
WINDOW_LABELS = {
    "15m": _("Last 15 minutes"),
    "1h": _("Last hour"),
    "24h": _("Last 24 hours"),
}


def _first(query: Mapping[str, Any], name: str) -> str | None:
    value = query.get(name)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    return None if value is None else str(value)


# --- Query cleaners -----------------------------------------------------------------------


def clean_kpi_query(query: Mapping[str, Any]) -> tuple[Params, list[str]]:
    """``week`` (ISO ``2026-W46``, default the last complete week), ``segment``
    (all/coach/client) and ``trend`` (12/26/52 weeks)."""
    problems = []
    week_text = _first(query, "week")
    week = parse_week(week_text)
    if week is None:
        if week_text:
            problems.append(
                gettext("There is no week %(week)s to show; here is the last complete week.")
                % {"week": week_text[:16]}
            )
        week = last_complete_week()
    segment = _first(query, "segment") or "all"
    if segment not in SEGMENTS:
        problems.append(gettext("Unknown segment; showing everyone."))
        segment = "all"
    trend = _first(query, "trend") or str(TREND_WEEKS[0])
    if trend not in {str(w) for w in TREND_WEEKS}:
        problems.append(gettext("Unknown trend range; showing 12 weeks."))
        trend = str(TREND_WEEKS[0])
    return {"week": iso_week(week), "segment": segment, "trend": trend}, problems


def clean_detail_query(query: Mapping[str, Any]) -> tuple[Params, list[str]]:
    """``kpi`` (a catalog key; the page 404s on an unknown one before calling this),
    ``segment`` (one of the KPI's) and ``range`` (12/26/52 weeks or all)."""
    problems = []
    key = _first(query, "kpi") or ""
    kpi = KPI_BY_KEY.get(key)
    segments = kpi.segments if kpi else ("all",)
    segment = _first(query, "segment") or "all"
    if segment not in segments:
        problems.append(gettext("Unknown segment; showing everyone."))
        segment = "all"
    range_ = _first(query, "range") or "52"
    if range_ not in DRILL_RANGES:
        problems.append(gettext("Unknown range; showing 52 weeks."))
        range_ = "52"
    return {"kpi": key, "segment": segment, "range": range_}, problems


def clean_business_query(query: Mapping[str, Any]) -> tuple[Params, list[str]]:
    """``period`` (week/month) and ``range`` (12/26/52 weeks or 6/12/24 months)."""
    problems = []
    period = _first(query, "period") or Period.WEEK
    if period not in BUSINESS_RANGES:
        problems.append(gettext("Unknown period; showing weeks."))
        period = Period.WEEK
    choices = [str(n) for n in BUSINESS_RANGES[period]]
    range_ = _first(query, "range") or choices[0]
    if range_ not in choices:
        problems.append(gettext("Unknown range; showing the shortest one."))
        range_ = choices[0]
    return {"period": period, "range": range_}, problems


def clean_ops_query(query: Mapping[str, Any]) -> tuple[Params, list[str]]:
    """``window``: 15m, 1h or 24h (default 1h)."""
    window = _first(query, "window") or DEFAULT_WINDOW
    if window not in WINDOWS:
        return {"window": DEFAULT_WINDOW}, [gettext("Unknown time window; showing the last hour.")]
    return {"window": window}, []


def _params_only(cleaner: Any) -> Any:
    return lambda query: cleaner(query)[0]


# --- Cells --------------------------------------------------------------------------------


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _count(value: float | None) -> int | None:
    return None if value is None else round(value)


def _yes(flag: bool) -> str:
    return gettext("Yes") if flag else ""


def target_text(kpi: KpiDefinition) -> str:
    if kpi.target is None:
        return "–"
    value = charts.format_value(kpi.target, kpi.unit, digits=0)
    if kpi.direction == "at_most":
        return gettext("at most %(value)s") % {"value": value}
    return gettext("at least %(value)s") % {"value": value}


def spark_text(kpi: KpiDefinition, history: Sequence[float | None]) -> str:
    """The sparkline in words (its accessible name on the page, its cell in a file)."""
    present = [v for v in history if v is not None]
    if not present:
        return gettext("No figures in the last 12 weeks")
    return gettext("Last 12 weeks: from %(first)s to %(last)s") % {
        "first": charts.format_value(present[0], kpi.unit),
        "last": charts.format_value(present[-1], kpi.unit),
    }


def p95_text(p95: Percentile | None) -> str:
    if p95 is None:
        return "–"
    if p95.bound is None:
        return gettext("over %(ms)s ms") % {
            "ms": number_format(round(LATENCY_BUCKETS[-1] * 1000), 0, force_grouping=True)
        }
    return gettext("about %(estimate)s ms (at most %(bound)s ms)") % {
        "estimate": number_format(round(p95.estimate * 1000), 0, force_grouping=True),
        "bound": number_format(round(p95.bound * 1000), 0, force_grouping=True),
    }


# --- The weekly KPI table -----------------------------------------------------------------


def kpi_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    clean, _problems = clean_kpi_query(params)
    week = parse_week(clean["week"]) or last_complete_week()
    dashboard = kpi_dashboard(week=week, segment=clean["segment"])
    for group in dashboard.groups:
        for row in group.rows:
            yield (
                group.label,
                str(row.kpi.label),
                segment_label(row.segment),
                unit_label(row.kpi),
                _round(row.value),
                row.kpi.target,
                row.status_label,
                _yes(row.provisional),
                _round(row.change),
                _round(row.point.numerator) if row.point else None,
                _round(row.point.denominator) if row.point else None,
                row.kpi.key,
                row.status,
            )


# Positions in an ``admin_kpis`` row (the page reads its cells by name).
KPI_COLUMNS = (
    "group",
    "kpi",
    "segment",
    "unit",
    "value",
    "target",
    "status",
    "provisional",
    "change",
    "numerator",
    "denominator",
    "key",
    "status_key",
)


KPI_TABLE = register_table(
    Table(
        key="admin_kpis",
        title=_("Weekly KPIs"),
        audience="admin",
        columns=(
            Column("group", _("Group")),
            Column("kpi", _("KPI")),
            Column("segment", _("Segment")),
            Column("unit", _("Unit")),
            Column("value", _("Value"), "float"),
            Column("target", _("Target"), "float"),
            Column("status", _("Status")),
            Column("provisional", _("Provisional")),
            Column("change", _("Change from the week before"), "float"),
            Column("numerator", _("Numerator"), "float"),
            Column("denominator", _("Denominator"), "float"),
            # Machine-readable ids after the readable columns: the page links each row
            # to its drill-down and picks the status icon from them.
            Column("key", _("KPI key")),
            Column("status_key", _("Status code")),
        ),
        rows=kpi_rows,
        clean_params=_params_only(clean_kpi_query),
    )
)


# --- The drill-down table -----------------------------------------------------------------


def _detail_for(params: Mapping[str, Any]) -> KpiDetail | None:
    """The drill-down's figures for the page's parameters, or ``None`` for an unknown KPI."""
    clean, _problems = clean_detail_query(params)
    kpi = KPI_BY_KEY.get(clean["kpi"])
    if kpi is None:
        return None
    return kpi_detail(
        kpi=kpi, segment=clean["segment"], range_=clean["range"], today=reporting_today()
    )


def detail_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    detail = _detail_for(params)
    if detail is None:
        return
    kpi = detail.kpi
    for week in reversed(detail.weeks):
        point = detail.points.get(week)
        yield (
            week,
            iso_week(week),
            _round(point.numerator) if point else None,
            _round(point.denominator) if point else None,
            _round(point.value) if point else None,
            status_label(kpi, point.value if point else None),
            _yes(bool(point and point.provisional)),
        )


DETAIL_TABLE = register_table(
    Table(
        key="admin_kpi_weeks",
        title=_("KPI by week"),
        audience="admin",
        columns=(
            Column("week_start", _("Week of"), "date"),
            Column("week", _("ISO week")),
            Column("numerator", _("Numerator"), "float"),
            Column("denominator", _("Denominator"), "float"),
            Column("value", _("Value"), "float"),
            Column("status", _("Status")),
            Column("provisional", _("Provisional")),
        ),
        rows=detail_rows,
        clean_params=_params_only(clean_detail_query),
    )
)


# --- Operations ---------------------------------------------------------------------------


def p95_bucket_text(bound: float | None) -> str:
    """The bucket bound a p95 lies under, as the dashboard states it."""
    ms = LATENCY_BUCKETS[-1] if bound is None else bound
    text = number_format(round(ms * 1000), 0, force_grouping=True)
    if bound is None:
        return gettext("over %(ms)s ms") % {"ms": text}
    return gettext("at most %(ms)s ms") % {"ms": text}


def route_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    clean, _problems = clean_ops_query(params)
    figures = ops_windows()[clean["window"]]
    for route in figures.routes:
        p95 = route.p95
        yield (
            route.route,
            route.requests,
            route.errors,
            _round(route.error_rate),
            round(p95.estimate * 1000, 1) if p95 else None,
            p95_bucket_text(p95.bound) if p95 else "",
        )


ROUTES_TABLE = register_table(
    Table(
        key="admin_ops_routes",
        title=_("Responses by route"),
        audience="admin",
        columns=(
            Column("route", _("Route"), "code"),
            Column("requests", _("Responses"), "int"),
            Column("errors", _("Server errors (5xx)"), "int"),
            Column("error_rate", _("Error rate"), "percent"),
            Column("p95_ms", _("p95 latency (ms, estimated)"), "float"),
            Column("p95_bucket", _("p95 bucket")),
        ),
        rows=route_rows,
        clean_params=_params_only(clean_ops_query),
    )
)


def error_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    for record in ops_recent_errors() or []:
        yield (record.at, record.route, record.status, record.request_id, record.exception)


ERRORS_TABLE = register_table(
    Table(
        key="admin_ops_errors",
        title=_("Recent server errors"),
        audience="admin",
        columns=(
            Column("at", _("Time"), "datetime"),
            Column("route", _("Route"), "code"),
            Column("status", _("Status"), "int"),
            Column("request_id", _("Request id"), "code"),
            Column("exception", _("Exception"), "code"),
        ),
        rows=error_rows,
    )
)


# --- Business overview --------------------------------------------------------------------


def _business_series(params: Mapping[str, Any], keys: Sequence[str]) -> Any:
    clean, _problems = clean_business_query(params)
    return kpi_period_series(
        keys=keys, period=clean["period"], count=int(clean["range"]), today=reporting_today()
    )


def growth_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    series = _business_series(params, GROWTH_KEYS)
    for index in reversed(range(len(series.starts))):
        yield (series.starts[index], *(_count(series.values[k][index]) for k in GROWTH_KEYS))


GROWTH_TABLE = register_table(
    Table(
        key="admin_growth",
        title=_("Coaches and clients"),
        audience="admin",
        columns=(
            Column("period_start", _("Period starting"), "date"),
            Column("coaches_total", _("Coaches"), "int"),
            Column("clients_total", _("Clients"), "int"),
            Column("coaches_new", _("New coaches"), "int"),
            Column("clients_new", _("New clients"), "int"),
        ),
        rows=growth_rows,
        clean_params=_params_only(clean_business_query),
    )
)


def computed_for(period: str, keys: Sequence[str]) -> bool:
    """Whether the KPI engine computes every one of ``keys`` for ``period``."""
    return all(period in KPI_BY_KEY[key].periods for key in keys)


def adoption_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    clean, _problems = clean_business_query(params)
    if not computed_for(clean["period"], ADOPTION_KEYS):
        return
    series = _business_series(params, ADOPTION_KEYS)
    for index in reversed(range(len(series.starts))):
        yield (series.starts[index], *(_round(series.values[k][index]) for k in ADOPTION_KEYS))


ADOPTION_TABLE = register_table(
    Table(
        key="admin_adoption",
        title=_("Feature adoption"),
        audience="admin",
        columns=(
            Column("period_start", _("Period starting"), "date"),
            *(Column(key, KPI_BY_KEY[key].label, "percent") for key in ADOPTION_KEYS),
        ),
        rows=adoption_rows,
        clean_params=_params_only(clean_business_query),
    )
)


def nps_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    clean, _problems = clean_business_query(params)
    today = reporting_today()
    count = int(clean["range"])
    if clean["period"] == Period.MONTH:
        starts = months_ending(today, count)
    else:
        starts = weeks_ending(week_start(today), count)
    points = kpi_points(
        keys=["nps"], segments=["all"], period=clean["period"], start=starts[0], end=starts[-1]
    ).get(("nps", "all"), {})
    for start in reversed(starts):
        point = points.get(start)
        yield (
            start,
            _round(point.value) if point else None,
            _count(point.denominator) if point else None,
            _yes(bool(point and point.provisional)),
        )


NPS_TABLE = register_table(
    Table(
        key="admin_nps_trend",
        title=_("Net Promoter Score over time"),
        audience="admin",
        columns=(
            Column("period_start", _("Period starting"), "date"),
            Column("nps", _("NPS"), "float"),
            Column("answers", _("Answers"), "int"),
            Column("provisional", _("Provisional")),
        ),
        rows=nps_rows,
        clean_params=_params_only(clean_business_query),
    )
)


# --- The weekly dashboard's group tables and trends table ---------------------------------


def _kpi_group_rows(group_key: str) -> Any:
    def rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
        """One KPI group's rows as the page's group table shows them; the sparkline is
        its text (first and last value of the 12 weeks)."""
        clean, _problems = clean_kpi_query(params)
        week = parse_week(clean["week"]) or last_complete_week()
        dashboard = kpi_dashboard(week=week, segment=clean["segment"])
        for group in dashboard.groups:
            if group.key != group_key:
                continue
            for row in group.rows:
                yield (
                    str(row.kpi.label),
                    _round(row.value),
                    target_text(row.kpi),
                    row.status_label,
                    _round(row.change),
                    spark_text(row.kpi, row.history),
                )

    return rows


# One table per group of the weekly dashboard (``admin_kpis_<group>``), each titled after
# its group so its buttons' names and its downloads say which group they hold.
KPI_GROUP_TABLES: dict[str, Table] = {
    group_key: register_table(
        Table(
            key=f"admin_kpis_{group_key}",
            title=format_lazy(_("{group} KPIs"), group=group_label),
            audience="admin",
            columns=(
                Column("kpi", _("KPI")),
                Column("value", _("Value"), "float"),
                Column("target", _("Target")),
                Column("status", _("Status")),
                Column("change", _("Change from the week before"), "float"),
                Column("last_12_weeks", _("Last 12 weeks")),
            ),
            rows=_kpi_group_rows(group_key),
            clean_params=_params_only(clean_kpi_query),
        )
    )
    for group_key, group_label in GROUP_LABELS.items()
}


def kpi_trend_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    clean, _problems = clean_kpi_query(params)
    week = parse_week(clean["week"]) or last_complete_week()
    mondays, trends = kpi_trends(week=week, weeks=int(clean["trend"]), segment=clean["segment"])
    for index in reversed(range(len(mondays))):
        yield (mondays[index], *(_round(trend.values[index]) for trend in trends))


KPI_TRENDS_TABLE = register_table(
    Table(
        key="admin_kpi_trends",
        title=_("Primary KPIs by week"),
        audience="admin",
        columns=(
            Column("week_start", _("Week of"), "date"),
            *(Column(kpi.key, kpi.label, "float") for kpi in PRIMARY_KPIS),
        ),
        rows=kpi_trend_rows,
        clean_params=_params_only(clean_kpi_query),
    )
)


# --- The drill-down's latest week by segment ----------------------------------------------


def latest_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    detail = _detail_for(params)
    if detail is None:
        return
    kpi = detail.kpi
    for segment, point in detail.latest_by_segment:
        yield (
            segment_label(segment),
            _round(point.value) if point else None,
            status_label(kpi, point.value if point else None),
            _round(point.numerator) if point else None,
            _round(point.denominator) if point else None,
        )


LATEST_TABLE = register_table(
    Table(
        key="admin_kpi_latest",
        title=_("Latest week by segment"),
        audience="admin",
        columns=(
            Column("segment", _("Segment")),
            Column("value", _("Value"), "float"),
            Column("status", _("Status")),
            Column("numerator", _("Numerator"), "float"),
            Column("denominator", _("Denominator"), "float"),
        ),
        rows=latest_rows,
        clean_params=_params_only(clean_detail_query),
    )
)


# --- Operations: windows, loops, rollup runs ----------------------------------------------


def window_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    for name, figures in ops_windows().items():
        yield (
            str(WINDOW_LABELS[name]),
            figures.total.requests,
            figures.total.errors,
            _round(figures.total.error_rate),
            p95_text(figures.total.p95),
        )


WINDOWS_TABLE = register_table(
    Table(
        key="admin_ops_windows",
        title=_("Errors and latency by time window"),
        audience="admin",
        columns=(
            Column("window", _("Window")),
            Column("requests", _("Responses"), "int"),
            Column("errors", _("Server errors (5xx)"), "int"),
            Column("error_rate", _("Error rate"), "percent"),
            Column("p95", _("p95 latency")),
        ),
        rows=window_rows,
    )
)


def loop_health_text(loop: LoopHealth) -> str:
    if loop.failed:
        return gettext("Last round failed")
    if loop.late:
        return gettext("Late")
    return gettext("Running")


def loop_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    # ``last_line`` is the loop's own summary of its round (counts), never user content.
    for loop in worker_loops():
        yield (
            loop.name,
            loop_health_text(loop),
            loop.beat_at,
            _round(loop.interval_seconds, 1),
            loop.last_line,
        )


LOOPS_TABLE = register_table(
    Table(
        key="admin_ops_loops",
        title=_("Background loops"),
        audience="admin",
        columns=(
            Column("loop", _("Loop"), "code"),
            Column("health", _("Health")),
            Column("last_round", _("Last round"), "datetime"),
            Column("interval_seconds", _("Interval"), "float"),
            Column("last_result", _("Last result")),
        ),
        rows=loop_rows,
    )
)


def run_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    for run in latest_rollup_runs():
        result = gettext("Succeeded") if run.ok else f"{gettext('Failed')} {run.error_kind}".strip()
        yield (
            run.job,
            run.started_at,
            run.duration_ms,
            run.events_read,
            run.rows_written,
            result,
        )


RUNS_TABLE = register_table(
    Table(
        key="admin_ops_runs",
        title=_("Latest rollup runs"),
        audience="admin",
        columns=(
            Column("job", _("Job"), "code"),
            Column("started_at", _("Started"), "datetime"),
            Column("duration_ms", _("Duration (ms)"), "int"),
            Column("events_read", _("Events read"), "int"),
            Column("rows_written", _("Rows written"), "int"),
            Column("result", _("Result")),
        ),
        rows=run_rows,
    )
)

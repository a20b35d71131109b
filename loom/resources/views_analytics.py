"""The coach's resource analytics: overview, per client, per resource, and the CSV export.

Coach only (anyone else goes to their own home). Every figure comes from
``analytics_selectors`` scoped to the signed-in coach, so another coach's resource or
client id is a 404. The period (``?period=7|30|90|all``) and the sort (``?sort=``) are
plain GET parameters: unknown values fall back to the defaults rather than failing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from loom.accounts.models import User
from loom.accounts.permissions import coach_required
from loom.core.audit import audit_record
from loom.resources import analytics_selectors as analytics

ROWS_PER_PAGE = 50
TOP_RESOURCES = 10
CHART_LABEL_CHARS = 32

PERIOD_LABELS = {
    "7": gettext_lazy("Last 7 days"),
    "30": gettext_lazy("Last 30 days"),
    "90": gettext_lazy("Last 90 days"),
    "all": gettext_lazy("All time"),
}
RESOURCE_COLUMNS = (
    ("title", pgettext_lazy("analytics column", "Resource")),
    ("views", pgettext_lazy("analytics column", "Views")),
    ("viewers", pgettext_lazy("analytics column", "Unique viewers")),
    ("shared", pgettext_lazy("analytics column", "Shared with")),
    ("completion", pgettext_lazy("analytics column", "Completion rate")),
    ("watch", pgettext_lazy("analytics column", "Average watched")),
)
CLIENT_COLUMNS = (
    ("name", gettext_lazy("Client")),
    ("shared", pgettext_lazy("analytics column", "Resources shared")),
    ("opened", pgettext_lazy("analytics column", "Opened")),
    ("completed", pgettext_lazy("analytics column", "Completed")),
    ("last_opened", pgettext_lazy("analytics column", "Last opened")),
    ("watch", pgettext_lazy("analytics column", "Average watched")),
)
# Sorting by the average watch share of a client is not offered: few clients have any.
CLIENT_SORTABLE = frozenset(analytics.CLIENT_SORTS)


# --- Charts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    value_text: str
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    """An SVG bar chart's geometry, computed here so the template only draws it.

    ``rtl`` mirrors every x coordinate: bars grow from the right and time runs from
    right to left, like the page around it. Text anchors are logical (``start`` is the
    reading start), so they need no mirroring under ``direction: rtl``.
    """

    id: str
    title: str
    width: int
    height: int
    bars: list[Bar]
    rtl: bool
    axis: list[tuple[float, float, str, str]]  # (x, y, text, text-anchor) of the axis labels


def _mirror(x: float, width: float, total: float, rtl: bool) -> float:
    return total - x - width if rtl else x


def horizontal_chart(
    chart_id: str, title: str, items: Sequence[tuple[str, int]], *, rtl: bool
) -> Chart:
    """One bar per item, longest first as given: label, bar, value."""
    total_width, label_width, row, bar_height, gap = 640, 240, 32, 20, 8
    plot = total_width - label_width - 56
    peak = max((value for _, value in items), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(items):
        y = index * row + (row - bar_height) / 2
        width = max(plot * value / peak, 2.0 if value else 0.0)
        x = label_width
        shown = label if len(label) <= CHART_LABEL_CHARS else label[: CHART_LABEL_CHARS - 1] + "…"
        bars.append(
            Bar(
                label=shown,
                value=value,
                value_text=str(value),
                x=_mirror(x, width, total_width, rtl),
                y=y,
                width=width,
                height=bar_height,
                label_x=_mirror(4, 0, total_width, rtl),
                label_y=y + bar_height * 0.75,
                value_x=_mirror(x + width + gap, 0, total_width, rtl),
                value_y=y + bar_height * 0.75,
            )
        )
    return Chart(chart_id, title, total_width, max(len(items), 1) * row, bars, rtl, [])


def column_chart(
    chart_id: str, title: str, buckets: Sequence[analytics.Bucket], *, monthly: bool, rtl: bool
) -> Chart:
    """One column per day (or month), oldest at the reading start, with the first and
    last dates and the peak written on the axes."""
    total_width, plot_top, plot_height, start = 640, 16, 160, 40
    plot_width = total_width - start - 8
    count = max(len(buckets), 1)
    slot = plot_width / count
    peak = max((bucket.views for bucket in buckets), default=0)
    scale = plot_height / (peak or 1)
    fmt = "YEAR_MONTH_FORMAT" if monthly else "MONTH_DAY_FORMAT"
    bars = []
    for index, bucket in enumerate(buckets):
        height = bucket.views * scale
        x = start + index * slot + slot * 0.15
        width = max(slot * 0.7, 1.0)
        bars.append(
            Bar(
                label=date_format(bucket.day, fmt),
                value=bucket.views,
                value_text=str(bucket.views),
                x=_mirror(x, width, total_width, rtl),
                y=plot_top + plot_height - height,
                width=width,
                height=height,
                label_x=0,
                label_y=0,
                value_x=0,
                value_y=0,
            )
        )
    bottom = plot_top + plot_height + 20
    axis: list[tuple[float, float, str, str]] = [
        (_mirror(start - 6, 0, total_width, rtl), plot_top + 10, str(peak), "end")
    ]
    if buckets:
        axis.append((_mirror(start, 0, total_width, rtl), bottom, bars[0].label, "start"))
        axis.append((_mirror(total_width - 8, 0, total_width, rtl), bottom, bars[-1].label, "end"))
    return Chart(chart_id, title, total_width, bottom + 8, bars, rtl, axis)


# --- Shared helpers ----------------------------------------------------------------------------


def _percent(value: float | None) -> str:
    return "" if value is None else f"{round(value * 100)}%"


def _periods(request: HttpRequest, current: str) -> list[dict[str, Any]]:
    rest = {key: str(value) for key, value in request.GET.items() if key not in ("period", "page")}
    return [
        {
            "key": key,
            "label": label,
            "url": "?" + urlencode({**rest, "period": key}),
            "current": key == current,
        }
        for key, label in PERIOD_LABELS.items()
    ]


def _sort_headers(
    columns: Iterable[tuple[str, Any]], current: str, period: str, sortable: Iterable[str]
) -> list[dict[str, Any]]:
    allowed = set(sortable)
    return [
        {
            "key": key,
            "label": label,
            "url": "?" + urlencode({"period": period, "sort": key}) if key in allowed else "",
            "current": key == current,
            "aria_sort": (
                ("ascending" if key in ("title", "name") else "descending")
                if key == current
                else ""
            ),
        }
        for key, label in columns
    ]


def _sort_key(request: HttpRequest, allowed: Iterable[str], default: str) -> str:
    value = request.GET.get("sort", "")
    return value if value in set(allowed) else default


def _is_rtl() -> bool:
    return bool(translation.get_language_bidi())


# --- Pages -------------------------------------------------------------------------------------


@require_GET
@coach_required
def overview(request: HttpRequest) -> HttpResponse:
    coach: User = request.user  # type: ignore[assignment]
    period = analytics.period_for(coach, request.GET.get("period"))
    sort = _sort_key(request, analytics.RESOURCE_SORTS, analytics.DEFAULT_RESOURCE_SORT)
    rows: list[Any] = analytics.resource_stats(coach, period, sort=sort)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    most_viewed = sorted(rows, key=lambda row: (-row.views_count, row.title.casefold(), row.pk))
    top = [row for row in most_viewed[:TOP_RESOURCES] if row.views_count]
    chart = horizontal_chart(
        "views-chart",
        _("Views per resource, most viewed first. The table below has the same numbers."),
        [(row.title, row.views_count) for row in top],
        rtl=_is_rtl(),
    )
    return TemplateResponse(
        request,
        "resources/analytics_overview.html",
        {
            "period": period,
            "period_label": PERIOD_LABELS[period.key],
            "periods": _periods(request, period.key),
            "totals": analytics.totals(coach, period),
            "top": top,
            "chart": chart,
            "page_obj": page,
            "headers": _sort_headers(RESOURCE_COLUMNS, sort, period.key, analytics.RESOURCE_SORTS),
            "media_kinds": analytics.MEDIA_KINDS,
        },
    )


@require_GET
@coach_required
def clients(request: HttpRequest) -> HttpResponse:
    coach: User = request.user  # type: ignore[assignment]
    period = analytics.period_for(coach, request.GET.get("period"))
    sort = _sort_key(request, CLIENT_SORTABLE, analytics.DEFAULT_CLIENT_SORT)
    page = Paginator(analytics.client_stats(coach, period, sort=sort), ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return TemplateResponse(
        request,
        "resources/analytics_clients.html",
        {
            "period": period,
            "period_label": PERIOD_LABELS[period.key],
            "periods": _periods(request, period.key),
            "page_obj": page,
            "headers": _sort_headers(CLIENT_COLUMNS, sort, period.key, CLIENT_SORTABLE),
        },
    )


@require_GET
@coach_required
def client(request: HttpRequest, client_id: int) -> HttpResponse:
    coach: User = request.user  # type: ignore[assignment]
    period = analytics.period_for(coach, request.GET.get("period"))
    person = analytics.get_client_stats(coach, client_id, period)
    page = Paginator(analytics.client_resources(coach, person, period), ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return TemplateResponse(
        request,
        "resources/analytics_client.html",
        {
            "period": period,
            "period_label": PERIOD_LABELS[period.key],
            "periods": _periods(request, period.key),
            "person": person,
            "page_obj": page,
            "media_kinds": analytics.MEDIA_KINDS,
        },
    )


@require_GET
@coach_required
def resource(request: HttpRequest, pk: int) -> HttpResponse:
    coach: User = request.user  # type: ignore[assignment]
    period = analytics.period_for(coach, request.GET.get("period"))
    row = analytics.get_resource_stats(coach, pk, period)
    buckets = analytics.views_over_time(row, period)
    monthly = period.is_all_time
    chart = column_chart(
        "views-over-time",
        _("Views per month. The table below has the same numbers.")
        if monthly
        else _("Views per day. The table below has the same numbers."),
        buckets,
        monthly=monthly,
        rtl=_is_rtl(),
    )
    return TemplateResponse(
        request,
        "resources/analytics_resource.html",
        {
            "period": period,
            "period_label": PERIOD_LABELS[period.key],
            "periods": _periods(request, period.key),
            "resource": row,
            "is_media": row.kind in analytics.MEDIA_KINDS,
            "chart": chart,
            "buckets": buckets,
            "monthly": monthly,
            "viewers": analytics.viewers(row, period),
        },
    )


# --- CSV export --------------------------------------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """The cell as text, with a quote in front when a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _when(value: datetime | date | None, zone: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value, zone).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _resource_rows(coach: User, period: analytics.Period) -> list[list[Any]]:
    header = [
        pgettext_lazy("analytics column", "Resource"),
        pgettext_lazy("analytics column", "Kind"),
        pgettext_lazy("analytics column", "Category"),
        pgettext_lazy("analytics column", "Views"),
        pgettext_lazy("analytics column", "Unique viewers"),
        pgettext_lazy("analytics column", "Shared with"),
        pgettext_lazy("analytics column", "Completed"),
        pgettext_lazy("analytics column", "Completion rate"),
        pgettext_lazy("analytics column", "Average watched"),
    ]
    rows: list[list[Any]] = [header]
    stats: list[Any] = analytics.resource_stats(coach, period, sort="title")
    for row in stats:
        rows.append(
            [
                row.title,
                row.get_kind_display(),
                row.category.name if row.category else "",
                row.views_count,
                row.viewers_count,
                row.shared_count,
                row.completed_count,
                _percent(row.completion_rate),
                _percent(row.average_watch),
            ]
        )
    return rows


def _client_rows(coach: User, period: analytics.Period) -> list[list[Any]]:
    header = [label for _, label in CLIENT_COLUMNS]
    rows: list[list[Any]] = [header]
    people: list[Any] = analytics.client_stats(coach, period, sort="name")
    for person in people:
        rows.append(
            [
                person.full_name,
                person.shared_count,
                person.opened_count,
                person.completed_count,
                _when(person.last_opened, period.zone),
                _percent(person.average_watch),
            ]
        )
    return rows


@require_GET
@coach_required
def export(request: HttpRequest) -> HttpResponse:
    """The resources or clients table as CSV (UTF-8 with a byte-order mark so Excel reads
    Hebrew), headers in the coach's language, times in the coach's zone; audited."""
    coach: User = request.user  # type: ignore[assignment]
    period = analytics.period_for(coach, request.GET.get("period"))
    scope = "clients" if request.GET.get("scope") == "clients" else "resources"
    with translation.override(coach.language or None), transaction.atomic():
        rows = _client_rows(coach, period) if scope == "clients" else _resource_rows(coach, period)
        writer = csv.writer(_Echo())
        body = "\ufeff" + "".join(writer.writerow([csv_safe(cell) for cell in row]) for row in rows)
        audit_record(
            action="resources.analytics_exported",
            actor=coach,
            details={"scope": scope, "period": period.key, "rows": len(rows) - 1},
        )
    stamp = period.end.astimezone(period.zone).date().isoformat()
    response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="loom-{scope}-{period.key}-{stamp}.csv"'
    )
    response["Cache-Control"] = "private, no-store"
    return response

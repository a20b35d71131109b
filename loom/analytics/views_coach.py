"""The coach's analytics page (``coach/analytics/``, coach only).

Thin: the query names a range (``?range=4|12|26|52`` weeks or ``?range=custom&start=
&end=``), an inactivity threshold (``?attention=7|14|30``), a sort (``?sort=``) and a
page; ``selectors_coach`` reads everything for the signed-in coach. Bad input shows
form errors and the default range — never an error page. Charts are drawn on the
server (``loom.analytics.charts``) and each has a table with the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_GET

from loom.accounts.models import User
from loom.accounts.permissions import coach_required
from loom.analytics import charts
from loom.analytics import selectors_coach as selectors

ROWS_PER_PAGE = 50

ENGAGEMENT_COLUMNS = (
    ("name", gettext_lazy("Client")),
    ("activity", gettext_lazy("Last activity")),
    ("sessions", gettext_lazy("Sessions completed")),
    ("next", gettext_lazy("Next session")),
    ("streak", gettext_lazy("Check-in streak (days)")),
    ("checkin", gettext_lazy("Last check-in")),
    ("resources", gettext_lazy("Resources completed")),
    ("messages", gettext_lazy("Messages")),
    ("actions", gettext_lazy("Open action items")),
)
# Newest or largest first is what a coach looks for on every column but the name.
DESCENDING_FIRST = frozenset(
    {"activity", "sessions", "streak", "checkin", "resources", "messages", "actions"}
)
COMPLETED_LABEL = pgettext_lazy("sessions", "Completed")
CANCELLED_LABEL = pgettext_lazy("sessions", "Cancelled")


@dataclass(frozen=True)
class Header:
    key: str
    label: str
    url: str
    current: bool
    aria_sort: str


def _url(query: dict[str, str]) -> str:
    return "?" + urlencode({key: value for key, value in query.items() if value})


def _preset_labels() -> dict[str, str]:
    # Built per request so the labels follow the viewer's language.
    return {
        key: ngettext("Last %(weeks)d week", "Last %(weeks)d weeks", int(key)) % {"weeks": int(key)}
        for key in selectors.PRESET_WEEKS
    }


def _headers(base: dict[str, str], sort_key: str, descending: bool) -> list[Header]:
    headers = []
    for key, label in ENGAGEMENT_COLUMNS:
        current = key == sort_key
        # A second click on the sorted column reverses it.
        next_descending = not descending if current else key in DESCENDING_FIRST
        sort_value = f"-{key}" if next_descending else key
        headers.append(
            Header(
                key=key,
                label=str(label),
                url=_url({**base, "sort": sort_value}),
                current=current,
                aria_sort=("descending" if descending else "ascending") if current else "",
            )
        )
    return headers


@dataclass(frozen=True)
class When:
    """A moment as the page shows it: ISO 8601 in UTC for ``<time datetime>`` and the
    viewer's short local date and time."""

    iso: str
    text: str


def _when(moment: datetime | None) -> When | None:
    if moment is None:
        return None
    return When(
        iso=moment.astimezone(UTC).isoformat(),
        text=date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT"),
    )


def _client_url(client_id: int) -> str:
    return reverse("coach:client", args=[client_id])


def _engagement_display(rows: Any) -> list[dict[str, Any]]:
    """The page's rows with every figure already in words: the template only places
    strings (50 rows × 9 cells of filters and tags were most of the page's rendering)."""
    cap = selectors.STREAK_WINDOW_DAYS
    shown = []
    for row in rows:
        streak = ""
        if row.shares_checkins and row.checkin_streak is not None:
            streak = (
                f"{cap}+"
                if row.streak_capped
                else ngettext("%(days)s day", "%(days)s days", row.checkin_streak)
                % {"days": row.checkin_streak}
            )
        shown.append(
            {
                "name": row.name,
                "url": _client_url(row.client_id),
                "activity": _when(row.last_activity),
                "sessions": str(row.sessions_completed),
                "next": _when(row.next_session),
                "shares": row.shares_checkins,
                "streak": streak,
                "checkin": _when(row.last_checkin),
                "resources": str(row.resources_completed),
                "messages": str(row.messages),
                "actions": str(row.open_action_items),
            }
        )
    return shown


def _signed(change: float | None, unit: str) -> str:
    if change is None:
        return "–"
    if change == 0:
        return _("No change")
    sign = "+" if change > 0 else "−"
    if unit == "percent":
        text = _("%(value)s points") % {"value": charts.format_value(abs(change), "", digits=1)}
    else:
        text = charts.format_value(abs(change), "count")
    return f"{sign}{text}"


def _charts(weeks: list[selectors.WeekRow]) -> dict[str, Any]:
    rtl = translation.get_language_bidi()
    # Short labels ("Nov 16", "16.11"): four of them share 375 px without overlapping.
    label_format = "j.n" if rtl else "M j"
    labels = [date_format(row.week, label_format) for row in weeks]
    sessions = charts.bar_chart(
        "coach-sessions-chart",
        labels=labels,
        series=[
            charts.Series(str(COMPLETED_LABEL), [row.counts.completed for row in weeks], "primary"),
            charts.Series(
                str(CANCELLED_LABEL), [row.counts.cancelled for row in weeks], "secondary"
            ),
            charts.Series(_("No-shows"), [row.counts.no_shows for row in weeks], "tertiary"),
        ],
        rtl=rtl,
        unit="count",
        stacked=True,
    )
    rate = charts.line_chart(
        "coach-completion-chart",
        labels=labels,
        series=[charts.Series(_("Completion rate"), [row.counts.completion_rate for row in weeks])],
        rtl=rtl,
        unit="percent",
        y_min=0,
        y_max=100,
    )
    return {"sessions_chart": sessions, "rate_chart": rate}


@require_GET
@coach_required
def dashboard(request: HttpRequest) -> HttpResponse:
    coach: User = request.user  # type: ignore[assignment]
    choice = selectors.choice_from_query(coach, request.GET)
    data = selectors.coach_dashboard(coach, choice)
    sort_key, descending = selectors.parse_sort(request.GET.get("sort"))
    base = choice.params()
    sort_value = f"-{sort_key}" if descending else sort_key
    rows = selectors.sort_engagement(data.clients, sort_key, descending)
    page_obj = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    chosen = choice.range
    presets = [
        {
            "label": label,
            "url": _url({"range": key, "attention": base["attention"], "sort": sort_value}),
            "current": choice.valid and chosen.key == key,
        }
        for key, label in _preset_labels().items()
    ]
    comparisons = [
        {
            "label": item.label,
            "current": charts.format_value(item.current, item.unit),
            "previous": charts.format_value(item.previous, item.unit),
            "change": _signed(item.change, item.unit),
        }
        for item in data.comparisons
    ]
    export_params = {**base, "sort": sort_value}
    return TemplateResponse(
        request,
        "analytics/coach/dashboard.html",
        {
            "data": data,
            "choice": choice,
            "form": choice.form,
            "chosen": chosen,
            "presets": presets,
            "custom": choice.valid and chosen.key == selectors.CUSTOM,
            "comparisons": comparisons,
            "headers": _headers(base, sort_key, descending),
            "page_obj": page_obj,
            "base": base,
            "sort_value": sort_value,
            "export_params": export_params,
            "attention_choices": selectors.attention_choices(),
            "engagement_rows": _engagement_display(page_obj.object_list),
            "attention_rows": [
                {"name": item.name, "url": _client_url(item.client_id), "reasons": item.reasons}
                for item in data.attention
            ],
            "week_rows": [
                {
                    "week": date_format(row.week, "DATE_FORMAT"),
                    # Strings, not ints: the template then skips number localization
                    # for each of the ~400 cells of a 52-week table.
                    "completed": str(row.counts.completed),
                    "by_client": str(row.counts.cancelled_by_client),
                    "late": str(row.counts.late_cancellations),
                    "by_coach": str(row.counts.cancelled_by_coach),
                    "no_shows": str(row.counts.no_shows),
                    "scheduled": str(row.counts.scheduled),
                    "rate": charts.format_value(row.counts.completion_rate, "percent"),
                }
                for row in data.weeks
            ],
            **_charts(data.weeks),
        },
    )

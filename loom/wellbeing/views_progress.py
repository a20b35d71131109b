"""The client's progress pages: the dashboard, trends and insights, and sharing choices.

Thin views: the numbers come from ``loom.wellbeing.progress`` (constant queries), the
chart geometry from ``loom.wellbeing.charts``, the one write from
``loom.wellbeing.sharing``. Every page works without JavaScript: the range switch is a
set of links and every chart has a table with the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from loom.accounts.models import User
from loom.accounts.permissions import client_required
from loom.wellbeing import analysis, charts, insights, progress, sharing

PART_LABELS: dict[str, Any] = {
    "morning": gettext_lazy("Morning (5:00–11:59)"),
    "afternoon": gettext_lazy("Afternoon (12:00–16:59)"),
    "evening": gettext_lazy("Evening (17:00–21:59)"),
    "night": gettext_lazy("Night (22:00–4:59)"),
}
PART_SHORT: dict[str, Any] = {
    "morning": gettext_lazy("Morning"),
    "afternoon": gettext_lazy("Afternoon"),
    "evening": gettext_lazy("Evening"),
    "night": gettext_lazy("Night"),
}


def _client(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def range_links(request: HttpRequest, current: int, allowed: Sequence[int]) -> list[dict[str, Any]]:
    rest = {key: value for key, value in request.GET.items() if key != "range"}
    return [
        {
            "days": days,
            "label": ngettext("%(days)s day", "%(days)s days", days) % {"days": days},
            "url": "?" + urlencode({**rest, "range": days}),
            "current": days == current,
        }
        for days in allowed
    ]


def mood_chart(
    chart_id: str, points: Sequence[progress.DayPoint], *, start: Any, end: Any, range_days: int
) -> charts.LineChart:
    average = analysis.mean(point.average for point in points)
    if points and average is not None:
        title = ngettext(
            "Mood over the last %(days)s day: %(count)s days with check-ins, average %(average)s out of 10.",
            "Mood over the last %(days)s days: %(count)s days with check-ins, average %(average)s out of 10.",
            range_days,
        ) % {"days": range_days, "count": len(points), "average": f"{average:.1f}"}
    else:
        title = ngettext(
            "Mood over the last %(days)s day: no check-ins yet.",
            "Mood over the last %(days)s days: no check-ins yet.",
            range_days,
        ) % {"days": range_days}
    return charts.line_chart(
        chart_id,
        title,
        start=start,
        end=end,
        daily=[(point.day, point.average) for point in points],
        moving=[(point.day, point.moving) for point in points],
        rtl=translation.get_language_bidi(),
    )


def weekday_rows(
    buckets: Sequence[analysis.Bucket], *, short: bool = False
) -> list[tuple[str, analysis.Bucket]]:
    """Weekdays in the order of the active language's week (Sunday first in Hebrew)."""
    first = (int(get_format("FIRST_DAY_OF_WEEK")) - 1) % 7  # Django: 0 = Sunday; Python: 0 = Monday
    order = [(first + offset) % 7 for offset in range(7)]
    by_key = {bucket.key: bucket for bucket in buckets}
    names = WEEKDAYS_ABBR if short else WEEKDAYS
    return [(str(names[weekday]), by_key[weekday]) for weekday in order]


def part_rows(
    buckets: Sequence[analysis.Bucket], labels: dict[str, Any]
) -> list[tuple[str, analysis.Bucket]]:
    return [(str(labels[str(bucket.key)]), bucket) for bucket in buckets]


@client_required
@require_http_methods(["GET", "HEAD"])
def dashboard(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    range_days = progress.parse_range(request.GET.get("range"), progress.DASHBOARD_RANGES)
    data = progress.client_dashboard(client, range_days=range_days)
    return TemplateResponse(
        request,
        "wellbeing/progress_dashboard.html",
        {
            "data": data,
            "chart": mood_chart(
                "mood-chart", data.points, start=data.start, end=data.today, range_days=range_days
            ),
            "ranges": range_links(request, range_days, progress.DASHBOARD_RANGES),
        },
    )


@client_required
@require_http_methods(["GET", "HEAD"])
def trends(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    range_days = progress.parse_range(request.GET.get("range"), progress.RANGES)
    data = progress.client_trends(client, range_days=range_days)
    rtl = translation.get_language_bidi()
    weekdays = weekday_rows(data.weekdays)
    parts = part_rows(data.parts_of_day, PART_LABELS)
    return TemplateResponse(
        request,
        "wellbeing/trends.html",
        {
            "data": data,
            "chart": mood_chart(
                "trend-chart", data.points, start=data.start, end=data.today, range_days=range_days
            ),
            "ranges": range_links(request, range_days, progress.RANGES),
            "weekdays": weekdays,
            "weekday_chart": charts.bar_chart(
                "weekday-chart",
                _("Average mood by weekday"),
                weekday_rows(data.weekdays, short=True),
                rtl=rtl,
            ),
            "parts": parts,
            "parts_chart": charts.bar_chart(
                "parts-chart",
                _("Average mood by time of day"),
                part_rows(data.parts_of_day, PART_SHORT),
                rtl=rtl,
            ),
            "has_patterns": any(bucket.count for bucket in data.weekdays),
            "empty_insights": insights.EMPTY_TEXT,
            "correlation_note": insights.CORRELATION_NOTE,
        },
    )


class SharingForm(forms.Form):
    share_checkins = forms.BooleanField(
        label=gettext_lazy("Share my check-in moods with my coach"),
        required=False,
        help_text=gettext_lazy(
            "Your coach sees the mood and energy of each check-in, the emotions you named, "
            "your mood trend and the date of your last check-in. Never your notes, what "
            "happened, your thoughts or what you did."
        ),
        widget=forms.CheckboxInput(attrs={"role": "switch"}),
    )
    share_goals = forms.BooleanField(
        label=gettext_lazy("Share my goals with my coach"),
        required=False,
        help_text=gettext_lazy(
            "Your coach sees your active, paused and completed goals with their progress "
            "and milestones. Goals your coach proposed stay visible to them either way."
        ),
        widget=forms.CheckboxInput(attrs={"role": "switch"}),
    )


@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def sharing_page(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    if request.method == "POST":
        form = SharingForm(request.POST)
        if form.is_valid():
            change = sharing.sharing_update(
                client=client,
                share_checkins=form.cleaned_data["share_checkins"],
                share_goals=form.cleaned_data["share_goals"],
            )
            if change.changed:
                messages.success(request, _("Your sharing choices are saved."))
            else:
                messages.info(request, _("Nothing changed: these were already your choices."))
            return redirect("wellbeing_progress:sharing")
    else:
        current = progress.sharing_for_client(client)
        form = SharingForm(
            initial={"share_checkins": current.share_checkins, "share_goals": current.share_goals}
        )
    return TemplateResponse(request, "wellbeing/sharing.html", {"form": form})

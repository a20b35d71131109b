"""The check-in heat map: a calendar grid of local days coloured by average mood.

Pure (no database): ``build_heatmap`` takes the per-day figures ``daily_moods``
returned and lays them out as weeks (columns) × weekdays (rows), starting on the
active language's first day of the week. Each day gets a level 1–5 from its average
pleasantness (0 when there was no check-in) and a sentence that names it for screen
readers and tooltips, so the map never relies on colour alone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

LEVELS = 5
MONTHS_MAX = 12


@dataclass(frozen=True)
class HeatCell:
    day: dt.date
    # Inside the months shown and not after today; padding cells are blank.
    shown: bool
    level: int
    count: int
    avg_pleasantness: float | None
    avg_energy: float | None
    label: str


@dataclass(frozen=True)
class HeatWeek:
    cells: list[HeatCell]
    # The short month name when a shown month starts in this week (the column heading).
    month: str


@dataclass(frozen=True)
class HeatMap:
    start: dt.date
    end: dt.date
    weeks: list[HeatWeek]
    weekday_labels: list[str]
    # Days with check-ins, oldest first (the table alternative).
    days: list[HeatCell]
    # Navigation: the last month of the previous and of the next window; ``later``
    # is None when the map already reaches today's month.
    earlier: dt.date
    later: dt.date | None


def mood_level(avg_pleasantness: float | None) -> int:
    """1–5 from an average pleasantness of 1–10 (two points a level); 0 for none."""
    if avg_pleasantness is None:
        return 0
    return max(1, min(LEVELS, math.ceil(avg_pleasantness / 2)))


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_window(
    *, today: dt.date, months: int, end_month: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The first and last day shown: ``months`` whole months ending with ``end_month``
    (default today's month), never past today."""
    months = max(1, min(int(months), MONTHS_MAX))
    last_month = first_of_month(end_month or today)
    if last_month > first_of_month(today):
        last_month = first_of_month(today)
    start = add_months(last_month, -(months - 1))
    end = min(add_months(last_month, 1) - dt.timedelta(days=1), today)
    return start, end


def first_weekday() -> int:
    """The active language's first day of the week as Python's weekday (Monday = 0)."""
    django_first = int(formats.get_format("FIRST_DAY_OF_WEEK"))  # 0 = Sunday
    return (django_first - 1) % 7


def cell_label(day: dt.date, avg: float | None, count: int) -> str:
    date_text = formats.date_format(day, "j F")
    if not count or avg is None:
        return _("%(date)s: no check-ins") % {"date": date_text}
    checkins = ngettext("%(count)d check-in", "%(count)d check-ins", count) % {"count": count}
    return _("%(date)s: mood %(mood)s, %(checkins)s") % {
        "date": date_text,
        "mood": formats.number_format(round(avg, 1), 1),
        "checkins": checkins,
    }


def build_heatmap(
    moods: Mapping[dt.date, Any], *, start: dt.date, end: dt.date, today: dt.date
) -> HeatMap:
    """Lay out ``start``…``end`` (inclusive) as whole weeks. ``moods`` maps a local date
    to an object with ``avg_pleasantness``, ``avg_energy`` and ``count`` (a DayMood)."""
    week_start = first_weekday()
    first = start - dt.timedelta(days=(start.weekday() - week_start) % 7)
    last = end + dt.timedelta(days=(week_start - 1 - end.weekday()) % 7)
    weeks: list[HeatWeek] = []
    days: list[HeatCell] = []
    day = first
    while day <= last:
        week: list[HeatCell] = []
        month = ""
        for _offset in range(7):
            shown = start <= day <= end
            mood = moods.get(day) if shown else None
            avg = float(mood.avg_pleasantness) if mood else None
            count = int(mood.count) if mood else 0
            cell = HeatCell(
                day=day,
                shown=shown,
                level=mood_level(avg) if count else 0,
                count=count,
                avg_pleasantness=avg,
                avg_energy=float(mood.avg_energy) if mood else None,
                label=cell_label(day, avg, count) if shown else "",
            )
            week.append(cell)
            if count:
                days.append(cell)
            if shown and (day.day == 1 or day == start):
                month = formats.date_format(day, "M")
            day += dt.timedelta(days=1)
        weeks.append(HeatWeek(cells=week, month=month))
    weekday_labels = [formats.date_format(first + dt.timedelta(days=i), "D") for i in range(7)]
    span = (end.year - start.year) * 12 + end.month - start.month + 1
    earlier = add_months(first_of_month(start), -1)
    this_month = first_of_month(today)
    later = min(add_months(first_of_month(end), span), this_month)
    return HeatMap(
        start=start,
        end=end,
        weeks=weeks,
        weekday_labels=weekday_labels,
        days=days,
        earlier=earlier,
        later=later if first_of_month(end) < this_month else None,
    )

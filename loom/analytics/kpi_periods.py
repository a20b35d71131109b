"""Reporting periods of the KPI engine: days, ISO weeks and calendar months in
``ANALYTICS_TIME_ZONE``.

A period is named by its kind and its first local day (``period_start``, the value stored
in ``KpiValue``). Its window is ``[start_at, end_at)``: from local midnight of its first
day to local midnight of the day after its last, as aware datetimes. Across a
daylight-saving change a day is 23 or 25 hours long and a week 167 or 169; every
"N days before the period end" window below is counted in local days for the same reason,
while durations that start at a person's own moment ("within 7 days of the invitation")
are exact (``timedelta``) and so do not depend on any time zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from django.conf import settings

from loom.analytics.kpi_catalog import PeriodKind

PERIOD_KINDS: tuple[PeriodKind, ...] = ("day", "week", "month")


def reporting_zone() -> ZoneInfo:
    """The zone whose local days, weeks and months the KPIs are reported in."""
    return ZoneInfo(settings.ANALYTICS_TIME_ZONE)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``tz`` (aware). Midnight never falls in a DST gap
    in the zones Loom serves; where it would, ``zoneinfo`` resolves it forwards."""
    return datetime.combine(day, time.min, tzinfo=tz)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def week_start(day: date) -> date:
    """The Monday of the ISO week holding ``day``."""
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def period_start_for(kind: PeriodKind, day: date) -> date:
    """The first day of the period of ``kind`` holding ``day``."""
    if kind == "day":
        return day
    if kind == "week":
        return week_start(day)
    if kind == "month":
        return month_start(day)
    raise ValueError(f"Unknown period: {kind!r}")


def next_period_start(kind: PeriodKind, start: date) -> date:
    if kind == "day":
        return start + timedelta(days=1)
    if kind == "week":
        return start + timedelta(days=7)
    if kind == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    raise ValueError(f"Unknown period: {kind!r}")


def period_starts(kind: PeriodKind, first: date, last: date) -> Iterator[date]:
    """Every period of ``kind`` that overlaps ``[first, last]`` (both days included),
    oldest first."""
    start = period_start_for(kind, first)
    while start <= last:
        yield start
        start = next_period_start(kind, start)


@dataclass(frozen=True)
class Window:
    """One period being computed, with the moment of the computation (``now``)."""

    kind: PeriodKind
    start: date
    tz: ZoneInfo
    now: datetime

    @cached_property
    def end(self) -> date:
        """The day after the period's last day (exclusive)."""
        return next_period_start(self.kind, self.start)

    @cached_property
    def start_at(self) -> datetime:
        return local_midnight(self.start, self.tz)

    @cached_property
    def end_at(self) -> datetime:
        """The period end: the first instant after it. "At the period end" means here."""
        return local_midnight(self.end, self.tz)

    @cached_property
    def days(self) -> tuple[date, ...]:
        """The period's local days, oldest first."""
        return tuple(self.start + timedelta(days=n) for n in range((self.end - self.start).days))

    @cached_property
    def started_days(self) -> tuple[date, ...]:
        """The period's days that have begun by ``now`` (all of them once it is over)."""
        return tuple(d for d in self.days if local_midnight(d, self.tz) <= self.now)

    def days_before_end(self, count: int) -> date:
        """The first of the ``count`` local days that end with the period's last day."""
        return self.end - timedelta(days=count)

    def midnight_days_before_end(self, count: int) -> datetime:
        """Start of the ``count`` local days ending at the period end (aware)."""
        return local_midnight(self.days_before_end(count), self.tz)

    def is_provisional(self, lookahead_days: int) -> bool:
        """True until the period is over and ``lookahead_days`` more have passed.

        "More days" in both senses: local days (aware arithmetic on a ``ZoneInfo``
        datetime is wall-clock: windows counted in local days, such as the return within
        7 days, end at a local midnight) and exact 24-hour days (windows counted from a
        person's own moment — a reply within 30 × 24 hours — end then). Across a
        daylight-saving change the two differ by an hour; a value must not become final
        while either kind of window is still open, or a late-but-valid event would be
        left out for good (a full rebuild would count it).
        """
        wall_clock = self.end_at + timedelta(days=lookahead_days)
        exact = self.end_at.astimezone(UTC) + timedelta(days=lookahead_days)
        return self.now < max(wall_clock, exact)

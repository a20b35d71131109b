"""Pure arithmetic behind the progress pages: moving averages, patterns, streaks, insights.

Nothing here touches the database or the clock: callers pass the client's local days
(``CheckIn.local_date``, ``Entry.written_on``) and the client's ``today``, so every
function is a plain mapping from numbers to numbers that the property tests in
``tests/wellbeing/test_analysis*.py`` compare with naive re-implementations.

A "day" is always the client's local day, fixed when the row was written: a check-in
made in Tel Aviv before a flight to New York stays on its Tel Aviv date, and a night
when the clocks change is still one day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

# The brief's threshold: a factor is only compared with at least this many days on
# each side, so one lucky day cannot make an "insight".
MIN_DAYS = 3
# Differences smaller than this (on the 1–10 scale) are noise, not worth a sentence.
MIN_DIFFERENCE = 0.5
# The trend compares the last 7 days with the 14 before them.
TREND_RECENT_DAYS = 7
TREND_PREVIOUS_DAYS = 14
TREND_MIN_DAYS = 3
TREND_STEP = 0.5

Trend = Literal["rising", "steady", "falling"]
Part = Literal["morning", "afternoon", "evening", "night"]

PARTS_OF_DAY: tuple[Part, ...] = ("morning", "afternoon", "evening", "night")


@dataclass(frozen=True)
class Bucket:
    """One bar of a pattern: its key (weekday 0 = Monday …, or a part of the day), the
    average mood of what fell in it (None when nothing did) and how many values."""

    key: int | str
    average: float | None
    count: int


@dataclass(frozen=True)
class Insight:
    """Mood on days with a factor against days without it (averages of daily moods)."""

    average_with: float
    average_without: float
    days_with: int
    days_without: int

    @property
    def difference(self) -> float:
        return self.average_with - self.average_without


def mean(values: Iterable[float]) -> float | None:
    total = 0.0
    count = 0
    for value in values:
        total += value
        count += 1
    return total / count if count else None


def moving_average(series: list[tuple[date, float]], window: int = 7) -> list[tuple[date, float]]:
    """For each day of ``series``, the average of the values on the ``window`` calendar
    days ending that day.

    Days missing from the series are skipped, not counted as zeros: a client who checks
    in on Monday (4) and Sunday (8) has a 7-day average of 6 on Sunday. The series may
    come in any order and hold one value per day; the result is sorted by day. Linear
    time (a sliding window), so a year of days costs nothing.
    """
    if window < 1:
        raise ValueError("window must be at least 1")
    points = sorted(series)
    result: list[tuple[date, float]] = []
    start = 0
    total = 0.0
    for end, (day, value) in enumerate(points):
        total += value
        first_day = day - timedelta(days=window - 1)
        while points[start][0] < first_day:
            total -= points[start][1]
            start += 1
        result.append((day, total / (end - start + 1)))
    return result


def weekday_pattern(points: Iterable[tuple[date, float]]) -> list[Bucket]:
    """Average mood per weekday (0 = Monday … 6 = Sunday) of the given local days.

    Pass one value per day (the day's average) so a day with five check-ins weighs no
    more than a day with one.
    """
    sums = [0.0] * 7
    counts = [0] * 7
    for day, value in points:
        sums[day.weekday()] += value
        counts[day.weekday()] += 1
    return [
        Bucket(
            key=weekday,
            average=sums[weekday] / counts[weekday] if counts[weekday] else None,
            count=counts[weekday],
        )
        for weekday in range(7)
    ]


def part_of_day(hour: int) -> Part:
    """Morning 5–11, afternoon 12–16, evening 17–21, night 22–4 (local hours)."""
    if not 0 <= hour <= 23:
        raise ValueError("an hour is 0–23")
    if 5 <= hour <= 11:
        return "morning"
    if 12 <= hour <= 16:
        return "afternoon"
    if 17 <= hour <= 21:
        return "evening"
    return "night"


def time_of_day_pattern(points: Iterable[tuple[int, float, int]]) -> list[Bucket]:
    """Average mood per part of the day.

    Each point is ``(local_hour, average, count)``: ``count`` check-ins at that local
    hour averaging ``average`` (one check-in is ``(hour, mood, 1)``), so the caller may
    group by hour in SQL and pass at most 24 rows.
    """
    sums = dict.fromkeys(PARTS_OF_DAY, 0.0)
    counts = dict.fromkeys(PARTS_OF_DAY, 0)
    for hour, value, count in points:
        if count <= 0:
            continue
        part = part_of_day(hour)
        sums[part] += value * count
        counts[part] += count
    return [
        Bucket(
            key=part,
            average=sums[part] / counts[part] if counts[part] else None,
            count=counts[part],
        )
        for part in PARTS_OF_DAY
    ]


def streak(days: Iterable[date], today: date) -> tuple[int, int]:
    """``(current, longest)`` runs of consecutive local days in ``days``.

    The current run ends today, or yesterday when there is nothing yet today (the day
    is not over, so the streak is not broken). Days after ``today`` (a zone change can
    put a client's stored date ahead of their new today) never count.
    """
    ordered = sorted({day for day in days if day <= today})
    longest = 0
    run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    current = 0
    if previous is not None and previous >= today - timedelta(days=1):
        current = run
    return current, longest


def factor_insight(
    days_with: Mapping[date, float],
    days_without: Mapping[date, float],
    min_days: int = MIN_DAYS,
) -> Insight | None:
    """Mood on days with a factor against days without it, or None below the threshold.

    Both maps hold one mood per local day (the day's average). Nothing is said unless
    there are at least ``min_days`` days on EACH side. A day present in both maps is
    ambiguous and counted on neither side. This is a correlation: the wording shown
    with it says so.
    """
    both = days_with.keys() & days_without.keys()
    with_values = [value for day, value in days_with.items() if day not in both]
    without_values = [value for day, value in days_without.items() if day not in both]
    if len(with_values) < max(min_days, 1) or len(without_values) < max(min_days, 1):
        return None
    return Insight(
        average_with=sum(with_values) / len(with_values),
        average_without=sum(without_values) / len(without_values),
        days_with=len(with_values),
        days_without=len(without_values),
    )


def mood_trend(daily: Mapping[date, float], today: date) -> Trend | None:
    """ "rising", "steady" or "falling": the last 7 days' average mood (today included)
    against the 14 days before, ±0.5 point; None with fewer than 3 days in either."""
    recent_start = today - timedelta(days=TREND_RECENT_DAYS - 1)
    previous_start = recent_start - timedelta(days=TREND_PREVIOUS_DAYS)
    recent = [value for day, value in daily.items() if recent_start <= day <= today]
    previous = [value for day, value in daily.items() if previous_start <= day < recent_start]
    if len(recent) < TREND_MIN_DAYS or len(previous) < TREND_MIN_DAYS:
        return None
    change = sum(recent) / len(recent) - sum(previous) / len(previous)
    if change >= TREND_STEP:
        return "rising"
    if change <= -TREND_STEP:
        return "falling"
    return "steady"

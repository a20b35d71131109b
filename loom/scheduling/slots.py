"""The slot engine: which start times a session type can be booked at.

Pure functions over plain values (no database), so the same code computes the grid a
client sees and re-checks a booking on the server. The rules (docs/scheduling.md):

* Availability is wall-clock time in the coach's zone: the weekly ranges for the
  date's weekday, unless an override marks the date unavailable all day; plus extra
  hours overrides; minus unavailable-range overrides.
* Candidate starts are every ``step`` minutes of wall-clock time from the start of
  each (merged) availability range. The session must end (start + duration of real
  elapsed time) no later than the range's end instant.
* Daylight saving: each wall-clock time is placed on its own date with zoneinfo. A
  local time that does not exist (the spring-forward gap) is skipped; a local time
  that happens twice (the fall-back overlap) means its first occurrence (``fold=0``).
* Buffers: a slot and an existing active session may not overlap, and the gap
  between them must be at least the earlier one's buffer after and the later one's
  buffer before (the larger of the two applies; buffers may share the same minutes).
* Notice and horizon: the start is at least ``minimum_notice`` after now and at most
  ``horizon_days`` days after now.
* Caps: the coach's active sessions of every type on the slot's local date (and its
  ISO week, Monday to Sunday, in the coach's zone) must be fewer than the cap.

Cost: O((days × ranges) + sessions·log(sessions) + candidates·log(sessions)).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class WeeklyRange:
    weekday: int  # 0 = Monday
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class DateOverride:
    date: date
    kind: str  # "extra", "unavailable_day" or "unavailable_range"
    start: time | None = None
    end: time | None = None


@dataclass(frozen=True, slots=True)
class BusySession:
    """An active session of the coach, with the buffers it was booked with."""

    starts_at: datetime
    ends_at: datetime
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class SlotRules:
    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    minimum_notice: timedelta = timedelta(0)
    horizon_days: int = 60
    max_per_day: int | None = None
    max_per_week: int | None = None
    step: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Slot:
    starts_at: datetime  # aware, UTC
    ends_at: datetime


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime | None:
    """``day`` at ``wall`` in ``tz`` as UTC, or ``None`` when that local time does not
    exist (spring-forward gap). An ambiguous time (fall-back) is its first occurrence."""
    naive = datetime.combine(day, wall)
    aware = naive.replace(tzinfo=tz, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return utc


def _boundary(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """A range boundary as UTC. A boundary inside a spring-forward gap maps to the
    instant the gap ends (the first wall-clock minute after it that exists)."""
    moment = datetime.combine(day, wall)
    # Gaps last at most a few hours; the loop only runs for a boundary inside one.
    for _ in range(24 * 60):
        instant = local_instant(moment.date(), moment.time(), tz)
        if instant is not None:
            return instant
        moment += MINUTE
    raise ValueError(f"no valid local time after {day} {wall} in {tz}")


def _merge(ranges: Iterable[tuple[time, time]]) -> list[tuple[time, time]]:
    merged: list[tuple[time, time]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract(
    ranges: list[tuple[time, time]], holes: Sequence[tuple[time, time]]
) -> list[tuple[time, time]]:
    result = ranges
    for hole_start, hole_end in holes:
        next_result: list[tuple[time, time]] = []
        for start, end in result:
            if hole_end <= start or hole_start >= end:
                next_result.append((start, end))
                continue
            if start < hole_start:
                next_result.append((start, hole_start))
            if hole_end < end:
                next_result.append((hole_end, end))
        result = next_result
    return result


def day_windows(
    day: date,
    weekly_by_day: dict[int, list[tuple[time, time]]],
    overrides_by_date: dict[date, list[DateOverride]],
) -> list[tuple[time, time]]:
    """The wall-clock ranges the coach works on ``day``, merged and sorted."""
    overrides = overrides_by_date.get(day, [])
    if any(item.kind == "unavailable_day" for item in overrides):
        base: list[tuple[time, time]] = []
    else:
        base = list(weekly_by_day.get(day.weekday(), []))
    base.extend(
        (item.start, item.end)
        for item in overrides
        if item.kind == "extra" and item.start is not None and item.end is not None
    )
    holes = [
        (item.start, item.end)
        for item in overrides
        if item.kind == "unavailable_range" and item.start is not None and item.end is not None
    ]
    return _subtract(_merge(base), holes)


def week_key(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return (iso.year, iso.week)


def _blocked_intervals(
    busy: Iterable[BusySession], rules: SlotRules
) -> tuple[list[datetime], list[datetime]]:
    """Intervals no slot may overlap, merged; as parallel sorted start/end lists.

    For one existing session the new slot must end ``max(its buffer before, the new
    buffer after)`` before it starts and begin ``max(its buffer after, the new buffer
    before)`` after it ends; widening the session by those amounts turns the check
    into plain interval overlap.
    """
    intervals = sorted(
        (
            item.starts_at - max(item.buffer_before, rules.buffer_after),
            item.ends_at + max(item.buffer_after, rules.buffer_before),
        )
        for item in busy
    )
    starts: list[datetime] = []
    ends: list[datetime] = []
    for start, end in intervals:
        if ends and start <= ends[-1]:
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _overlaps(starts: list[datetime], ends: list[datetime], lo: datetime, hi: datetime) -> bool:
    # The last merged interval starting before ``hi`` is the only one that can overlap.
    index = bisect.bisect_left(starts, hi) - 1
    return index >= 0 and ends[index] > lo


def bookable_slots(
    *,
    tz: ZoneInfo,
    weekly: Iterable[WeeklyRange],
    overrides: Iterable[DateOverride],
    busy: Iterable[BusySession],
    rules: SlotRules,
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[Slot]:
    """Every bookable slot whose start lies in ``[start, end)``, in time order.

    ``busy`` holds the coach's active sessions (any type); for the caps to be right
    it must include every such session in the ISO weeks (coach's zone) touched by the
    range, and for buffers every session within a day of it.
    """
    if start.tzinfo is None or end.tzinfo is None or now.tzinfo is None:
        raise ValueError("bookable_slots needs aware datetimes")
    if rules.duration <= timedelta(0) or rules.step <= timedelta(0):
        raise ValueError("duration and step must be positive")
    earliest = max(start, now + rules.minimum_notice)
    # Starts must be before ``end`` and no later than the horizon (inclusive).
    horizon = now + timedelta(days=rules.horizon_days)
    latest = min(end, horizon)
    if earliest > latest or earliest >= end:
        return []

    weekly_by_day: dict[int, list[tuple[time, time]]] = {}
    for weekly_range in weekly:
        weekly_by_day.setdefault(weekly_range.weekday, []).append(
            (weekly_range.start, weekly_range.end)
        )
    overrides_by_date: dict[date, list[DateOverride]] = {}
    for override in overrides:
        overrides_by_date.setdefault(override.date, []).append(override)

    busy = list(busy)
    blocked_starts, blocked_ends = _blocked_intervals(busy, rules)
    per_day: Counter[date] = Counter()
    per_week: Counter[tuple[int, int]] = Counter()
    if rules.max_per_day is not None or rules.max_per_week is not None:
        for item in busy:
            local_day = item.starts_at.astimezone(tz).date()
            per_day[local_day] += 1
            per_week[week_key(local_day)] += 1

    step_minutes = int(rules.step.total_seconds() // 60)
    slots: list[Slot] = []
    # A local date can hold instants up to a day either side of the UTC range.
    day = earliest.astimezone(tz).date() - timedelta(days=1)
    last_day = latest.astimezone(tz).date() + timedelta(days=1)
    while day <= last_day:
        if (rules.max_per_day is not None and per_day[day] >= rules.max_per_day) or (
            rules.max_per_week is not None and per_week[week_key(day)] >= rules.max_per_week
        ):
            day += timedelta(days=1)
            continue
        for window_start, window_end in day_windows(day, weekly_by_day, overrides_by_date):
            window_end_at = _boundary(day, window_end, tz)
            minute = window_start.hour * 60 + window_start.minute
            end_minute = window_end.hour * 60 + window_end.minute
            while minute < end_minute:
                wall = time(minute // 60, minute % 60)
                minute += step_minutes
                slot_start = local_instant(day, wall, tz)
                if slot_start is None:
                    continue  # inside the spring-forward gap: that wall time does not exist
                slot_end = slot_start + rules.duration
                if slot_end > window_end_at:
                    break
                if slot_start < earliest or slot_start >= end or slot_start > horizon:
                    continue
                if _overlaps(blocked_starts, blocked_ends, slot_start, slot_end):
                    continue
                slots.append(Slot(starts_at=slot_start, ends_at=slot_end))
        day += timedelta(days=1)
    slots.sort(key=lambda slot: slot.starts_at)
    return slots

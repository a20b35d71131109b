"""A person's local day: the calendar date in their own time zone.

Journal entries, intentions, check-ins and streaks all count the client's days, not
the server's (UTC) days: an entry written at 23:30 in New York belongs to that New York
date even though it is already tomorrow in UTC. An unknown or empty zone name falls back
to UTC rather than failing, because a bad profile value must never break a page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class HasTimezone(Protocol):
    timezone: str


def zone_of(tz_name: str) -> tzinfo:
    """The zone called ``tz_name``, or UTC when the name is empty or unknown."""
    if not tz_name:
        return UTC
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local_day_of(tz_name: str, moment: datetime) -> date:
    """The date ``moment`` (an aware datetime) falls on in the zone ``tz_name``."""
    return moment.astimezone(zone_of(tz_name)).date()


def local_today(user: HasTimezone, *, now: datetime | None = None) -> date:
    """``user``'s today, in their own time zone (``now`` defaults to the current instant)."""
    from django.utils import timezone

    return local_day_of(user.timezone, now if now is not None else timezone.now())

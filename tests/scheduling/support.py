"""Helpers for scheduling tests: a coach's hours and session types, in one line each."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from loom.accounts.models import User
from loom.scheduling.models import SessionType, WeeklyAvailability
from loom.scheduling.services import SessionTypeInput, session_type_create, weekly_availability_set

EVERY_DAY = range(7)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def hours(
    coach: User, start: str = "09:00", end: str = "17:00", days: Any = EVERY_DAY
) -> list[WeeklyAvailability]:
    return weekly_availability_set(
        coach=coach,
        ranges=[(day, time.fromisoformat(start), time.fromisoformat(end)) for day in days],
    )


def session_type(coach: User, **fields: Any) -> SessionType:
    values: dict[str, Any] = {"name_en": "Coaching", "duration_minutes": 60, **fields}
    return session_type_create(coach=coach, data=SessionTypeInput(**values))

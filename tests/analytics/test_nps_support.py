"""Helpers for the NPS tests (no tests here: named ``test_nps_*`` because the NPS
helper's files are ``tests/analytics/test_nps*.py``).

Sessions are written straight to the tables (the scheduling services have their own
tests): a session with its "completed" history line at ``completed_at``, as
``session_complete`` leaves it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from loom.accounts.models import User
from loom.analytics.models import NpsResponse
from loom.core.context import system_context
from loom.scheduling.models import (
    SeatStatus,
    Session,
    SessionEvent,
    SessionEventKind,
    SessionSeat,
    SessionStatus,
    SessionType,
)

# Friday 20 November 2026, 17:00 UTC: 12:00 in New York, 19:00 in Jerusalem.
NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def session_type_of(coach: User, *, capacity: int = 1) -> SessionType:
    with system_context():
        found = SessionType.objects.filter(coach=coach, capacity=capacity).first()
        if found:
            return found
        return SessionType.objects.create(
            coach=coach,
            name_en="Coaching" if capacity == 1 else "Group",
            duration_minutes=60,
            capacity=capacity,
        )


def completed_session(
    coach: User,
    client: User | None = None,
    *,
    completed_at: datetime = NOW - timedelta(hours=2),
    status: str = SessionStatus.COMPLETED,
    seats: list[User] | None = None,
) -> Session:
    """A one-to-one session with ``client`` (or a group one with ``seats``) that
    started an hour before ``completed_at`` and was marked completed then."""
    capacity = 1 if seats is None else max(2, len(seats))
    with system_context():
        session = Session.objects.create(
            coach=coach,
            client=client if seats is None else None,
            session_type=session_type_of(coach, capacity=capacity),
            starts_at=completed_at - timedelta(hours=1),
            ends_at=completed_at,
            coach_timezone=coach.timezone,
            status=status,
            capacity=capacity,
        )
        for person in seats or []:
            SessionSeat.objects.create(session=session, client=person, status=SeatStatus.TAKEN)
        if status == SessionStatus.COMPLETED:
            SessionEvent.objects.create(
                session=session,
                actor=coach,
                occurred_at=completed_at,
                kind=SessionEventKind.COMPLETED,
            )
    return session


def joined_long_ago(*users: User, at: datetime = NOW - timedelta(days=60)) -> None:
    for user in users:
        User.objects.filter(pk=user.pk).update(date_joined=at)
        user.date_joined = at


def response(user: User, *, period: str, score: int | None, **fields: Any) -> NpsResponse:
    at = fields.pop("at", NOW - timedelta(days=1))
    with system_context():
        return NpsResponse.objects.create(
            user=user,
            role=fields.pop("role", user.role),
            language=fields.pop("language", user.language),
            trigger=fields.pop("trigger", "monthly"),
            period=period,
            score=score,
            created_at=at,
            answered_at=at if score is not None else None,
            dismissed_at=at if score is None else None,
            **fields,
        )

"""Rows for the progress tests, written directly (no services): check-ins on chosen local
days and hours, journal entries, goals, completed sessions, action items."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from loom.journal.days import zone_of
from loom.journal.models import Entry
from loom.scheduling.models import ActionItem, Session, SessionStatus, SessionType
from loom.wellbeing.models import CheckIn, Goal, Milestone, SharingPreference
from tests.scheduling.support import session_type


def checkin(
    client: Any,
    day: date,
    *,
    mood: int = 6,
    energy: int = 5,
    hour: int = 9,
    sleep: float | None = None,
    coping: str = "",
    tz: str | None = None,
) -> CheckIn:
    zone_name = tz or client.timezone
    moment = datetime.combine(day, time(hour, 15), tzinfo=zone_of(zone_name))
    return CheckIn.objects.create(
        client=client,
        occurred_at=moment,
        timezone=zone_name,
        local_date=day,
        local_hour=hour,
        pleasantness=mood,
        energy=energy,
        sleep_hours=None if sleep is None else Decimal(str(sleep)),
        coping_strategy=coping,
    )


def entry(
    client: Any, day: date, *, practices: list[str] | None = None, shared_with: Any = None
) -> Entry:
    return Entry.objects.create(
        author=client,
        written_on=day,
        body="private words",
        practices=practices or [],
        shared_with=shared_with,
        shared_at=datetime.combine(day, time(12), tzinfo=zone_of("UTC")) if shared_with else None,
    )


def goal(
    client: Any,
    title: str = "Walk every day",
    *,
    status: str = Goal.Status.ACTIVE,
    progress: int = 0,
    proposed_by: Any = None,
    milestones: tuple[bool, ...] = (),
) -> Goal:
    made = Goal.objects.create(
        client=client, title=title, status=status, progress=progress, proposed_by=proposed_by
    )
    for position, done in enumerate(milestones):
        Milestone.objects.create(
            goal=made,
            title=f"Step {position + 1}",
            position=position,
            completed_at=datetime(2026, 1, 1, tzinfo=zone_of("UTC")) if done else None,
        )
    return made


def completed_session(coach: Any, client: Any, starts_at: datetime) -> Session:
    kind = SessionType.objects.filter(coach=coach).first() or session_type(coach)
    return Session.objects.create(
        coach=coach,
        client=client,
        session_type=kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        coach_timezone=coach.timezone,
        status=SessionStatus.COMPLETED,
    )


def action_item(
    coach: Any, client: Any, title: str = "Breathe for five minutes", *, done: bool = False
) -> ActionItem:
    session = completed_session(coach, client, datetime(2026, 1, 5, 15, tzinfo=zone_of("UTC")))
    return ActionItem.objects.create(
        session=session,
        coach=coach,
        client=client,
        title=title,
        completed_at=datetime(2026, 1, 6, tzinfo=zone_of("UTC")) if done else None,
    )


def share(client: Any, *, checkins: bool = True, goals: bool = True) -> SharingPreference:
    preference, _created = SharingPreference.objects.update_or_create(
        client=client, defaults={"share_checkins": checkins, "share_goals": goals}
    )
    return preference

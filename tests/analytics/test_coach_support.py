"""A hand-built practice for the coach analytics tests (no tests here: the helpers of
``test_coach_*.py``, named so because the coach helper's files are ``test_coach_*``).

Dana coaches in America/New_York. ``NOW`` is Friday 20 November 2026, 12:00 in New
York. The "last 4 weeks" preset is then Monday 26 October to Friday 20 November; the
previous range is the 26 days before it (30 September to 25 October). US daylight
saving time ends on Sunday 1 November 2026, inside the first week of the range.

Sessions (New York wall-clock times; every one confirmed unless said otherwise):

=========  ====================  ========================================  ============
week of    when                  what                                      who
=========  ====================  ========================================  ============
19 Oct     Tue 20 Oct 10:00      completed (previous range)                Avi
19 Oct     Wed 21 Oct 10:00      completed (previous range)                Noa
19 Oct     Thu 22 Oct 10:00      no-show (previous range)                  Noa
19 Oct     Sun 25 Oct 23:30 EDT  completed — 03:30 UTC on the 26th, still  Avi
                                 the previous range in New York
26 Oct     Tue 27 Oct 10:00      completed                                 Avi
26 Oct     Wed 28 Oct 10:00      no-show                                   Noa
26 Oct     Thu 29 Oct 10:00      cancelled by Avi, late                    Avi
26 Oct     Sun 1 Nov 23:30 EST   completed — the DST day; 04:30 UTC on     Noa
                                 Monday 2 Nov, still week 26 Oct here
2 Nov      Mon 2 Nov 09:00       completed                                 Avi
2 Nov      Tue 3 Nov 10:00       cancelled by Dana                         Avi
2 Nov      Wed 4 Nov 10:00       requested (never counts)                  Noa
2 Nov      Wed 4 Nov 13:00       declined (never counts)                   Noa
2 Nov      Thu 5 Nov 10:00       cancelled by Noa while only requested     Noa
                                 (a cancellation, but never scheduled)
9 Nov      Tue 10 Nov 10:00      group session, completed (seats: Avi,     —
                                 Noa)
16 Nov     Wed 18 Nov 10:00      scheduled, start passed, still open       Noa
16 Nov     Fri 20 Nov 15:00      scheduled, upcoming                       Avi
=========  ====================  ========================================  ============

Eli has a completed session with Maya in the range: it never counts for Dana. Zed is
Dana's archived client with a completed session on Thursday 12 November: it counts in
Dana's sessions (it is her work) but Zed never shows by name on her page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from loom.accounts.models import CoachClient, Role
from loom.analytics.models import DailyActivity
from loom.journal.models import Entry
from loom.messaging.models import Message
from loom.messaging.services import conversation_for_pair
from loom.resources.models import ResourceProgress
from loom.scheduling.models import (
    ActionItem,
    SeatStatus,
    Session,
    SessionEvent,
    SessionEventKind,
    SessionSeat,
    SessionStatus,
    SessionType,
)
from loom.wellbeing.models import CheckIn, SharingPreference
from tests.resources.factories import make_resource
from tests.world import World, make_user

NY = ZoneInfo("America/New_York")
JERUSALEM = ZoneInfo("Asia/Jerusalem")
NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)  # 12:00 in New York
# Written by the clients: none of it may appear on the page or in an export.
SECRET = "SECRET-CLIENT-WORDS"


def ny(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


def _kind(coach: Any) -> SessionType:
    found = SessionType.objects.filter(coach=coach).first()
    return found or SessionType.objects.create(coach=coach, name_en="Coaching")


def make_session(
    coach: Any,
    client: Any,
    starts_at: datetime,
    status: str = SessionStatus.COMPLETED,
    *,
    cancelled_by: Any = None,
    late: bool = False,
    confirmed: bool = True,
    seats: tuple[Any, ...] = (),
) -> Session:
    group = client is None
    session = Session.objects.create(
        coach=coach,
        client=client,
        session_type=_kind(coach),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        coach_timezone=coach.timezone,
        status=status,
        cancelled_by=cancelled_by,
        cancelled_at=starts_at - timedelta(hours=2) if cancelled_by else None,
        cancellation_reason=SECRET if cancelled_by else "",
        late_cancellation=late,
        capacity=3 if group else 1,
    )
    SessionEvent.objects.create(
        session=session,
        actor=client or coach,
        occurred_at=starts_at - timedelta(days=7),
        kind=SessionEventKind.BOOKED if confirmed else SessionEventKind.REQUESTED,
    )
    for person in seats:
        SessionSeat.objects.create(session=session, client=person, status=SeatStatus.TAKEN)
    return session


def activity(user: Any, last_at: datetime) -> DailyActivity:
    return DailyActivity.objects.create(
        day=last_at.astimezone(UTC).date(),
        user=user,
        role=user.role,
        events=3,
        actions=1,
        page_views=2,
        visits=1,
        visit_seconds=120,
        first_at=last_at - timedelta(minutes=2),
        last_at=last_at,
    )


def checkin(client: Any, day: date, mood: int) -> CheckIn:
    moment = datetime(day.year, day.month, day.day, 9, 0, tzinfo=JERUSALEM)
    return CheckIn.objects.create(
        client=client,
        occurred_at=moment,
        timezone="Asia/Jerusalem",
        local_date=day,
        local_hour=9,
        pleasantness=mood,
        energy=5,
        note=SECRET,
    )


def falling_moods(client: Any) -> None:
    """Good days two weeks ago, poor days in the last three: a falling trend, and a
    current streak of three days (18, 19 and 20 November)."""
    for day in (5, 6, 7):
        checkin(client, date(2026, 11, day), 8)
    for day in (18, 19, 20):
        checkin(client, date(2026, 11, day), 3)


def message(conversation: Any, sender: Any, at: datetime) -> Message:
    """A message, kept as the conversation's newest when it is (as sending does)."""
    sent = Message.objects.create(
        conversation=conversation, sender=sender, body=SECRET, created_at=at
    )
    conversation.refresh_from_db()
    if conversation.last_message_at is None or at >= conversation.last_message_at:
        conversation.last_message = sent
        conversation.last_message_at = at
        conversation.save(update_fields=["last_message", "last_message_at"])
    return sent


@dataclass
class Practice:
    world: World
    zed: Any


def build_practice() -> Practice:
    world = World.build()
    dana, eli, avi, noa, maya = world.dana, world.eli, world.avi, world.noa, world.maya
    zed = make_user("zed@example.com", role=Role.CLIENT, full_name="Zed Archived")
    CoachClient.objects.create(
        coach=dana, client=zed, status=CoachClient.Status.ARCHIVED, archived_at=NOW
    )
    # Zed and Avi were put on the roster long ago; Noa too.
    CoachClient.objects.filter(coach=dana).update(created_at=NOW - timedelta(days=200))

    # Previous range.
    make_session(dana, avi, ny(10, 20))
    make_session(dana, noa, ny(10, 21))
    make_session(dana, noa, ny(10, 22), SessionStatus.NO_SHOW)
    make_session(dana, avi, ny(10, 25, 23, 30))
    # This range.
    make_session(dana, avi, ny(10, 27))
    make_session(dana, noa, ny(10, 28), SessionStatus.NO_SHOW)
    make_session(dana, avi, ny(10, 29), SessionStatus.CANCELLED, cancelled_by=avi, late=True)
    make_session(dana, noa, ny(11, 1, 23, 30))
    make_session(dana, avi, ny(11, 2, 9))
    make_session(dana, avi, ny(11, 3), SessionStatus.CANCELLED, cancelled_by=dana)
    make_session(dana, noa, ny(11, 4), SessionStatus.REQUESTED, confirmed=False)
    make_session(dana, noa, ny(11, 4, 13), SessionStatus.DECLINED, confirmed=False)
    make_session(dana, noa, ny(11, 5), SessionStatus.CANCELLED, cancelled_by=noa, confirmed=False)
    make_session(dana, None, ny(11, 10), seats=(avi, noa))
    make_session(dana, noa, ny(11, 18), SessionStatus.SCHEDULED)
    make_session(dana, avi, ny(11, 20, 15), SessionStatus.SCHEDULED)
    # Not Dana's practice.
    make_session(eli, maya, ny(11, 11))
    make_session(dana, zed, ny(11, 12))

    # Activity: Avi yesterday, Noa 50 days ago, Maya and Zed today.
    activity(avi, NOW - timedelta(days=1))
    activity(noa, NOW - timedelta(days=50))
    activity(maya, NOW - timedelta(hours=1))
    activity(zed, NOW - timedelta(hours=1))

    # Check-ins: Avi shares (falling, streak 3); Noa does not share the same pattern.
    SharingPreference.objects.create(client=avi, share_checkins=True, share_goals=False)
    SharingPreference.objects.create(client=noa, share_checkins=False, share_goals=False)
    falling_moods(avi)
    falling_moods(noa)

    # Resources: Avi completed one in the range and one before it.
    first = make_resource(dana, title="Breathing")
    second = make_resource(dana, title="Sleep")
    ResourceProgress.objects.create(
        coach=dana, client=avi, resource=first, view_count=2, completed_at=ny(11, 10, 12)
    )
    ResourceProgress.objects.create(
        coach=dana, client=avi, resource=second, view_count=1, completed_at=ny(10, 1, 12)
    )

    # Messages: Avi waits for Dana's reply since 17 November (3 days); Noa wrote 5 hours
    # ago (not yet 48 hours). One message before the range.
    with_avi = conversation_for_pair(coach=dana, client=avi)
    with_noa = conversation_for_pair(coach=dana, client=noa)
    message(with_avi, avi, ny(10, 1))
    message(with_avi, avi, ny(11, 15, 9))
    message(with_avi, dana, ny(11, 15, 11))
    message(with_avi, avi, datetime(2026, 11, 17, 10, tzinfo=UTC))
    message(with_noa, noa, NOW - timedelta(hours=5))
    with_maya = conversation_for_pair(coach=eli, client=maya)
    message(with_maya, maya, ny(11, 1))

    # Action items: Avi has one open and one done.
    done_on = Session.objects.filter(coach=dana, client=avi).first()
    ActionItem.objects.create(session=done_on, coach=dana, client=avi, title=SECRET)
    ActionItem.objects.create(
        session=done_on, coach=dana, client=avi, title=SECRET, completed_at=ny(11, 2)
    )
    # A journal entry shared with Dana: its words never show.
    Entry.objects.create(
        author=avi, written_on=date(2026, 11, 19), body=SECRET, shared_with=dana, shared_at=NOW
    )
    return Practice(world=world, zed=zed)

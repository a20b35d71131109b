"""Demo scheduling data for `make demo`: types, hours, and a few weeks of sessions.

Built on the people of ``loom load_demo_data`` (run that first). Each coach gets
session types in English and Hebrew (one-to-one, a request-mode intro call, a group
type), weekly hours, a day off, and sessions around today: past ones completed with a
summary, action items and a private note, one no-show, one late cancellation, upcoming
ones (one today when the hour allows), a request waiting for approval, and a group
session with seats taken. Rows are written directly (demo history lies in the past,
where the booking rules would rightly refuse it). Idempotent: a coach who already has
session types is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from loom.accounts.models import CoachClient, User
from loom.core.context import system_context
from loom.scheduling.models import (
    ActionItem,
    AvailabilityOverride,
    BookingMode,
    CoachSchedulingSettings,
    LocationKind,
    OverrideKind,
    SeatStatus,
    Session,
    SessionEvent,
    SessionEventKind,
    SessionPrivateNote,
    SessionSeat,
    SessionStatus,
    SessionSummary,
    SessionType,
    WeeklyAvailability,
)
from loom.scheduling.video import meeting_url_for_new_session


@dataclass(frozen=True)
class DemoType:
    key: str
    name_en: str
    name_he: str
    description_en: str
    description_he: str
    duration: int
    price: str
    location: str = LocationKind.VIDEO
    address: str = ""
    mode: str = BookingMode.SELF_BOOK
    capacity: int = 1
    colour: str = "#2563eb"
    buffer_after: int = 10


@dataclass(frozen=True)
class DemoCoach:
    email: str
    currency: str
    # (weekday, start, end) in the coach's zone, Monday = 0.
    hours: tuple[tuple[int, str, str], ...]
    types: tuple[DemoType, ...]


COACHING = DemoType(
    key="coaching",
    name_en="Coaching session",
    name_he="פגישת אימון",
    description_en="A full session to work on your goals, by video.",
    description_he="פגישה מלאה לעבודה על המטרות שלך, בשיחת וידאו.",
    duration=50,
    price="150",
)
INTRO = DemoType(
    key="intro",
    name_en="Introductory call",
    name_he="שיחת היכרות",
    description_en="A short call to see whether we are a good fit. Free.",
    description_he="שיחה קצרה כדי לבדוק אם אנחנו מתאימים. ללא תשלום.",
    duration=20,
    price="0",
    location=LocationKind.PHONE,
    mode=BookingMode.REQUEST,
    colour="#0f766e",
    buffer_after=5,
)
GROUP = DemoType(
    key="group",
    name_en="Resilience circle",
    name_he="מעגל חוסן",
    description_en="A small group practising tools for stressful weeks together.",
    description_he="קבוצה קטנה שמתרגלת יחד כלים לשבועות עמוסים.",
    duration=90,
    price="40",
    capacity=6,
    colour="#7c3aed",
    buffer_after=15,
)
IN_PERSON = DemoType(
    key="in_person",
    name_en="In-person deep dive",
    name_he="מפגש עומק פנים אל פנים",
    description_en="A longer session at the studio.",
    description_he="פגישה ארוכה יותר בסטודיו.",
    duration=90,
    price="260",
    location=LocationKind.IN_PERSON,
    address="12 Harbour Street, Suite 3",
    colour="#b45309",
    buffer_after=15,
)

COACHES = (
    DemoCoach(
        email="yael.benami@example.com",
        currency="ILS",
        # Sunday to Thursday, a morning and an evening block.
        hours=tuple(
            (day, start, end)
            for day in (6, 0, 1, 2, 3)
            for start, end in (("09:00", "13:00"), ("16:00", "19:00"))
        ),
        types=(COACHING, INTRO, GROUP),
    ),
    DemoCoach(
        email="rachel.adler@example.com",
        currency="USD",
        hours=tuple(
            (day, start, end)
            for day in range(5)
            for start, end in (("09:00", "12:00"), ("13:00", "17:00"))
        ),
        types=(COACHING, INTRO, IN_PERSON, GROUP),
    ),
)

SUMMARIES = {
    "en": "We mapped the week's pressure points and chose one boundary to practise: "
    "no work email after 20:00.",
    "he": "מיפינו את נקודות הלחץ של השבוע ובחרנו גבול אחד לתרגל: בלי מייל עבודה אחרי 20:00.",
}
ACTION_ITEMS = {
    "en": ("Write down three moments of the week that gave you energy", "Try the evening boundary"),
    "he": ("לרשום שלושה רגעים בשבוע שנתנו לך אנרגיה", "לנסות את הגבול של הערב"),
}
PRIVATE_NOTE = {
    "en": "Energy lower than last time; come back to the sleep topic next session.",
    "he": "האנרגיה נמוכה מהפעם הקודמת; לחזור לנושא השינה בפגישה הבאה.",
}


def _at(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def _working_days(start: date, step: int, hours: tuple[tuple[int, str, str], ...]) -> list[date]:
    """Dates from ``start`` onwards (``step`` 1) or backwards (-1) with working hours."""
    working = {weekday for weekday, _start, _end in hours}
    days: list[date] = []
    day = start
    while len(days) < 12:
        if day.weekday() in working:
            days.append(day)
        day += timedelta(days=step)
    return days


def _event(session: Session, kind: str, actor: User, when: datetime, reason: str = "") -> None:
    SessionEvent.objects.create(
        session=session,
        actor=actor,
        occurred_at=when,
        kind=kind,
        new_starts_at=session.starts_at,
        new_ends_at=session.ends_at,
        reason=reason,
    )


def _session(
    coach: User,
    session_type: SessionType,
    starts_at: datetime,
    *,
    client: User | None,
    status: str,
    booked_at: datetime,
) -> Session:
    session = Session.objects.create(
        coach=coach,
        client=client,
        session_type=session_type,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=session_type.duration_minutes),
        coach_timezone=coach.timezone,
        buffer_before_minutes=session_type.buffer_before_minutes,
        buffer_after_minutes=session_type.buffer_after_minutes,
        status=status,
        capacity=session_type.capacity if client is None else 1,
        meeting_url=meeting_url_for_new_session(coach=coach, session_type=session_type),
    )
    first = (
        SessionEventKind.REQUESTED if status == SessionStatus.REQUESTED else SessionEventKind.BOOKED
    )
    _event(session, first, client or coach, booked_at)
    return session


def _load_coach(spec: DemoCoach, now: datetime) -> int:
    coach = User.objects.get(email=spec.email)
    if SessionType.objects.filter(coach=coach).exists():
        return 0
    zone = ZoneInfo(coach.timezone)
    language = coach.language
    CoachSchedulingSettings.objects.get_or_create(coach=coach)
    types = {
        demo.key: SessionType.objects.create(
            coach=coach,
            name_en=demo.name_en,
            name_he=demo.name_he,
            description_en=demo.description_en,
            description_he=demo.description_he,
            duration_minutes=demo.duration,
            price=Decimal(demo.price),
            currency=spec.currency,
            location_kind=demo.location,
            address=demo.address,
            buffer_after_minutes=demo.buffer_after,
            minimum_notice_minutes=12 * 60,
            booking_horizon_days=60,
            max_sessions_per_day=6,
            booking_mode=demo.mode,
            capacity=demo.capacity,
            colour=demo.colour,
        )
        for demo in spec.types
    }
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(
            coach=coach,
            weekday=weekday,
            start_time=time.fromisoformat(start),
            end_time=time.fromisoformat(end),
        )
        for weekday, start, end in spec.hours
    )
    today = now.astimezone(zone).date()
    ahead = _working_days(today + timedelta(days=1), 1, spec.hours)
    behind = _working_days(today - timedelta(days=1), -1, spec.hours)
    AvailabilityOverride.objects.create(
        coach=coach, date=ahead[6], kind=OverrideKind.UNAVAILABLE_DAY
    )
    clients = [
        link.client
        for link in CoachClient.objects.filter(coach=coach, status=CoachClient.Status.ACTIVE)
        .select_related("client")
        .order_by("client__email")
    ]
    coaching, intro, group = types["coaching"], types["intro"], types["group"]
    created = 0
    for index, client in enumerate(clients):
        # A completed session last week or so, with what the coach wrote afterwards.
        past = _session(
            coach,
            coaching,
            _at(behind[index % len(behind)], "10:00" if index % 2 else "16:00", zone),
            client=client,
            status=SessionStatus.COMPLETED,
            booked_at=now - timedelta(days=20),
        )
        _event(past, SessionEventKind.STARTED, coach, past.starts_at)
        _event(past, SessionEventKind.COMPLETED, coach, past.ends_at)
        client_language = client.language if client.language in SUMMARIES else "en"
        SessionSummary.objects.create(
            session=past, body=SUMMARIES[client_language], shared_at=past.ends_at
        )
        SessionPrivateNote.objects.create(session=past, coach=coach, body=PRIVATE_NOTE[language])
        for position, title in enumerate(ACTION_ITEMS[client_language]):
            ActionItem.objects.create(
                session=past,
                coach=coach,
                client=client,
                title=title,
                due_on=today + timedelta(days=3 + 4 * position),
            )
        # The next session, in the coming days at a morning hour.
        _session(
            coach,
            coaching,
            _at(ahead[index % len(ahead)], "09:00" if index % 2 else "11:00", zone),
            client=client,
            status=SessionStatus.SCHEDULED,
            booked_at=now - timedelta(days=2),
        )
        created += 2
    if clients:
        first, last = clients[0], clients[-1]
        requested = _session(
            coach,
            intro,
            _at(ahead[2], "12:00", zone),
            client=last,
            status=SessionStatus.REQUESTED,
            booked_at=now - timedelta(hours=5),
        )
        no_show = _session(
            coach,
            coaching,
            _at(behind[3], "12:00", zone),
            client=first,
            status=SessionStatus.NO_SHOW,
            booked_at=now - timedelta(days=25),
        )
        _event(no_show, SessionEventKind.NO_SHOW, coach, no_show.starts_at + timedelta(minutes=20))
        late = _session(
            coach,
            coaching,
            _at(behind[1], "17:00", zone),
            client=last,
            status=SessionStatus.CANCELLED,
            booked_at=now - timedelta(days=9),
        )
        late.cancelled_by = last
        late.cancelled_at = late.starts_at - timedelta(hours=3)
        late.cancellation_reason = "Something came up at work."
        late.late_cancellation = True
        late.save()
        _event(late, SessionEventKind.CANCELLED, last, late.cancelled_at, late.cancellation_reason)
        created += 3 + bool(requested)
        # Today, two hours from now on the quarter hour, when that is still daytime.
        local_now = now.astimezone(zone)
        later = (local_now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
        if later.date() == today and 8 <= later.hour <= 20:
            _session(
                coach,
                coaching,
                later,
                client=clients[len(clients) // 2],
                status=SessionStatus.SCHEDULED,
                booked_at=now - timedelta(days=1),
            )
            created += 1
    # A group session next week, with most clients seated.
    circle = _session(
        coach,
        group,
        _at(ahead[4], "17:00" if spec.currency == "ILS" else "14:00", zone),
        client=None,
        status=SessionStatus.SCHEDULED,
        booked_at=now - timedelta(days=4),
    )
    for client in clients[: group.capacity - 1]:
        SessionSeat.objects.create(session=circle, client=client, status=SeatStatus.TAKEN)
        _event(circle, SessionEventKind.SEAT_TAKEN, client, now - timedelta(days=3))
    return created + 1


def load_demo_schedule(now: datetime | None = None) -> int:
    """Load the demo schedule; returns how many sessions were created (0 when present)."""
    now = now or timezone.now()
    created = 0
    with system_context(), transaction.atomic():
        for spec in COACHES:
            if User.objects.filter(email=spec.email).exists():
                created += _load_coach(spec, now)
    return created

"""Reads of scheduling data, scoped to the person asking.

A getter handed a session the user is not a party to raises ``Http404``. The one
read that spans clients — a coach's busy times, which the slot engine needs — runs
in the system context and returns times only, never who the sessions are with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from loom.accounts.models import User
from loom.core.context import system_context
from loom.core.errors import DomainError
from loom.scheduling.models import (
    ACTIVE_STATUSES,
    AvailabilityOverride,
    CoachSchedulingSettings,
    Session,
    SessionEvent,
    SessionType,
    WeeklyAvailability,
)
from loom.scheduling.slots import (
    BusySession,
    DateOverride,
    Slot,
    SlotRules,
    WeeklyRange,
    bookable_slots,
)

# Buffers are at most 4 hours (BUFFER_MAX); a day either side covers any of them.
_BUSY_MARGIN = timedelta(days=1)


def coach_zone(coach: User) -> ZoneInfo:
    """The coach's time zone; a stored name that no longer resolves is a clear refusal."""
    try:
        return ZoneInfo(coach.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(
            _("The coach's time zone is not set correctly, so no time can be booked."),
            code="coach_timezone_invalid",
        ) from None


def _session_queryset() -> QuerySet[Session]:
    return Session.objects.select_related("coach", "client", "session_type")


def get_session_for_user(user: User, session_id: Any, *, for_update: bool = False) -> Session:
    """The session if ``user`` is its coach, its client or holds a taken seat in it
    (a group session); otherwise ``Http404``."""
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not user.is_authenticated:
        raise Http404
    queryset = _session_queryset().filter(Q(coach=user) | _client_party_filter(user))
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    session = queryset.filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


def upcoming_sessions_for_user(
    user: User, *, now: datetime | None = None, limit: int = 50
) -> list[Session]:
    """The user's active sessions that have not ended, soonest first (coach, client
    or seat holder)."""
    now = now or timezone.now()
    return list(
        _session_queryset()
        .filter(Q(coach=user) | _client_party_filter(user))
        .filter(status__in=ACTIVE_STATUSES, ends_at__gt=now)
        .order_by("starts_at", "id")[:limit]
    )


def past_sessions_for_user(
    user: User, *, now: datetime | None = None, limit: int = 50
) -> list[Session]:
    """The user's sessions that have ended or are closed, most recent first (coach,
    client or seat holder)."""
    now = now or timezone.now()
    return list(
        _session_queryset()
        .filter(Q(coach=user) | _client_party_filter(user))
        .filter(Q(ends_at__lte=now) | ~Q(status__in=ACTIVE_STATUSES))
        .order_by("-starts_at", "-id")[:limit]
    )


def requested_sessions_for_coach(coach: User) -> list[Session]:
    """The coach's approval queue, soonest first."""
    return list(
        _session_queryset()
        .filter(coach=coach, status="requested", starts_at__gt=timezone.now())
        .order_by("starts_at", "id")
    )


def session_types_for_coach(coach: User, *, active_only: bool = True) -> list[SessionType]:
    queryset = SessionType.objects.filter(coach=coach)
    if active_only:
        queryset = queryset.filter(is_active=True)
    return list(queryset.order_by("name_en", "id"))


def get_session_type_for_coach(coach: User, session_type_id: Any) -> SessionType:
    """One of the coach's own session types (active or not); otherwise ``Http404``."""
    try:
        pk = int(session_type_id)
    except (TypeError, ValueError):
        raise Http404 from None
    session_type = SessionType.objects.filter(coach=coach, pk=pk).select_related("coach").first()
    if session_type is None:
        raise Http404
    return session_type


def upcoming_overrides_for_coach(
    coach: User, *, today: date, limit: int = 200
) -> list[AvailabilityOverride]:
    """The coach's date changes from ``today`` (coach's zone) on, soonest first."""
    return list(
        AvailabilityOverride.objects.filter(coach=coach, date__gte=today).order_by(
            "date", "start_time", "id"
        )[:limit]
    )


def scheduling_settings_for_coach(coach: User) -> CoachSchedulingSettings:
    """The coach's own scheduling settings; an unsaved row with the defaults when the
    coach has never saved any (one query)."""
    row = CoachSchedulingSettings.objects.filter(coach=coach).first()
    return row if row is not None else CoachSchedulingSettings(coach=coach)


def session_events_for(session: Session) -> list[SessionEvent]:
    """History of a session the caller already fetched through ``get_session_for_user``."""
    return list(session.events.select_related("actor").order_by("occurred_at", "id"))


def busy_sessions(
    coach: User, start: datetime, end: datetime, *, exclude_session_id: int | None = None
) -> list[BusySession]:
    """The coach's active sessions overlapping ``[start, end)``, times and buffers only.

    Read in the system context: these sessions belong to other clients too, whose
    rows the client asking may not see; nothing but times leaves this function.
    """
    with system_context():
        queryset = Session.objects.filter(
            coach=coach, status__in=ACTIVE_STATUSES, starts_at__lt=end, ends_at__gt=start
        )
        if exclude_session_id is not None:
            queryset = queryset.exclude(pk=exclude_session_id)
        rows = queryset.values_list(
            "starts_at", "ends_at", "buffer_before_minutes", "buffer_after_minutes"
        )
        return [
            BusySession(
                starts_at=starts_at,
                ends_at=ends_at,
                buffer_before=timedelta(minutes=before),
                buffer_after=timedelta(minutes=after),
            )
            for starts_at, ends_at, before, after in rows
        ]


def slot_rules_for(session_type: SessionType, *, caps: bool = True) -> SlotRules:
    return SlotRules(
        duration=timedelta(minutes=session_type.duration_minutes),
        buffer_before=timedelta(minutes=session_type.buffer_before_minutes),
        buffer_after=timedelta(minutes=session_type.buffer_after_minutes),
        minimum_notice=timedelta(minutes=session_type.minimum_notice_minutes),
        horizon_days=session_type.booking_horizon_days,
        max_per_day=session_type.max_sessions_per_day if caps else None,
        max_per_week=session_type.max_sessions_per_week if caps else None,
        step=timedelta(minutes=settings.LOOM_SLOT_STEP_MINUTES),
    )


def availability_for(coach: User) -> tuple[list[WeeklyRange], list[DateOverride]]:
    weekly = [
        WeeklyRange(weekday=weekday, start=start, end=end)
        for weekday, start, end in WeeklyAvailability.objects.filter(coach=coach).values_list(
            "weekday", "start_time", "end_time"
        )
    ]
    overrides = [
        DateOverride(date=day, kind=kind, start=start, end=end)
        for day, kind, start, end in AvailabilityOverride.objects.filter(coach=coach).values_list(
            "date", "kind", "start_time", "end_time"
        )
    ]
    return weekly, overrides


def _cap_window(start: datetime, end: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """From the Monday before the range's first local date to the Monday after its last
    (a day of margin each side), so weekly and daily counts are complete."""
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    monday = first - timedelta(days=first.weekday())
    next_monday = last + timedelta(days=7 - last.weekday())
    return (
        datetime.combine(monday, datetime.min.time(), tzinfo=tz) - _BUSY_MARGIN,
        datetime.combine(next_monday, datetime.min.time(), tzinfo=tz) + _BUSY_MARGIN,
    )


@dataclass(frozen=True)
class SlotInputs:
    """What the slot engine needs about a coach for one range of time."""

    tz: ZoneInfo
    weekly: list[WeeklyRange]
    overrides: list[DateOverride]
    busy: list[BusySession]

    def slots(
        self,
        rules: SlotRules,
        *,
        start: datetime,
        end: datetime,
        now: datetime,
        include_busy: bool = True,
    ) -> list[Slot]:
        return bookable_slots(
            tz=self.tz,
            weekly=self.weekly,
            overrides=self.overrides,
            busy=self.busy if include_busy else [],
            rules=rules,
            start=start,
            end=end,
            now=now,
        )


def slot_inputs_for(
    coach: User, *, start: datetime, end: datetime, exclude_session_id: int | None = None
) -> SlotInputs:
    """Three queries: weekly hours, overrides and busy times around ``[start, end)``.

    ``exclude_session_id`` leaves a session out of busy times and caps (a reschedule
    moves it).
    """
    tz = coach_zone(coach)
    weekly, overrides = availability_for(coach)
    window_start, window_end = _cap_window(start, end, tz)
    busy = busy_sessions(coach, window_start, window_end, exclude_session_id=exclude_session_id)
    return SlotInputs(tz=tz, weekly=weekly, overrides=overrides, busy=busy)


def slots_for_session_type(
    session_type: SessionType,
    *,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    exclude_session_id: int | None = None,
) -> list[Slot]:
    """Bookable slots of ``session_type`` starting in ``[start, end)`` (see ``slots``)."""
    inputs = slot_inputs_for(
        session_type.coach, start=start, end=end, exclude_session_id=exclude_session_id
    )
    return inputs.slots(
        slot_rules_for(session_type), start=start, end=end, now=now or timezone.now()
    )


# --- Client pages ---------------------------------------------------------------------------
# Reads for the client's booking page, session list and session page (views_client.py).
# Imports of models the rest of this module does not need stay inside the functions.


def _client_party_filter(client: User) -> Q:
    """Sessions ``client`` takes part in: one-to-one, or holding a taken seat in a group."""
    from django.db.models import Exists, OuterRef

    from loom.scheduling.models import SeatStatus, SessionSeat

    holds_seat = Exists(
        SessionSeat.objects.filter(session=OuterRef("pk"), client=client, status=SeatStatus.TAKEN)
    )
    return Q(client=client) | Q(holds_seat)


def bookable_types_for_client(client: User) -> list[SessionType]:
    """The active types of the client's active coaches, one-to-one and group (one query).

    The booking page lists the one-to-one ones and links to the group page when any
    group type exists.
    """
    from loom.accounts.models import CoachClient

    if not client.is_authenticated:
        return []
    coach_ids = CoachClient.objects.filter(
        client=client, status=CoachClient.Status.ACTIVE
    ).values_list("coach_id", flat=True)
    return list(
        SessionType.objects.filter(coach__in=coach_ids, is_active=True)
        .select_related("coach")
        .order_by("coach_id", "name_en", "id")
    )


def get_bookable_type_for_client(client: User, session_type_id: Any) -> SessionType:
    """An active one-to-one type of one of the client's active coaches; else ``Http404``."""
    try:
        pk = int(session_type_id)
    except (TypeError, ValueError):
        raise Http404 from None
    found = next(
        (
            kind
            for kind in bookable_types_for_client(client)
            if kind.pk == pk and kind.capacity == 1
        ),
        None,
    )
    if found is None:
        raise Http404
    return found


def client_sessions(client: User, *, when: str, now: datetime | None = None) -> QuerySet[Session]:
    """The client's sessions, unevaluated, for paging: ``upcoming`` (active and not
    ended, soonest first) or ``past`` (ended or closed, latest first)."""
    now = now or timezone.now()
    queryset = _session_queryset().filter(_client_party_filter(client))
    if when == "past":
        return queryset.filter(Q(ends_at__lte=now) | ~Q(status__in=ACTIVE_STATUSES)).order_by(
            "-starts_at", "-id"
        )
    return queryset.filter(status__in=ACTIVE_STATUSES, ends_at__gt=now).order_by("starts_at", "id")


def next_session_for_client(client: User, *, now: datetime | None = None) -> Session | None:
    """The client's next active session that has not ended (one query)."""
    return client_sessions(client, when="upcoming", now=now).first()


def cancellation_cutoff_hours(coach: User) -> int:
    """The coach's cutoff in hours, as the services apply it (default 24).

    Read in the system context like the services do: an archived client still sees
    the policy that applies to their session.
    """
    from loom.scheduling.models import CoachSchedulingSettings

    with system_context():
        hours = (
            CoachSchedulingSettings.objects.filter(coach=coach)
            .values_list("cancellation_cutoff_hours", flat=True)
            .first()
        )
    return 24 if hours is None else int(hours)


# --- Coach pages ----------------------------------------------------------------------------
# Reads for the coach's today page, approval queue, week calendar, session page and
# booking page (views_coach.py). Each is a fixed number of queries, whatever the number
# of sessions.

# Sessions a coach's calendar and lists show: everything but the ones that never happened.
COACH_SHOWN_STATUSES = (
    "requested",
    "scheduled",
    "in_progress",
    "completed",
    "no_show",
)


def _coach_sessions(coach: User) -> QuerySet[Session]:
    return _session_queryset().filter(coach=coach, status__in=COACH_SHOWN_STATUSES)


def local_day_bounds(day: Any, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants at which local ``day`` starts and the next local day starts in ``tz``."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return start, end


def coach_sessions_between(coach: User, start: datetime, end: datetime) -> list[Session]:
    """The coach's sessions (not cancelled or declined) overlapping ``[start, end)``,
    in time order, with client and type (one query)."""
    return list(
        _coach_sessions(coach)
        .filter(starts_at__lt=end, ends_at__gt=start)
        .order_by("starts_at", "id")
    )


def coach_calendar_sessions(coach: User, start: datetime, end: datetime) -> list[Session]:
    """``coach_sessions_between`` with only the columns the week calendar shows (one
    query): the page lists up to a few hundred sessions, so the rows stay small."""
    return list(
        Session.objects.select_related("client", "session_type")
        .filter(
            coach=coach,
            status__in=COACH_SHOWN_STATUSES,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .only(
            "id",
            "starts_at",
            "ends_at",
            "status",
            "capacity",
            "client__id",
            "client__full_name",
            "client__email",
            "session_type__id",
            "session_type__name_en",
            "session_type__name_he",
            "session_type__colour",
        )
        .order_by("starts_at", "id")
    )


def coach_upcoming_queryset(coach: User, *, after: datetime) -> QuerySet[Session]:
    """The coach's requested and scheduled sessions starting at or after ``after``."""
    return (
        _session_queryset()
        .filter(coach=coach, status__in=ACTIVE_STATUSES, starts_at__gte=after)
        .order_by("starts_at", "id")
    )


def coach_rest_of_today(coach: User, *, now: datetime, limit: int = 5) -> list[Session]:
    """The coach's sessions today (in the coach's zone) that have not ended, soonest
    first, at most ``limit`` (one query): the coach home's "Today" card."""
    try:
        tz = ZoneInfo(coach.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    _start, day_end = local_day_bounds(now.astimezone(tz).date(), tz)
    return list(
        _coach_sessions(coach)
        .filter(ends_at__gt=now, starts_at__lt=day_end)
        .order_by("starts_at", "id")[:limit]
    )


def approval_queue_for_coach(coach: User, *, now: datetime | None = None) -> list[Session]:
    """Requests waiting for the coach's answer, the longest-waiting first (one query)."""
    return list(
        _session_queryset()
        .filter(coach=coach, status="requested", starts_at__gt=now or timezone.now())
        .order_by("created_at", "id")
    )


def pending_request_count(coach: User, *, now: datetime | None = None) -> int:
    """How many requests wait for the coach's answer (their time still ahead)."""
    return Session.objects.filter(
        coach=coach, status="requested", starts_at__gt=now or timezone.now()
    ).count()


def working_windows_for_week(coach: User, monday: Any) -> dict[Any, list[tuple[Any, Any]]]:
    """The coach's working hours (wall-clock ranges) for each date of the week from
    ``monday``, after overrides (two queries)."""
    from loom.scheduling.slots import day_windows

    weekly, overrides = availability_for(coach)
    weekly_by_day: dict[int, list[tuple[Any, Any]]] = {}
    for item in weekly:
        weekly_by_day.setdefault(item.weekday, []).append((item.start, item.end))
    overrides_by_date: dict[Any, list[DateOverride]] = {}
    for override in overrides:
        overrides_by_date.setdefault(override.date, []).append(override)
    days = [monday + timedelta(days=offset) for offset in range(7)]
    return {day: day_windows(day, weekly_by_day, overrides_by_date) for day in days}


def active_clients_for_coach(coach: User) -> list[User]:
    """The coach's active clients, by name (one query)."""
    return list(
        User.objects.filter(
            coach_links__coach=coach, coach_links__status="active", is_active=True
        ).order_by("full_name", "email", "id")
    )


def one_to_one_types_for_coach(coach: User) -> list[SessionType]:
    """The coach's active one-to-one session types (capacity 1), by name."""
    return list(
        SessionType.objects.filter(coach=coach, is_active=True, capacity=1).order_by(
            "name_en", "id"
        )
    )


# --- The roster's client page -------------------------------------------------------------


def sessions_of_client_with_coach(
    coach: User, client: User, *, limit: int = 10
) -> tuple[list[Session], list[Session]]:
    """The client's upcoming and latest past sessions with ``coach`` (one-to-one or a
    seat held in a group), soonest and latest first; two queries."""
    now = timezone.now()
    from loom.scheduling.models import SeatStatus

    with_client = Q(client=client) | Q(
        seats__client=client, seats__status=SeatStatus.TAKEN, capacity__gt=1
    )
    base = (
        Session.objects.filter(with_client, coach=coach).select_related("session_type").distinct()
    )
    upcoming = list(
        base.filter(status__in=ACTIVE_STATUSES, ends_at__gt=now).order_by("starts_at")[:limit]
    )
    past = list(
        base.filter(Q(ends_at__lte=now) | ~Q(status__in=ACTIVE_STATUSES)).order_by("-starts_at")[
            :limit
        ]
    )
    return upcoming, past

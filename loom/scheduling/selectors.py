"""Reads of scheduling data, scoped to the person asking.

A getter handed a session the user is not a party to raises ``Http404``. The one
read that spans clients — a coach's busy times, which the slot engine needs — runs
in the system context and returns times only, never who the sessions are with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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
    """The session if ``user`` is its coach or its client; otherwise ``Http404``."""
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not user.is_authenticated:
        raise Http404
    queryset = _session_queryset().filter(Q(coach=user) | Q(client=user))
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    session = queryset.filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


def upcoming_sessions_for_user(
    user: User, *, now: datetime | None = None, limit: int = 50
) -> list[Session]:
    """The user's active sessions that have not ended, soonest first (coach or client)."""
    now = now or timezone.now()
    return list(
        _session_queryset()
        .filter(Q(coach=user) | Q(client=user), status__in=ACTIVE_STATUSES, ends_at__gt=now)
        .order_by("starts_at", "id")[:limit]
    )


def past_sessions_for_user(
    user: User, *, now: datetime | None = None, limit: int = 50
) -> list[Session]:
    """The user's sessions that have ended or are closed, most recent first."""
    now = now or timezone.now()
    return list(
        _session_queryset()
        .filter(Q(coach=user) | Q(client=user))
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

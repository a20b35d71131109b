"""Scheduling endpoints of the JSON API: session types, availability, slots and sessions.

Each endpoint parses, calls the same service or selector as the HTML views and
serializes. Refusals are problem-details documents (see ``config.api``) with the
error's ``code``: 422 for bad input, 403 for another role's endpoint, 404 for an id
that is not the caller's, 409 for a time that cannot be booked or a state conflict.
A session shows its two parties by name only: no email address or phone number.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from loom.accounts.models import CoachClient, Role, User
from loom.accounts.permissions import request_user, require_coach
from loom.accounts.timezones import zone_named
from loom.core.errors import Conflict, DomainError, Forbidden, NotFound
from loom.scheduling import selectors, services
from loom.scheduling.models import (
    REMINDER_OFFSETS_MAX,
    AvailabilityOverride,
    CoachSchedulingSettings,
    OverrideKind,
    Session,
    SessionType,
    WeeklyAvailability,
)
from loom.scheduling.series import (
    INTERVAL_MAX_WEEKS,
    SERIES_MAX,
    SERIES_MIN,
    session_book_weekly_series,
)
from loom.scheduling.services import (
    ADDRESS_MAX,
    CAPACITY_MAX,
    DESCRIPTION_MAX,
    MEETING_URL_MAX,
    NAME_MAX,
    REASON_MAX,
    SessionTypeInput,
    SlotUnavailable,
)

router = Router(tags=["scheduling"])

# The widest range of dates one slots request may ask for.
SLOT_RANGE_MAX_DAYS = 62
SESSION_PAGE_SIZE = 20
SESSION_PAGE_SIZE_MAX = 50
# Pages are read with the selectors' ``limit`` (one query each); deep pages are refused
# rather than read ever more rows.
SESSION_PAGE_MAX = 50
WEEKLY_RANGES_MAX = 7 * 24


class InvalidInput(DomainError):
    """A service's refusal of the values sent (a bare 400 there) is invalid input here."""

    status = 422
    title = "Invalid input"


@contextmanager
def _refusals() -> Iterator[None]:
    """A time the grid does not offer is a conflict with the coach's calendar (409); any
    other refusal a service reports as a bare 400 is invalid input (422). The code stays."""
    try:
        yield
    except SlotUnavailable as exc:
        raise Conflict(str(exc), code=exc.code) from None
    except (Conflict, NotFound, Forbidden):
        raise
    except DomainError as exc:
        if exc.status != 400:
            raise
        raise InvalidInput(str(exc), code=exc.code) from None


def _active_coach_ids(client: User) -> QuerySet[CoachClient, int]:
    return CoachClient.objects.filter(client=client, status=CoachClient.Status.ACTIVE).values_list(
        "coach_id", flat=True
    )


def _visible_session_type(user: User, session_type_id: int) -> SessionType:
    """A coach's own type (active or not), or an active type of a client's active coach."""
    queryset = SessionType.objects.select_related("coach")
    if user.role == Role.COACH:
        queryset = queryset.filter(coach=user)
    elif user.role == Role.CLIENT:
        queryset = queryset.filter(coach__in=_active_coach_ids(user), is_active=True)
    else:
        queryset = queryset.none()
    session_type = queryset.filter(pk=session_type_id).first()
    if session_type is None:
        raise NotFound(_("This session type does not exist."))
    return session_type


# --- Session types -----------------------------------------------------------------------------


class SessionTypeOut(Schema):
    id: int
    coach_id: int
    name: str
    name_en: str
    name_he: str
    description_en: str
    description_he: str
    duration_minutes: int
    price: Decimal
    currency: str
    location_kind: str
    address: str
    buffer_before_minutes: int
    buffer_after_minutes: int
    minimum_notice_minutes: int
    booking_horizon_days: int
    max_sessions_per_day: int | None
    max_sessions_per_week: int | None
    booking_mode: str
    colour: str
    capacity: int
    is_active: bool


class SessionTypeIn(Schema):
    name_en: str = Field(max_length=NAME_MAX)
    duration_minutes: int
    name_he: str = Field("", max_length=NAME_MAX)
    description_en: str = Field("", max_length=DESCRIPTION_MAX)
    description_he: str = Field("", max_length=DESCRIPTION_MAX)
    price: Decimal = Decimal("0")
    currency: str = Field("USD", max_length=3)
    location_kind: Literal["video", "in_person", "phone"] = "video"
    address: str = Field("", max_length=ADDRESS_MAX)
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    minimum_notice_minutes: int = 240
    booking_horizon_days: int = 60
    max_sessions_per_day: int | None = None
    max_sessions_per_week: int | None = None
    booking_mode: Literal["self_book", "request"] = "self_book"
    colour: str = Field("#2563eb", pattern=r"^#[0-9a-fA-F]{6}$")
    capacity: int = Field(
        1, ge=1, le=CAPACITY_MAX, description="1 = one-to-one; more = group seats"
    )

    def to_input(self) -> SessionTypeInput:
        return SessionTypeInput(**self.model_dump())


def _session_type_out(session_type: SessionType) -> SessionTypeOut:
    return SessionTypeOut(
        id=session_type.pk,
        coach_id=session_type.coach_id,
        name=session_type.name,
        name_en=session_type.name_en,
        name_he=session_type.name_he,
        description_en=session_type.description_en,
        description_he=session_type.description_he,
        duration_minutes=session_type.duration_minutes,
        price=session_type.price,
        currency=session_type.currency,
        location_kind=session_type.location_kind,
        address=session_type.address,
        buffer_before_minutes=session_type.buffer_before_minutes,
        buffer_after_minutes=session_type.buffer_after_minutes,
        minimum_notice_minutes=session_type.minimum_notice_minutes,
        booking_horizon_days=session_type.booking_horizon_days,
        max_sessions_per_day=session_type.max_sessions_per_day,
        max_sessions_per_week=session_type.max_sessions_per_week,
        booking_mode=session_type.booking_mode,
        colour=session_type.colour,
        capacity=session_type.capacity,
        is_active=session_type.is_active,
    )


@router.get(
    "/scheduling/session-types", response=list[SessionTypeOut], url_name="scheduling_session_types"
)
def session_type_list(request: HttpRequest) -> list[SessionTypeOut]:
    """A coach: all their own types. A client: the active types of their active coach.
    One query."""
    user = request_user(request)
    if user.role == Role.COACH:
        types = selectors.session_types_for_coach(user, active_only=False)
    elif user.role == Role.CLIENT:
        types = list(
            SessionType.objects.filter(coach__in=_active_coach_ids(user), is_active=True).order_by(
                "coach_id", "name_en", "id"
            )
        )
    else:
        types = []
    return [_session_type_out(session_type) for session_type in types]


@router.post(
    "/scheduling/session-types",
    response={201: SessionTypeOut},
    url_name="scheduling_session_type_create",
)
def session_type_create(request: HttpRequest, payload: SessionTypeIn) -> Status[SessionTypeOut]:
    coach = require_coach(request)
    with _refusals():
        session_type = services.session_type_create(coach=coach, data=payload.to_input())
    return Status(201, _session_type_out(session_type))


@router.put(
    "/scheduling/session-types/{session_type_id}",
    response=SessionTypeOut,
    url_name="scheduling_session_type",
)
def session_type_update(
    request: HttpRequest, session_type_id: int, payload: SessionTypeIn
) -> SessionTypeOut:
    """Replace a type's settings. Sessions already booked keep their times and buffers."""
    coach = require_coach(request)
    with _refusals():
        session_type = services.session_type_update(
            coach=coach, session_type_id=session_type_id, data=payload.to_input()
        )
    return _session_type_out(session_type)


@router.post(
    "/scheduling/session-types/{session_type_id}/deactivate",
    response=SessionTypeOut,
    url_name="scheduling_session_type_deactivate",
)
def session_type_deactivate(request: HttpRequest, session_type_id: int) -> SessionTypeOut:
    coach = require_coach(request)
    session_type = services.session_type_set_active(
        coach=coach, session_type_id=session_type_id, active=False
    )
    return _session_type_out(session_type)


# --- Availability ------------------------------------------------------------------------------


class WeeklyRangeIO(Schema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    start: time
    end: time


class OverrideOut(Schema):
    id: int
    date: date
    kind: str
    start: time | None
    end: time | None


class AvailabilityOut(Schema):
    timezone: str
    weekly: list[WeeklyRangeIO]
    overrides: list[OverrideOut]


class AvailabilityIn(Schema):
    weekly: list[WeeklyRangeIO] = Field(max_length=WEEKLY_RANGES_MAX)


class OverrideIn(Schema):
    date: date
    kind: Literal["extra", "unavailable_day", "unavailable_range"]
    start: time | None = None
    end: time | None = None


def _override_out(override: AvailabilityOverride) -> OverrideOut:
    return OverrideOut(
        id=override.pk,
        date=override.date,
        kind=override.kind,
        start=override.start_time,
        end=override.end_time,
    )


def _availability_out(coach: User) -> AvailabilityOut:
    weekly = WeeklyAvailability.objects.filter(coach=coach).order_by("weekday", "start_time")
    overrides = AvailabilityOverride.objects.filter(
        coach=coach, date__gte=timezone.now().astimezone(zone_named(coach.timezone)).date()
    ).order_by("date", "start_time", "id")
    return AvailabilityOut(
        timezone=coach.timezone,
        weekly=[
            WeeklyRangeIO(weekday=row.weekday, start=row.start_time, end=row.end_time)
            for row in weekly
        ],
        overrides=[_override_out(override) for override in overrides],
    )


@router.get(
    "/scheduling/availability", response=AvailabilityOut, url_name="scheduling_availability"
)
def availability_get(request: HttpRequest) -> AvailabilityOut:
    """The coach's weekly hours and their changes from today on (coach's time zone)."""
    return _availability_out(require_coach(request))


@router.put(
    "/scheduling/availability", response=AvailabilityOut, url_name="scheduling_availability_set"
)
def availability_set(request: HttpRequest, payload: AvailabilityIn) -> AvailabilityOut:
    """Replace every weekly range at once (wall-clock times in the coach's zone)."""
    coach = require_coach(request)
    with _refusals():
        services.weekly_availability_set(
            coach=coach, ranges=[(item.weekday, item.start, item.end) for item in payload.weekly]
        )
    return _availability_out(coach)


@router.post(
    "/scheduling/availability/overrides",
    response={201: OverrideOut},
    url_name="scheduling_overrides",
)
def override_add(request: HttpRequest, payload: OverrideIn) -> Status[OverrideOut]:
    coach = require_coach(request)
    with _refusals():
        override = services.availability_override_add(
            coach=coach,
            day=payload.date,
            kind=OverrideKind(payload.kind),
            start_time=payload.start,
            end_time=payload.end,
        )
    return Status(201, _override_out(override))


@router.delete(
    "/scheduling/availability/overrides/{override_id}",
    response={204: None},
    url_name="scheduling_override",
)
def override_remove(request: HttpRequest, override_id: int) -> Status[None]:
    services.availability_override_remove(coach=require_coach(request), override_id=override_id)
    return Status(204, None)


# --- Scheduling settings -----------------------------------------------------------------------


class SchedulingSettingsOut(Schema):
    cancellation_cutoff_hours: int
    reminder_offsets_minutes: list[int] = Field(description="Minutes before, largest first.")
    own_meeting_url: str = Field(description="Empty: a Jitsi room per video session.")


class SchedulingSettingsIn(Schema):
    cancellation_cutoff_hours: int
    reminder_offsets_minutes: list[int] = Field(
        max_length=REMINDER_OFFSETS_MAX,
        description="Up to three distinct offsets in minutes; empty turns reminders off.",
    )
    own_meeting_url: str = Field("", max_length=MEETING_URL_MAX)


def _settings_out(row: CoachSchedulingSettings) -> SchedulingSettingsOut:
    return SchedulingSettingsOut(
        cancellation_cutoff_hours=row.cancellation_cutoff_hours,
        reminder_offsets_minutes=list(row.reminder_offsets_minutes or []),
        own_meeting_url=row.own_meeting_url,
    )


@router.get("/scheduling/settings", response=SchedulingSettingsOut, url_name="scheduling_settings")
def scheduling_settings_get(request: HttpRequest) -> SchedulingSettingsOut:
    """The coach's cancellation cutoff, reminder offsets and own meeting link."""
    return _settings_out(selectors.scheduling_settings_for_coach(require_coach(request)))


@router.put(
    "/scheduling/settings", response=SchedulingSettingsOut, url_name="scheduling_settings_set"
)
def scheduling_settings_set(
    request: HttpRequest, payload: SchedulingSettingsIn
) -> SchedulingSettingsOut:
    """Replace all three settings at once; nothing is written if any value is refused."""
    coach = require_coach(request)
    with _refusals():
        row = services.scheduling_settings_update(
            coach=coach,
            cancellation_cutoff_hours=payload.cancellation_cutoff_hours,
            reminder_offsets_minutes=payload.reminder_offsets_minutes,
            own_meeting_url=payload.own_meeting_url,
        )
    return _settings_out(row)


# --- Slots -------------------------------------------------------------------------------------


# Without dates, the two weeks from today (coach's time zone).
SLOT_DEFAULT_DAYS = 14


# Dates far outside any horizon are refused before any date arithmetic can overflow.
SLOT_DATE_MIN = date(2000, 1, 1)
SLOT_DATE_MAX = date(2999, 12, 31)


class SlotQuery(Schema):
    start: date | None = Field(
        None,
        ge=SLOT_DATE_MIN,
        le=SLOT_DATE_MAX,
        description="First date, in the coach's time zone.",
    )
    end: date | None = Field(
        None,
        ge=SLOT_DATE_MIN,
        le=SLOT_DATE_MAX,
        description="Last date (included), in the coach's time zone.",
    )


class SlotOut(Schema):
    starts_at: datetime
    ends_at: datetime
    starts_at_local: str = Field(description="In the viewer's time zone, ISO 8601 with offset.")
    ends_at_local: str
    starts_at_coach: str = Field(description="In the coach's time zone, ISO 8601 with offset.")
    ends_at_coach: str


class SlotsOut(Schema):
    session_type_id: int
    viewer_timezone: str
    coach_timezone: str
    slots: list[SlotOut]


@router.get(
    "/scheduling/session-types/{session_type_id}/slots",
    response=SlotsOut,
    url_name="scheduling_slots",
)
def slot_list(request: HttpRequest, session_type_id: int, query: Query[SlotQuery]) -> SlotsOut:
    """Bookable slots from ``start`` to ``end`` (at most 62 days; by default the next
    two weeks), each in UTC, in the viewer's zone and in the coach's zone."""
    user = request_user(request)
    session_type = _visible_session_type(user, session_type_id)
    with _refusals():
        coach_tz = selectors.coach_zone(session_type.coach)
    first = query.start or timezone.now().astimezone(coach_tz).date()
    last = query.end or first + timedelta(days=SLOT_DEFAULT_DAYS - 1)
    days = (last - first).days + 1
    if days < 1:
        raise ValidationError({"end": _("The last date must not be before the first.")})
    if days > SLOT_RANGE_MAX_DAYS:
        raise ValidationError(
            {"end": _("Ask for at most %(days)d days at once.") % {"days": SLOT_RANGE_MAX_DAYS}}
        )
    start = datetime.combine(first, time.min, tzinfo=coach_tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=coach_tz)
    slots = selectors.slots_for_session_type(session_type, start=start, end=end)
    viewer_tz = zone_named(user.timezone)
    return SlotsOut(
        session_type_id=session_type.pk,
        viewer_timezone=viewer_tz.key,
        coach_timezone=coach_tz.key,
        slots=[
            SlotOut(
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                starts_at_local=slot.starts_at.astimezone(viewer_tz).isoformat(),
                ends_at_local=slot.ends_at.astimezone(viewer_tz).isoformat(),
                starts_at_coach=slot.starts_at.astimezone(coach_tz).isoformat(),
                ends_at_coach=slot.ends_at.astimezone(coach_tz).isoformat(),
            )
            for slot in slots
        ],
    )


# --- Sessions ----------------------------------------------------------------------------------


class PartyOut(Schema):
    id: int
    full_name: str


class SessionTypeBriefOut(Schema):
    id: int
    name: str
    duration_minutes: int


class SessionOut(Schema):
    id: int
    coach: PartyOut
    client: PartyOut | None = Field(
        description="The client of a one-to-one session; null for a group session."
    )
    capacity: int = Field(description="1 for a one-to-one session; the seats of a group session.")
    session_type: SessionTypeBriefOut
    starts_at: datetime
    ends_at: datetime
    coach_timezone: str
    status: str
    late_cancellation: bool
    cancellation_reason: str
    cancelled_at: datetime | None
    sequence: int


class SessionPageOut(Schema):
    items: list[SessionOut]
    page: int
    page_size: int
    has_next: bool


class SessionQuery(Schema):
    when: Literal["upcoming", "past"] = "upcoming"
    page: int = Field(1, ge=1, le=SESSION_PAGE_MAX)
    page_size: int = Field(SESSION_PAGE_SIZE, ge=1, le=SESSION_PAGE_SIZE_MAX)


class BookIn(Schema):
    session_type_id: int
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None
    client_id: int | None = Field(None, description="Required when a coach books for a client.")


class ReasonIn(Schema):
    reason: str = Field("", max_length=REASON_MAX)


class RescheduleIn(Schema):
    starts_at: AwareDatetime
    reason: str = Field("", max_length=REASON_MAX)


def _party(user: User) -> PartyOut:
    return PartyOut(id=user.pk, full_name=user.full_name)


def _session_out(session: Session) -> SessionOut:
    return SessionOut(
        id=session.pk,
        coach=_party(session.coach),
        client=_party(session.client) if session.client is not None else None,
        capacity=session.capacity,
        session_type=SessionTypeBriefOut(
            id=session.session_type_id,
            name=session.session_type.name,
            duration_minutes=session.session_type.duration_minutes,
        ),
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        coach_timezone=session.coach_timezone,
        status=session.status,
        late_cancellation=session.late_cancellation,
        cancellation_reason=session.cancellation_reason,
        cancelled_at=session.cancelled_at,
        sequence=session.sequence,
    )


@router.get("/scheduling/sessions", response=SessionPageOut, url_name="scheduling_sessions")
def session_list(request: HttpRequest, filters: Query[SessionQuery]) -> SessionPageOut:
    """The caller's upcoming (soonest first) or past (latest first) sessions. One query."""
    user = request_user(request)
    offset = (filters.page - 1) * filters.page_size
    limit = offset + filters.page_size + 1
    read = (
        selectors.upcoming_sessions_for_user
        if filters.when == "upcoming"
        else selectors.past_sessions_for_user
    )
    rows = read(user, limit=limit)[offset:]
    return SessionPageOut(
        items=[_session_out(session) for session in rows[: filters.page_size]],
        page=filters.page,
        page_size=filters.page_size,
        has_next=len(rows) > filters.page_size,
    )


@router.post("/scheduling/sessions", response={201: SessionOut}, url_name="scheduling_session_book")
def session_book(request: HttpRequest, payload: BookIn) -> Status[SessionOut]:
    """Book a slot: a client for themselves with their coach; a coach for one of their
    active clients (``client_id``). A client's booking of a request-mode type waits for
    the coach's approval (status ``requested``)."""
    user = request_user(request)
    if user.role not in (Role.CLIENT, Role.COACH):
        raise Forbidden(_("Only a coach or their client can book a session."))
    session_type = _visible_session_type(user, payload.session_type_id)
    if user.role == Role.CLIENT:
        if payload.client_id not in (None, user.pk):
            raise Forbidden(_("You can only book sessions for yourself."), code="not_yourself")
        client = user
    elif user.role == Role.COACH:
        if payload.client_id is None:
            raise ValidationError({"client_id": _("Choose the client.")})
        found = User.objects.filter(
            pk=payload.client_id,
            role=Role.CLIENT,
            coach_links__coach=user,
            coach_links__status=CoachClient.Status.ACTIVE,
        ).first()
        if found is None:
            raise NotFound(_("This client does not exist."))
        client = found
    with _refusals():
        session = services.session_book(
            actor=user,
            coach=session_type.coach,
            client=client,
            session_type=session_type,
            starts_at=payload.starts_at,
            ends_at=payload.ends_at,
        )
    return Status(201, _session_out(session))


class SeriesIn(Schema):
    session_type_id: int
    client_id: int
    starts_at: AwareDatetime = Field(description="The first session; the others follow weekly.")
    count: int = Field(ge=SERIES_MIN, le=SERIES_MAX, description="How many sessions in all.")
    interval_weeks: int = Field(1, ge=1, le=INTERVAL_MAX_WEEKS)


@router.post(
    "/scheduling/series", response={201: list[SessionOut]}, url_name="scheduling_series_book"
)
def series_book(request: HttpRequest, payload: SeriesIn) -> Status[list[SessionOut]]:
    """A coach books a weekly series for an active client: the same wall-clock time in the
    coach's zone every ``interval_weeks``, across daylight-saving changes. All or nothing:
    a week that cannot be booked refuses the whole series (409, naming the date)."""
    user = require_coach(request)
    session_type = _visible_session_type(user, payload.session_type_id)
    client = User.objects.filter(
        pk=payload.client_id,
        role=Role.CLIENT,
        coach_links__coach=user,
        coach_links__status=CoachClient.Status.ACTIVE,
    ).first()
    if client is None:
        raise NotFound(_("This client does not exist."))
    with _refusals():
        sessions = session_book_weekly_series(
            actor=user,
            client=client,
            session_type=session_type,
            first_starts_at=payload.starts_at,
            count=payload.count,
            interval_weeks=payload.interval_weeks,
        )
    return Status(201, [_session_out(session) for session in sessions])


@router.get("/scheduling/sessions/{session_id}", response=SessionOut, url_name="scheduling_session")
def session_detail(request: HttpRequest, session_id: int) -> SessionOut:
    return _session_out(selectors.get_session_for_user(request_user(request), session_id))


def _session(request: HttpRequest, session_id: int) -> tuple[User, Session]:
    user = request_user(request)
    return user, selectors.get_session_for_user(user, session_id)


@router.post(
    "/scheduling/sessions/{session_id}/approve",
    response=SessionOut,
    url_name="scheduling_session_approve",
)
def session_approve(request: HttpRequest, session_id: int) -> SessionOut:
    user, session = _session(request, session_id)
    with _refusals():
        return _session_out(services.session_approve(actor=user, session=session))


@router.post(
    "/scheduling/sessions/{session_id}/decline",
    response=SessionOut,
    url_name="scheduling_session_decline",
)
def session_decline(request: HttpRequest, session_id: int, payload: ReasonIn) -> SessionOut:
    user, session = _session(request, session_id)
    with _refusals():
        return _session_out(
            services.session_decline(actor=user, session=session, reason=payload.reason)
        )


@router.post(
    "/scheduling/sessions/{session_id}/reschedule",
    response=SessionOut,
    url_name="scheduling_session_reschedule",
)
def session_reschedule(request: HttpRequest, session_id: int, payload: RescheduleIn) -> SessionOut:
    user, session = _session(request, session_id)
    with _refusals():
        return _session_out(
            services.session_reschedule(
                actor=user, session=session, starts_at=payload.starts_at, reason=payload.reason
            )
        )


@router.post(
    "/scheduling/sessions/{session_id}/cancel",
    response=SessionOut,
    url_name="scheduling_session_cancel",
)
def session_cancel(request: HttpRequest, session_id: int, payload: ReasonIn) -> SessionOut:
    user, session = _session(request, session_id)
    with _refusals():
        return _session_out(
            services.session_cancel(actor=user, session=session, reason=payload.reason)
        )


@router.post(
    "/scheduling/sessions/{session_id}/start",
    response=SessionOut,
    url_name="scheduling_session_start",
)
def session_start(request: HttpRequest, session_id: int) -> SessionOut:
    user, session = _session(request, session_id)
    with _refusals():
        return _session_out(services.session_start(actor=user, session=session))


@router.post(
    "/scheduling/sessions/{session_id}/complete",
    response=SessionOut,
    url_name="scheduling_session_complete",
)
def session_complete(request: HttpRequest, session_id: int) -> SessionOut:
    user, session = _session(request, session_id)
    with _refusals():
        return _session_out(services.session_complete(actor=user, session=session))


@router.post(
    "/scheduling/sessions/{session_id}/no-show",
    response=SessionOut,
    url_name="scheduling_session_no_show",
)
def session_no_show(request: HttpRequest, session_id: int) -> SessionOut:
    user, session = _session(request, session_id)
    with _refusals():
        return _session_out(services.session_mark_no_show(actor=user, session=session))

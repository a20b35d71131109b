"""Writes of scheduling data: availability, session types, bookings and the lifecycle.

Every function is keyword-only and atomic. Bookings, approvals and reschedules first
lock the coach's ``CoachSchedulingSettings`` row (``SELECT … FOR UPDATE``), so the
checks of availability, buffers, caps and overlaps and the write that follows see
every committed session of that coach and no other booking for the coach can run in
between. On PostgreSQL the exclusion constraint on bare time ranges is the last line:
a violation becomes ``Conflict`` (409). Every slot rule is re-checked here, whatever
the caller shows; a start time the grid would not offer is refused.

Who may do what:

* book: a client with their own coach (active link); a coach for their own active client;
* approve / decline a request: the coach;
* reschedule / cancel: either party or an admin. A client needs the coach's cutoff
  notice to reschedule; a client cancelling inside the cutoff may, and the session is
  flagged as a late cancellation. Coach and admin actions are exempt from the cutoff;
* start / complete / mark no-show: the coach or an admin.

Admin actions run in the system context (an admin is no party to the session, so
row-level security would hide it) and, like the coach's, write an audit row.
Booking, request, approval, decline, reschedule and cancellation queue an email with a
calendar file to each party (``loom.scheduling.emails``) inside the same transaction,
so a change that rolls back sends nothing.
"""

from __future__ import annotations

import itertools
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loom.accounts.models import CoachClient, Role, User
from loom.core.audit import audit_record
from loom.core.context import system_context
from loom.core.errors import Conflict, DomainError, Forbidden, NotFound
from loom.scheduling.emails import session_notify
from loom.scheduling.models import (
    BUFFER_MAX,
    CUTOFF_MAX_HOURS,
    DURATION_MAX,
    DURATION_MIN,
    HORIZON_MAX_DAYS,
    NOTICE_MAX_MINUTES,
    REMINDER_OFFSET_MAX,
    REMINDER_OFFSET_MIN,
    REMINDER_OFFSETS_MAX,
    AvailabilityOverride,
    BookingMode,
    CoachSchedulingSettings,
    LocationKind,
    OverrideKind,
    Session,
    SessionEvent,
    SessionEventKind,
    SessionStatus,
    SessionType,
    WeeklyAvailability,
)
from loom.scheduling.reminders import on_session_change, reminders_replan_for_coach
from loom.scheduling.selectors import coach_zone, slot_inputs_for, slot_rules_for
from loom.scheduling.video import meeting_url_for_new_session

REASON_MAX = 1000
NAME_MAX = 120
DESCRIPTION_MAX = 4000
ADDRESS_MAX = 300
MEETING_URL_MAX = 500
# Seats of a group session type; 1 is one-to-one.
CAPACITY_MAX = 100
# A session may be started from this long before its start time.
START_EARLY = timedelta(minutes=15)
DEFAULT_CUTOFF_HOURS = 24


class SlotUnavailable(DomainError):
    """The requested time is not one the grid offers (outside hours, off the grid,
    too soon, too far ahead, over a cap)."""

    status = 400
    title = "Time not available"
    code = "slot_unavailable"


class InvalidTransition(Conflict):
    """The session's status does not allow this action (now)."""

    title = "Invalid transition"
    code = "invalid_transition"


# --- Input checks ------------------------------------------------------------------------


def _text(value: str, *, field: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if "\x00" in value or any(
        unicodedata.category(char) == "Cc" and char not in "\n\r\t" for char in value
    ):
        raise ValidationError(
            {field: _("Remove the control characters from this text.")}, code="invalid_characters"
        )
    if len(value) > max_length:
        raise ValidationError(
            {field: _("Use at most %(max)d characters.") % {"max": max_length}}, code="max_length"
        )
    if required and not value:
        raise ValidationError({field: _("This field is required.")}, code="required")
    return value


def _int_in(value: int | None, *, field: str, low: int, high: int, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValidationError(
            {
                field: _("Enter a whole number from %(low)d to %(high)d.")
                % {"low": low, "high": high}
            },
            code="out_of_range",
        )
    return value


def _aware(value: datetime, *, field: str = "starts_at") -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise DomainError(
            _("The time must include its time zone."), code=f"{field}_without_timezone"
        )
    return value


# --- Scheduling settings, availability, session types ---------------------------------------


def _require_coach(user: User) -> None:
    if not user.is_authenticated or user.role != Role.COACH:
        raise Forbidden(_("Only coaches can do this."))


def _lock_coach(coach: User) -> CoachSchedulingSettings:
    """Lock (creating if needed) the coach's scheduling row for this transaction.

    In the system context: a client booking must wait on the coach's lock, and
    ``FOR UPDATE`` needs an UPDATE policy that clients rightly do not have.
    """
    with system_context():
        row = CoachSchedulingSettings.objects.select_for_update().filter(coach=coach).first()
        if row is None:
            try:
                with transaction.atomic():
                    CoachSchedulingSettings.objects.create(coach=coach)
            except IntegrityError:
                pass  # created by a concurrent transaction; lock theirs below
            row = CoachSchedulingSettings.objects.select_for_update().get(coach=coach)
    return row


def _reminder_offsets(offsets: Iterable[int]) -> list[int]:
    """1–3 distinct whole minutes in range, sorted largest first; empty means none."""
    values = list(offsets)
    if len(values) > REMINDER_OFFSETS_MAX:
        raise ValidationError(
            {
                "reminder_offsets_minutes": _("Choose at most %(max)d reminders.")
                % {"max": REMINDER_OFFSETS_MAX}
            },
            code="too_many_reminders",
        )
    for value in values:
        _int_in(
            value,
            field="reminder_offsets_minutes",
            low=REMINDER_OFFSET_MIN,
            high=REMINDER_OFFSET_MAX,
        )
    if len(set(values)) != len(values):
        raise ValidationError(
            {"reminder_offsets_minutes": _("Each reminder must be at a different time.")},
            code="duplicate_reminders",
        )
    return sorted(values, reverse=True)


def _meeting_url(value: str) -> str:
    """Empty, or an ``https://`` URL with a host, of at most MEETING_URL_MAX characters."""
    value = (value or "").strip()
    if not value:
        return ""
    message = _("Enter a meeting link that starts with https://, or leave it empty.")
    if len(value) > MEETING_URL_MAX:
        raise ValidationError(
            {"own_meeting_url": _("Use at most %(max)d characters.") % {"max": MEETING_URL_MAX}},
            code="max_length",
        )
    if not value.lower().startswith("https://"):
        raise ValidationError({"own_meeting_url": message}, code="not_https")
    try:
        URLValidator(schemes=["https"])(value)
    except ValidationError:
        raise ValidationError({"own_meeting_url": message}, code="invalid_url") from None
    return value


_UNCHANGED: Any = object()


@transaction.atomic
def scheduling_settings_update(
    *,
    coach: User,
    cancellation_cutoff_hours: int = _UNCHANGED,
    reminder_offsets_minutes: Iterable[int] = _UNCHANGED,
    own_meeting_url: str = _UNCHANGED,
) -> CoachSchedulingSettings:
    """Change the coach's cancellation cutoff, reminder offsets and own meeting link.

    Only the arguments given change. Reminder offsets: a list of up to three distinct
    minutes, each REMINDER_OFFSET_MIN..REMINDER_OFFSET_MAX, stored largest first; an
    empty list turns reminders off. The meeting link is empty (a Jitsi room per
    session) or an ``https://`` URL. Every value is checked before anything is written.
    """
    _require_coach(coach)
    changes: dict[str, Any] = {}
    if cancellation_cutoff_hours is not _UNCHANGED:
        changes["cancellation_cutoff_hours"] = _int_in(
            cancellation_cutoff_hours,
            field="cancellation_cutoff_hours",
            low=0,
            high=CUTOFF_MAX_HOURS,
        )
    if reminder_offsets_minutes is not _UNCHANGED:
        if isinstance(reminder_offsets_minutes, (str, bytes)):
            raise ValidationError(
                {"reminder_offsets_minutes": _("Choose when reminders go out.")}, code="invalid"
            )
        changes["reminder_offsets_minutes"] = _reminder_offsets(reminder_offsets_minutes)
    if own_meeting_url is not _UNCHANGED:
        if not isinstance(own_meeting_url, str):
            raise ValidationError({"own_meeting_url": _("Enter a meeting link.")}, code="invalid")
        changes["own_meeting_url"] = _meeting_url(own_meeting_url)
    row = _lock_coach(coach)
    for name, value in changes.items():
        setattr(row, name, value)
    if changes:
        row.save(update_fields=[*changes, "updated_at"])
        audit_record(
            action="scheduling.settings_updated", actor=coach, details={"fields": sorted(changes)}
        )
    if "reminder_offsets_minutes" in changes:
        # Upcoming sessions take the new reminder times at once, not only new bookings.
        reminders_replan_for_coach(coach)
    return row


def _cutoff(coach: User) -> timedelta:
    # The system reads the policy: an archived client, who no longer reads the
    # coach's settings, still cancels under the coach's cutoff, not the default.
    with system_context():
        hours = (
            CoachSchedulingSettings.objects.filter(coach=coach)
            .values_list("cancellation_cutoff_hours", flat=True)
            .first()
        )
    return timedelta(hours=DEFAULT_CUTOFF_HOURS if hours is None else hours)


def _check_ranges(ranges: list[tuple[time, time]], *, field: str) -> None:
    """End after start, and no two ranges overlapping (touching is fine)."""
    ordered = sorted(ranges)
    for start, end in ordered:
        if end <= start:
            raise ValidationError(
                {field: _("Each range must end after it starts.")}, code="end_before_start"
            )
    for (_start, end), (next_start, _end) in itertools.pairwise(ordered):
        if next_start < end:
            raise ValidationError(
                {field: _("Two ranges on the same day overlap.")}, code="overlapping_ranges"
            )


@transaction.atomic
def weekly_availability_set(
    *, coach: User, ranges: Iterable[tuple[int, time, time]]
) -> list[WeeklyAvailability]:
    """Replace the coach's weekly hours with ``ranges`` of (weekday, start, end)."""
    _require_coach(coach)
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, start, end in ranges:
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValidationError({"weekday": _("Choose a day of the week.")}, code="invalid")
        if not isinstance(start, time) or not isinstance(end, time):
            raise ValidationError({"ranges": _("Enter a start and an end time.")}, code="invalid")
        by_day.setdefault(weekday, []).append(
            (start.replace(tzinfo=None), end.replace(tzinfo=None))
        )
    for day_ranges in by_day.values():
        _check_ranges(day_ranges, field="ranges")
    _lock_coach(coach)
    WeeklyAvailability.objects.filter(coach=coach).delete()
    rows = WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(coach=coach, weekday=weekday, start_time=start, end_time=end)
        for weekday, day_ranges in sorted(by_day.items())
        for start, end in sorted(day_ranges)
    )
    audit_record(action="scheduling.availability_set", actor=coach, details={"ranges": len(rows)})
    return rows


@transaction.atomic
def availability_override_add(
    *,
    coach: User,
    day: date,
    kind: str,
    start_time: time | None = None,
    end_time: time | None = None,
) -> AvailabilityOverride:
    """Add extra hours, a day off, or time off for part of ``day`` (coach's zone)."""
    _require_coach(coach)
    if kind not in OverrideKind.values:
        raise ValidationError({"kind": _("Choose a kind of change.")}, code="invalid")
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValidationError({"date": _("Enter a date.")}, code="invalid")
    if kind == OverrideKind.UNAVAILABLE_DAY:
        start_time = end_time = None
    else:
        if start_time is None or end_time is None:
            raise ValidationError({"ranges": _("Enter a start and an end time.")}, code="required")
        _check_ranges([(start_time, end_time)], field="ranges")
        same_kind = AvailabilityOverride.objects.filter(coach=coach, date=day, kind=kind)
        _check_ranges(
            [
                (start_time, end_time),
                *(
                    (start, end)
                    for start, end in same_kind.values_list("start_time", "end_time")
                    if start is not None and end is not None
                ),
            ],
            field="ranges",
        )
    _lock_coach(coach)
    override = AvailabilityOverride.objects.create(
        coach=coach, date=day, kind=kind, start_time=start_time, end_time=end_time
    )
    audit_record(
        action="scheduling.override_added",
        actor=coach,
        target=override,
        details={"date": day.isoformat(), "kind": kind},
    )
    return override


@transaction.atomic
def availability_override_remove(*, coach: User, override_id: Any) -> None:
    _require_coach(coach)
    deleted, _rows = AvailabilityOverride.objects.filter(coach=coach, pk=override_id).delete()
    if not deleted:
        raise NotFound(_("This change to your availability no longer exists."))


@dataclass(frozen=True)
class SessionTypeInput:
    name_en: str
    duration_minutes: int
    name_he: str = ""
    description_en: str = ""
    description_he: str = ""
    price: Decimal = Decimal("0")
    currency: str = "USD"
    location_kind: str = LocationKind.VIDEO
    address: str = ""
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    minimum_notice_minutes: int = 240
    booking_horizon_days: int = 60
    max_sessions_per_day: int | None = None
    max_sessions_per_week: int | None = None
    booking_mode: str = BookingMode.SELF_BOOK
    colour: str = "#2563eb"
    # 1 is a one-to-one session; more makes a group session with that many seats.
    capacity: int = 1


def _session_type_fields(data: SessionTypeInput) -> dict[str, Any]:
    location = data.location_kind
    if location not in LocationKind.values:
        raise ValidationError({"location_kind": _("Choose a location.")}, code="invalid")
    address = _text(data.address, field="address", max_length=ADDRESS_MAX)
    if location == LocationKind.IN_PERSON and not address:
        raise ValidationError(
            {"address": _("Enter the address for an in-person session.")}, code="required"
        )
    if data.booking_mode not in BookingMode.values:
        raise ValidationError({"booking_mode": _("Choose a booking mode.")}, code="invalid")
    currency = (data.currency or "").strip().upper()
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        raise ValidationError(
            {"currency": _("Enter a three-letter currency code, for example USD.")},
            code="invalid",
        )
    try:
        price = Decimal(data.price)
    except (ArithmeticError, TypeError, ValueError):
        price = Decimal("-1")
    if (
        not price.is_finite()
        or price < 0
        or price >= Decimal("100000000")
        or price != price.quantize(Decimal("0.01"))
    ):
        raise ValidationError({"price": _("Enter a price of zero or more.")}, code="invalid")
    colour = (data.colour or "").strip()
    if (
        len(colour) != 7
        or colour[0] != "#"
        or any(c not in "0123456789abcdefABCDEF" for c in colour[1:])
    ):
        raise ValidationError({"colour": _("Choose a colour.")}, code="invalid")
    return {
        "name_en": _text(data.name_en, field="name_en", max_length=NAME_MAX, required=True),
        "name_he": _text(data.name_he, field="name_he", max_length=NAME_MAX),
        "description_en": _text(
            data.description_en, field="description_en", max_length=DESCRIPTION_MAX
        ),
        "description_he": _text(
            data.description_he, field="description_he", max_length=DESCRIPTION_MAX
        ),
        "duration_minutes": _int_in(
            data.duration_minutes, field="duration_minutes", low=DURATION_MIN, high=DURATION_MAX
        ),
        "price": price,
        "currency": currency,
        "location_kind": location,
        "address": address if location == LocationKind.IN_PERSON else "",
        "buffer_before_minutes": _int_in(
            data.buffer_before_minutes, field="buffer_before_minutes", low=0, high=BUFFER_MAX
        ),
        "buffer_after_minutes": _int_in(
            data.buffer_after_minutes, field="buffer_after_minutes", low=0, high=BUFFER_MAX
        ),
        "minimum_notice_minutes": _int_in(
            data.minimum_notice_minutes,
            field="minimum_notice_minutes",
            low=0,
            high=NOTICE_MAX_MINUTES,
        ),
        "booking_horizon_days": _int_in(
            data.booking_horizon_days, field="booking_horizon_days", low=1, high=HORIZON_MAX_DAYS
        ),
        "max_sessions_per_day": _int_in(
            data.max_sessions_per_day, field="max_sessions_per_day", low=1, high=48, optional=True
        ),
        "max_sessions_per_week": _int_in(
            data.max_sessions_per_week,
            field="max_sessions_per_week",
            low=1,
            high=300,
            optional=True,
        ),
        "booking_mode": data.booking_mode,
        "colour": colour.lower(),
        "capacity": _int_in(data.capacity, field="capacity", low=1, high=CAPACITY_MAX),
    }


@transaction.atomic
def session_type_create(*, coach: User, data: SessionTypeInput) -> SessionType:
    _require_coach(coach)
    session_type = SessionType.objects.create(coach=coach, **_session_type_fields(data))
    audit_record(action="scheduling.session_type_created", actor=coach, target=session_type)
    return session_type


@transaction.atomic
def session_type_update(
    *, coach: User, session_type_id: Any, data: SessionTypeInput
) -> SessionType:
    """Change a type. Sessions already booked keep their times and buffers."""
    _require_coach(coach)
    fields = _session_type_fields(data)
    session_type = (
        SessionType.objects.select_for_update().filter(coach=coach, pk=session_type_id).first()
    )
    if session_type is None:
        raise NotFound(_("This session type does not exist."))
    for name, value in fields.items():
        setattr(session_type, name, value)
    session_type.save()
    audit_record(action="scheduling.session_type_updated", actor=coach, target=session_type)
    return session_type


@transaction.atomic
def session_type_set_active(*, coach: User, session_type_id: Any, active: bool) -> SessionType:
    _require_coach(coach)
    session_type = SessionType.objects.filter(coach=coach, pk=session_type_id).first()
    if session_type is None:
        raise NotFound(_("This session type does not exist."))
    session_type.is_active = active
    session_type.save(update_fields=["is_active", "updated_at"])
    return session_type


# --- Checks shared by booking and rescheduling ---------------------------------------------


def _is_admin(user: User) -> bool:
    return bool(user.is_authenticated and user.role == Role.ADMIN and user.is_active)


@contextmanager
def _acting(actor: User) -> Iterator[None]:
    """Admins act in the system context (see the module docstring); others as themselves."""
    with system_context() if _is_admin(actor) else nullcontext():
        yield


def _active_link(coach: User, client: User) -> bool:
    return CoachClient.objects.filter(
        coach=coach, client=client, status=CoachClient.Status.ACTIVE
    ).exists()


def _check_slot(
    *,
    session_type: SessionType,
    starts_at: datetime,
    now: datetime,
    exclude_session_id: int | None = None,
) -> None:
    """Refuse ``starts_at`` unless the slot engine offers it right now.

    Runs while the coach's lock is held. The first two failures are told apart from
    "taken" (a ``Conflict``) so the person knows whether another time could work.
    """
    coach_zone(session_type.coach)
    if starts_at < now:
        raise SlotUnavailable(_("This time is in the past. Choose a later time."), code="in_past")
    if starts_at < now + timedelta(minutes=session_type.minimum_notice_minutes):
        raise SlotUnavailable(
            _("This time is too soon: the coach needs more notice. Choose a later time."),
            code="too_soon",
        )
    if starts_at > now + timedelta(days=session_type.booking_horizon_days):
        raise SlotUnavailable(
            _("This time is too far ahead. Choose an earlier time."), code="beyond_horizon"
        )
    end = starts_at + timedelta(minutes=1)
    inputs = slot_inputs_for(
        session_type.coach, start=starts_at, end=end, exclude_session_id=exclude_session_id
    )

    def offers(*, include_busy: bool, caps: bool) -> bool:
        found = inputs.slots(
            slot_rules_for(session_type, caps=caps),
            start=starts_at,
            end=end,
            now=now,
            include_busy=include_busy,
        )
        return bool(found) and found[0].starts_at == starts_at

    if not offers(include_busy=False, caps=False):
        raise SlotUnavailable(
            _("This time is not offered. Choose one of the available times."),
            code="not_offered",
        )
    if not offers(include_busy=True, caps=False):
        raise Conflict(_("This time was just taken. Choose another time."), code="slot_taken")
    if not offers(include_busy=True, caps=True):
        raise SlotUnavailable(
            _("The coach's sessions are fully booked on that day or week. Choose another day."),
            code="cap_reached",
        )


def _record(
    session: Session,
    *,
    actor: User,
    kind: str,
    now: datetime,
    reason: str = "",
    old: tuple[datetime, datetime] | None = None,
) -> SessionEvent:
    return SessionEvent.objects.create(
        session=session,
        actor=actor,
        occurred_at=now,
        kind=kind,
        old_starts_at=old[0] if old else None,
        old_ends_at=old[1] if old else None,
        new_starts_at=session.starts_at,
        new_ends_at=session.ends_at,
        reason=reason,
    )


def _audit(actor: User, action: str, session: Session, **details: Any) -> None:
    """Coach and admin actions on sessions are audited; a client's own are history only."""
    if actor.role in (Role.COACH, Role.ADMIN):
        audit_record(
            action=f"session.{action}",
            actor=actor,
            target=session,
            details={"coach_id": session.coach_id, "client_id": session.client_id, **details},
        )


def _save_times(session: Session, fields: list[str]) -> None:
    """Save, turning the exclusion constraint's refusal into a clear conflict."""
    try:
        with transaction.atomic():
            session.save(update_fields=[*fields, "updated_at"])
    except IntegrityError:
        raise Conflict(
            _("This time was just taken. Choose another time."), code="slot_taken"
        ) from None


def _after_change(*, session: Session, event: SessionEvent, notify: bool = True) -> None:
    """Everything a change of a session sets off, inside the change's transaction.

    ``notify=False`` leaves the parties' emails to the caller (a weekly series sends one
    email for all its sessions).
    """
    if notify:
        session_notify(session=session, event=event)
    # Reminders are (re)planned or cancelled; a completed session gets its follow-up.
    on_session_change(session=session, event=event)


# --- Booking -------------------------------------------------------------------------------


@transaction.atomic
def session_book(
    *,
    actor: User,
    coach: User,
    client: User,
    session_type: SessionType,
    starts_at: datetime,
    ends_at: datetime | None = None,
    series: uuid.UUID | None = None,
    notify: bool = True,
) -> Session:
    """Book ``session_type`` with ``coach`` for ``client`` at ``starts_at``.

    ``ends_at``, when a caller sends it, must be ``starts_at`` plus the type's
    duration. A client's booking of a request-mode type is ``requested`` until the
    coach approves it; every other booking is ``scheduled``.
    """
    starts_at = _aware(starts_at)
    duration = timedelta(minutes=session_type.duration_minutes)
    if ends_at is not None:
        ends_at = _aware(ends_at, field="ends_at")
        if ends_at <= starts_at:
            raise DomainError(_("The session must end after it starts."), code="ends_before_start")
        if ends_at - starts_at != duration:
            raise DomainError(
                _("The end time does not match the session's length."), code="wrong_duration"
            )
    if not actor.is_authenticated:
        raise Forbidden(_("Sign in to book a session."))
    if coach.role != Role.COACH or client.role != Role.CLIENT:
        raise DomainError(_("A session is between a coach and a client."), code="wrong_roles")
    if actor.role == Role.CLIENT:
        if actor.pk != client.pk:
            raise Forbidden(_("You can only book sessions for yourself."), code="not_yourself")
        if not _active_link(coach, client):
            raise Forbidden(_("You can only book with your own coach."), code="not_your_coach")
    elif actor.role == Role.COACH:
        if actor.pk != coach.pk:
            raise Forbidden(_("You can only book your own sessions."), code="not_your_calendar")
        if not _active_link(coach, client):
            raise Forbidden(
                _("This person is not one of your active clients."), code="not_your_client"
            )
    else:
        raise Forbidden(_("Only a coach or their client can book a session."))
    if session_type.coach_id != coach.pk or not session_type.is_active:
        raise NotFound(_("This session type is not available."), code="session_type_unavailable")
    if session_type.capacity > 1:
        # A group type is held as a group session with seats, never booked one-to-one.
        raise NotFound(_("This session type is not available."), code="session_type_unavailable")

    tz_name = coach_zone(coach).key
    coach_settings = _lock_coach(coach)
    now = timezone.now()
    _check_slot(session_type=session_type, starts_at=starts_at, now=now)
    requested = actor.role == Role.CLIENT and session_type.booking_mode == BookingMode.REQUEST
    session = Session(
        coach=coach,
        client=client,
        session_type=session_type,
        starts_at=starts_at,
        ends_at=starts_at + duration,
        coach_timezone=tz_name,
        buffer_before_minutes=session_type.buffer_before_minutes,
        buffer_after_minutes=session_type.buffer_after_minutes,
        status=SessionStatus.REQUESTED if requested else SessionStatus.SCHEDULED,
        series=series,
        # Video sessions: the coach's own link or a new Jitsi room, kept for life.
        meeting_url=meeting_url_for_new_session(
            coach=coach, session_type=session_type, own_url=coach_settings.own_meeting_url
        ),
    )
    try:
        with transaction.atomic():
            session.save(force_insert=True)
    except IntegrityError:
        raise Conflict(
            _("This time was just taken. Choose another time."), code="slot_taken"
        ) from None
    event = _record(
        session,
        actor=actor,
        kind=SessionEventKind.REQUESTED if requested else SessionEventKind.BOOKED,
        now=now,
    )
    _audit(actor, "booked", session, starts_at=starts_at.isoformat())
    _after_change(session=session, event=event, notify=notify)
    return session


def _locked_session(actor: User, session: Session) -> Session:
    """The session re-read under a row lock, as someone allowed to act on it."""
    is_party = actor.pk in (session.coach_id, session.client_id)
    if not (is_party or _is_admin(actor)):
        raise NotFound(_("This session does not exist."))
    locked = (
        Session.objects.select_for_update(of=("self",))
        .select_related("session_type", "coach", "client")
        .filter(pk=session.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("This session does not exist."))
    return locked


def _require_coach_or_admin(actor: User, session: Session) -> None:
    if not (actor.pk == session.coach_id or _is_admin(actor)):
        raise Forbidden(_("Only the coach can do this."), code="coach_only")


@transaction.atomic
def session_approve(*, actor: User, session: Session) -> Session:
    """Confirm a requested session; its time must still be in the future."""
    with _acting(actor):
        if actor.pk != session.coach_id:
            raise Forbidden(_("Only the coach can approve a request."), code="coach_only")
        _lock_coach(session.coach)
        session = _locked_session(actor, session)
        if session.status != SessionStatus.REQUESTED:
            raise InvalidTransition(_("Only a requested session can be approved."))
        if session.client is not None and not _active_link(session.coach, session.client):
            raise Forbidden(
                _("This person is not one of your active clients."), code="not_your_client"
            )
        now = timezone.now()
        if session.starts_at <= now:
            raise InvalidTransition(
                _("This request's time has passed. Ask the client to choose another time."),
                code="request_expired",
            )
        session.status = SessionStatus.SCHEDULED
        session.sequence += 1
        _save_times(session, ["status", "sequence"])
        event = _record(session, actor=actor, kind=SessionEventKind.APPROVED, now=now)
        _audit(actor, "approved", session)
        _after_change(session=session, event=event)
        return session


@transaction.atomic
def session_decline(*, actor: User, session: Session, reason: str) -> Session:
    """Turn down a request, with a reason the client will see."""
    reason = _text(reason, field="reason", max_length=REASON_MAX, required=True)
    with _acting(actor):
        if actor.pk != session.coach_id:
            raise Forbidden(_("Only the coach can decline a request."), code="coach_only")
        session = _locked_session(actor, session)
        if session.status != SessionStatus.REQUESTED:
            raise InvalidTransition(_("Only a requested session can be declined."))
        now = timezone.now()
        session.status = SessionStatus.DECLINED
        session.cancellation_reason = reason
        session.sequence += 1
        session.save(update_fields=["status", "cancellation_reason", "sequence", "updated_at"])
        event = _record(
            session, actor=actor, kind=SessionEventKind.DECLINED, now=now, reason=reason
        )
        _audit(actor, "declined", session)
        _after_change(session=session, event=event)
        return session


@transaction.atomic
def session_reschedule(
    *, actor: User, session: Session, starts_at: datetime, reason: str = ""
) -> Session:
    """Move a requested or scheduled session; it stays one session with its history.

    Every slot rule applies to the new time (the session's own time does not count
    against it). A client needs at least the coach's cancellation cutoff of notice
    before the current start; the coach and admins are exempt.
    """
    starts_at = _aware(starts_at)
    reason = _text(reason, field="reason", max_length=REASON_MAX)
    with _acting(actor):
        _lock_coach(session.coach)
        session = _locked_session(actor, session)
        if session.status not in (SessionStatus.REQUESTED, SessionStatus.SCHEDULED):
            raise InvalidTransition(_("Only an upcoming session can be rescheduled."))
        # A former client may still cancel, but not take a new time in the calendar.
        if actor.pk == session.client_id and not _active_link(session.coach, actor):
            raise Forbidden(_("You can only book with your own coach."), code="not_your_coach")
        now = timezone.now()
        if session.starts_at <= now:
            raise InvalidTransition(
                _("This session has already started and cannot be moved."), code="already_started"
            )
        if actor.pk == session.client_id and session.starts_at - now < _cutoff(session.coach):
            raise DomainError(
                _(
                    "It is too close to the session to reschedule it. You can still cancel it, or ask your coach."
                ),
                code="reschedule_cutoff",
            )
        if starts_at == session.starts_at:
            raise DomainError(_("Choose a different time."), code="same_time")
        _check_slot(
            session_type=session.session_type,
            starts_at=starts_at,
            now=now,
            exclude_session_id=session.pk,
        )
        old = (session.starts_at, session.ends_at)
        session.starts_at = starts_at
        session.ends_at = starts_at + timedelta(minutes=session.session_type.duration_minutes)
        session.buffer_before_minutes = session.session_type.buffer_before_minutes
        session.buffer_after_minutes = session.session_type.buffer_after_minutes
        session.coach_timezone = coach_zone(session.coach).key
        session.sequence += 1
        _save_times(
            session,
            [
                "starts_at",
                "ends_at",
                "buffer_before_minutes",
                "buffer_after_minutes",
                "coach_timezone",
                "sequence",
            ],
        )
        event = _record(
            session, actor=actor, kind=SessionEventKind.RESCHEDULED, now=now, reason=reason, old=old
        )
        _audit(
            actor,
            "rescheduled",
            session,
            old_starts_at=old[0].isoformat(),
            new_starts_at=starts_at.isoformat(),
        )
        _after_change(session=session, event=event)
        return session


@transaction.atomic
def session_cancel(*, actor: User, session: Session, reason: str = "") -> Session:
    """Cancel a requested or scheduled session. A client inside the coach's cutoff
    may still cancel; the session is then flagged as a late cancellation."""
    reason = _text(reason, field="reason", max_length=REASON_MAX)
    with _acting(actor):
        session = _locked_session(actor, session)
        if session.status not in (SessionStatus.REQUESTED, SessionStatus.SCHEDULED):
            raise InvalidTransition(_("Only an upcoming session can be cancelled."))
        now = timezone.now()
        late = (
            actor.pk == session.client_id
            and session.status == SessionStatus.SCHEDULED
            and session.starts_at - now < _cutoff(session.coach)
        )
        session.status = SessionStatus.CANCELLED
        session.cancelled_by = actor
        session.cancelled_at = now
        session.cancellation_reason = reason
        session.late_cancellation = late
        session.sequence += 1
        session.save(
            update_fields=[
                "status",
                "cancelled_by",
                "cancelled_at",
                "cancellation_reason",
                "late_cancellation",
                "sequence",
                "updated_at",
            ]
        )
        event = _record(
            session, actor=actor, kind=SessionEventKind.CANCELLED, now=now, reason=reason
        )
        _audit(actor, "cancelled", session, late=late)
        _after_change(session=session, event=event)
        return session


# --- Lifecycle ------------------------------------------------------------------------------


def _transition(
    *,
    actor: User,
    session: Session,
    allowed_from: tuple[str, ...],
    to: str,
    kind: str,
    not_before: timedelta,
    too_early: str,
) -> Session:
    with _acting(actor):
        _require_coach_or_admin(actor, session)
        session = _locked_session(actor, session)
        if session.status not in allowed_from:
            raise InvalidTransition(
                _("This is not possible for a session with the status “%(status)s”.")
                % {"status": SessionStatus(session.status).label}
            )
        now = timezone.now()
        if now < session.starts_at - not_before:
            raise InvalidTransition(too_early, code="too_early")
        session.status = to
        session.save(update_fields=["status", "updated_at"])
        event = _record(session, actor=actor, kind=kind, now=now)
        _audit(actor, kind, session)
        _after_change(session=session, event=event)
        return session


@transaction.atomic
def session_start(*, actor: User, session: Session) -> Session:
    """Scheduled → in progress, from 15 minutes before the start time."""
    if timezone.now() >= session.ends_at and session.status == SessionStatus.SCHEDULED:
        raise InvalidTransition(
            _("This session's time is over. Mark it as completed or as a no-show."),
            code="already_over",
        )
    return _transition(
        actor=actor,
        session=session,
        allowed_from=(SessionStatus.SCHEDULED,),
        to=SessionStatus.IN_PROGRESS,
        kind=SessionEventKind.STARTED,
        not_before=START_EARLY,
        too_early=_("A session can be started from 15 minutes before its start time."),
    )


@transaction.atomic
def session_complete(*, actor: User, session: Session) -> Session:
    """Scheduled or in progress → completed, once the start time has come."""
    return _transition(
        actor=actor,
        session=session,
        allowed_from=(SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS),
        to=SessionStatus.COMPLETED,
        kind=SessionEventKind.COMPLETED,
        not_before=timedelta(0),
        too_early=_("A session can be completed once its start time has come."),
    )


@transaction.atomic
def session_mark_no_show(*, actor: User, session: Session) -> Session:
    """Scheduled or in progress → no-show, once the start time has come."""
    return _transition(
        actor=actor,
        session=session,
        allowed_from=(SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS),
        to=SessionStatus.NO_SHOW,
        kind=SessionEventKind.NO_SHOW,
        not_before=timedelta(0),
        too_early=_("A session can be marked as a no-show once its start time has come."),
    )

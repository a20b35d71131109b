"""Scheduling endpoints of the JSON API: group sessions, seats and the waitlist.

The same services as the pages (``group_services``). A client sees the group sessions
of their active coaches with numbers only (seats taken, places left) and their own
seat and waitlist entry; the coach of a session also sees its attendees and waitlist
by name. Refusals are problem documents: 404 for an id that is not the caller's,
403 for another role's endpoint, 409 ``session_full`` when no place is left (join the
waitlist), 409 for a state conflict, 422 for bad input.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import AwareDatetime

from loom.accounts.models import Role, User
from loom.accounts.permissions import request_user, require_coach
from loom.core.errors import Forbidden, NotFound
from loom.scheduling import group_services
from loom.scheduling.api import PartyOut, _party, _refusals
from loom.scheduling.group_selectors import (
    GroupRow,
    client_group_sessions,
    coach_group_sessions,
    get_group_session_for_user,
    get_seat_for_client,
    group_panel_for,
)
from loom.scheduling.models import SessionSeat, SessionType, WaitlistEntry
from loom.scheduling.services import REASON_MAX

router = Router(tags=["scheduling"])


class GroupTypeOut(Schema):
    id: int
    name: str
    duration_minutes: int


class SeatOut(Schema):
    id: int
    session_id: int
    status: str
    late_cancellation: bool
    cancelled_at: datetime | None


class WaitlistOut(Schema):
    session_id: int
    status: str
    offer_expires_at: datetime | None


class AttendeeOut(Schema):
    """Coach only: one seat of the session, by name."""

    client: PartyOut
    status: str
    late_cancellation: bool


class WaitingOut(Schema):
    """Coach only: one open waitlist entry, by name, in order."""

    client: PartyOut
    status: str
    offer_expires_at: datetime | None


class GroupSessionOut(Schema):
    id: int
    coach: PartyOut
    session_type: GroupTypeOut
    starts_at: datetime
    ends_at: datetime
    coach_timezone: str
    status: str
    capacity: int
    seats_taken: int
    places_left: int
    waiting: int
    my_seat: SeatOut | None = Field(None, description="Clients: their own taken seat.")
    my_waitlist: WaitlistOut | None = Field(
        None, description="Clients: their own open waitlist entry (waiting or offered)."
    )
    attendees: list[AttendeeOut] | None = Field(
        None, description="The coach only, on a single session: every seat by name."
    )
    waitlist: list[WaitingOut] | None = Field(
        None, description="The coach only, on a single session: the open waitlist by name."
    )


class GroupCreateIn(Schema):
    session_type_id: int
    starts_at: AwareDatetime


class ReleaseIn(Schema):
    reason: str = Field("", max_length=REASON_MAX)


def _seat_out(seat: SessionSeat) -> SeatOut:
    return SeatOut(
        id=seat.pk,
        session_id=seat.session_id,
        status=seat.status,
        late_cancellation=seat.late_cancellation,
        cancelled_at=seat.cancelled_at,
    )


def _entry_out(entry: WaitlistEntry) -> WaitlistOut:
    return WaitlistOut(
        session_id=entry.session_id, status=entry.status, offer_expires_at=entry.offer_expires_at
    )


def _row_out(row: GroupRow) -> GroupSessionOut:
    session = row.session
    return GroupSessionOut(
        id=session.pk,
        coach=_party(session.coach),
        session_type=GroupTypeOut(
            id=session.session_type_id,
            name=session.session_type.name,
            duration_minutes=session.session_type.duration_minutes,
        ),
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        coach_timezone=session.coach_timezone,
        status=session.status,
        capacity=session.capacity,
        seats_taken=row.counts.taken,
        places_left=row.counts.places_left,
        waiting=row.counts.waiting,
        my_seat=_seat_out(row.my_seat) if row.my_seat else None,
        my_waitlist=_entry_out(row.my_entry) if row.my_entry else None,
        attendees=None,
        waitlist=None,
    )


@router.get("/scheduling/groups", response=list[GroupSessionOut], url_name="scheduling_groups")
def group_list(request: HttpRequest) -> list[GroupSessionOut]:
    """Upcoming group sessions: a coach's own; a client's active coaches' (numbers only).
    A constant number of queries."""
    user = request_user(request)
    if user.role == Role.COACH:
        rows = coach_group_sessions(user)
    elif user.role == Role.CLIENT:
        rows = client_group_sessions(user)
    else:
        raise Forbidden(_("Only coaches and clients have group sessions."))
    return [_row_out(row) for row in rows]


@router.post(
    "/scheduling/groups", response={201: GroupSessionOut}, url_name="scheduling_group_create"
)
def group_create(request: HttpRequest, payload: GroupCreateIn) -> Status[GroupSessionOut]:
    """Create a group session (coach) of a type with more than one seat, at an offered time."""
    coach = require_coach(request)
    session_type = SessionType.objects.filter(
        pk=payload.session_type_id, coach=coach, is_active=True
    ).first()
    if session_type is None:
        raise NotFound(_("This session type does not exist."))
    with _refusals():
        session = group_services.group_session_create(
            actor=coach, session_type=session_type, starts_at=payload.starts_at
        )
    return Status(201, _detail(coach, session.pk))


def _detail(user: User, session_id: int) -> GroupSessionOut:
    session = get_group_session_for_user(user, session_id)
    panel = group_panel_for(user, session, now=timezone.now())
    if panel is None:
        raise NotFound(_("This group session does not exist."))
    out = _row_out(
        GroupRow(
            session=session, counts=panel.counts, my_seat=panel.my_seat, my_entry=panel.my_entry
        )
    )
    if panel.viewer_is_coach:
        out.attendees = [
            AttendeeOut(
                client=_party(seat.client),
                status=seat.status,
                late_cancellation=seat.late_cancellation,
            )
            for seat in panel.seats
        ]
        out.waitlist = [
            WaitingOut(
                client=_party(entry.client),
                status=entry.status,
                offer_expires_at=entry.offer_expires_at,
            )
            for entry in panel.waitlist
        ]
    return out


@router.get(
    "/scheduling/groups/{session_id}", response=GroupSessionOut, url_name="scheduling_group"
)
def group_detail(request: HttpRequest, session_id: int) -> GroupSessionOut:
    """One group session; its coach also gets the attendees and the waitlist by name."""
    return _detail(request_user(request), session_id)


@router.post(
    "/scheduling/groups/{session_id}/seat",
    response={201: SeatOut},
    url_name="scheduling_group_seat_take",
)
def seat_take(request: HttpRequest, session_id: int) -> Status[SeatOut]:
    """Take a seat (client). 409 ``session_full`` when no place is left."""
    user = request_user(request)
    session = get_group_session_for_user(user, session_id)
    with _refusals():
        seat = group_services.seat_take(actor=user, session=session)
    return Status(201, _seat_out(seat))


@router.post(
    "/scheduling/groups/seats/{seat_id}/release",
    response=SeatOut,
    url_name="scheduling_group_seat_release",
)
def seat_release(request: HttpRequest, seat_id: int, payload: ReleaseIn) -> SeatOut:
    """Give up one's own seat; inside the coach's cutoff it is a late cancellation."""
    user = request_user(request)
    seat = get_seat_for_client(user, seat_id)
    with _refusals():
        released = group_services.seat_release(actor=user, seat=seat, reason=payload.reason)
    return _seat_out(released)


@router.post(
    "/scheduling/groups/{session_id}/waitlist",
    response={201: WaitlistOut},
    url_name="scheduling_group_waitlist_join",
)
def waitlist_join(request: HttpRequest, session_id: int) -> Status[WaitlistOut]:
    """Join the waitlist of a full group session (client)."""
    user = request_user(request)
    session = get_group_session_for_user(user, session_id)
    with _refusals():
        entry = group_services.waitlist_join(actor=user, session=session)
    return Status(201, _entry_out(entry))


@router.delete(
    "/scheduling/groups/{session_id}/waitlist",
    response=WaitlistOut,
    url_name="scheduling_group_waitlist_leave",
)
def waitlist_leave(request: HttpRequest, session_id: int) -> WaitlistOut:
    """Leave the waitlist, or decline a seat offered (client)."""
    user = request_user(request)
    session = get_group_session_for_user(user, session_id)
    with _refusals():
        entry = group_services.waitlist_leave(actor=user, session=session)
    return _entry_out(entry)


@router.post(
    "/scheduling/groups/{session_id}/waitlist/accept",
    response={201: SeatOut},
    url_name="scheduling_group_waitlist_accept",
)
def waitlist_accept(request: HttpRequest, session_id: int) -> Status[SeatOut]:
    """Take the seat offered from the waitlist while the offer lasts (client)."""
    user = request_user(request)
    session = get_group_session_for_user(user, session_id)
    with _refusals():
        seat = group_services.waitlist_accept(actor=user, session=session)
    return Status(201, _seat_out(seat))

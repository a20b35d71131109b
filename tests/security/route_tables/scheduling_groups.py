"""Authorization matrix rows for the scheduling groups routes (see tests/security/routes.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from loom.scheduling.models import Session, SessionSeat, SessionType
from tests.security.matrix import (
    BAD_REQUEST,
    CONFLICT,
    CREATED,
    FORBIDDEN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    Route,
    clients,
    coaches,
    everyone,
    expect,
    redirect,
    signed_in,
)
from tests.world import World

# A client action behind the groups panel: Avi is sent back to the page, Maya (another
# coach's client) gets 404 for Dana's session; coaches and the admin go home.
CLIENT_ACTION = clients(redirect("scheduling_groups:client_detail"), other_client=NOT_FOUND)
# API actions on Dana's group session: only Avi may act; Dana is refused (403), the
# others do not see the session (404).
API_SESSION = {"anonymous": UNAUTHORIZED, "other_coach": NOT_FOUND, "other_client": NOT_FOUND}


def _group_type(world: World) -> SessionType:
    return SessionType.objects.create(
        coach=world.dana, name_en="Group matrix", duration_minutes=60, capacity=3
    )


def dana_group_type(world: World) -> dict[str, Any]:
    """Dana has a type with three seats (the new-group-session page needs one)."""
    _group_type(world)
    return {}


def dana_group(world: World) -> dict[str, Any]:
    """A scheduled group session of Dana's, two days ahead, with no seat taken."""
    starts_at = timezone.now() + timedelta(days=2)
    session = Session.objects.create(
        coach=world.dana,
        client=None,
        capacity=3,
        session_type=_group_type(world),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        coach_timezone=world.dana.timezone,
    )
    return {"session_id": session.pk}


def avi_seat(world: World) -> dict[str, Any]:
    """Avi's taken seat in Dana's group session."""
    session = Session.objects.get(pk=dana_group(world)["session_id"])
    seat = SessionSeat.objects.create(session=session, client=world.avi)
    return {"seat_id": seat.pk}


ROUTES: tuple[Route, ...] = (
    Route(
        "coach/groups/",
        get=coaches(OK),
        post=coaches(NOT_ALLOWED),
    ),
    Route(
        "coach/groups/new/",
        args=dana_group_type,
        # Eli has no type with seats: he is sent to the list, which says what to add.
        get=coaches(OK, other_coach=redirect("scheduling_groups:coach_list")),
        post=coaches(BAD_REQUEST, other_coach=redirect("scheduling_groups:coach_list")),
        note="Creating a group session: tests/scheduling/test_groups_views.py.",
    ),
    Route("client/groups/", get=clients(OK), post=clients(NOT_ALLOWED)),
    Route(
        "client/groups/<int:session_id>/",
        args=dana_group,
        missing="client",
        get=clients(OK, other_client=NOT_FOUND),
        post=clients(NOT_ALLOWED),
    ),
    Route(
        "client/groups/<int:session_id>/seat/",
        args=dana_group,
        missing="client",
        get=clients(NOT_ALLOWED),
        post=CLIENT_ACTION,
    ),
    Route(
        "client/groups/<int:session_id>/waitlist/",
        args=dana_group,
        missing="client",
        get=clients(NOT_ALLOWED),
        post=CLIENT_ACTION,
        note="Not full: the service refuses and the page says so (test_groups_views.py).",
    ),
    Route(
        "client/groups/<int:session_id>/waitlist/leave/",
        args=dana_group,
        missing="client",
        get=clients(NOT_ALLOWED),
        post=CLIENT_ACTION,
    ),
    Route(
        "client/groups/<int:session_id>/waitlist/accept/",
        args=dana_group,
        missing="client",
        get=clients(NOT_ALLOWED),
        post=CLIENT_ACTION,
    ),
    Route(
        "client/groups/seats/<int:seat_id>/release/",
        args=avi_seat,
        missing="client",
        get=clients(NOT_ALLOWED),
        post=CLIENT_ACTION,
    ),
    Route(
        "api/v1/scheduling/groups",
        # A type id nobody has: the role check (clients and admin 403) comes first.
        data={"session_type_id": 2_000_000_000, "starts_at": "2030-01-07T14:00:00+00:00"},
        get=signed_in(OK, anonymous=UNAUTHORIZED, admin=FORBIDDEN),
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=NOT_FOUND, other_coach=NOT_FOUND),
        note="Creating through the API: tests/scheduling/test_groups_api.py.",
    ),
    Route(
        "api/v1/scheduling/groups/<session_id>",
        args=dana_group,
        missing="coach",
        get=expect(NOT_FOUND, coach=OK, client=OK, anonymous=UNAUTHORIZED),
        post=everyone(NOT_ALLOWED),
    ),
    Route(
        "api/v1/scheduling/groups/<session_id>/seat",
        args=dana_group,
        missing="client",
        get=everyone(NOT_ALLOWED),
        post=expect(NOT_FOUND, coach=FORBIDDEN, client=CREATED, **API_SESSION),
    ),
    Route(
        "api/v1/scheduling/groups/seats/<seat_id>/release",
        args=avi_seat,
        missing="client",
        get=everyone(NOT_ALLOWED),
        post=expect(NOT_FOUND, client=OK, anonymous=UNAUTHORIZED),
    ),
    Route(
        "api/v1/scheduling/groups/<session_id>/waitlist",
        args=dana_group,
        missing="client",
        get=everyone(NOT_ALLOWED),
        # Places are left: Avi's join is a conflict; nobody is waiting to leave.
        post=expect(NOT_FOUND, coach=FORBIDDEN, client=CONFLICT, **API_SESSION),
        other={"DELETE": expect(NOT_FOUND, coach=FORBIDDEN, **API_SESSION)},
    ),
    Route(
        "api/v1/scheduling/groups/<session_id>/waitlist/accept",
        args=dana_group,
        missing="client",
        get=everyone(NOT_ALLOWED),
        # No offer for Avi: 404.
        post=expect(NOT_FOUND, coach=FORBIDDEN, **API_SESSION),
    ),
)

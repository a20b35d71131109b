"""Authorization matrix rows for the scheduling coach routes (see tests/security/routes.py).

The coach's session pages: coach-only (clients and the admin go to their own home),
and a session of Dana's is a 404 for Eli.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from loom.scheduling.models import Session, SessionType
from tests.security.matrix import (
    BAD_REQUEST,
    COACH,
    FORBIDDEN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    Route,
    coaches,
    everyone,
    expect,
    redirect,
)
from tests.world import World


def _avi_session(world: World, starts_at: datetime, status: str) -> dict[str, Any]:
    session_type = SessionType.objects.create(
        coach=world.dana, name_en="Matrix coach pages", duration_minutes=60
    )
    session = Session.objects.create(
        coach=world.dana,
        client=world.avi,
        session_type=session_type,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        coach_timezone=world.dana.timezone,
        status=status,
    )
    return {"session_id": session.pk}


def avi_request(world: World) -> dict[str, Any]:
    """A request of Avi's with Dana, three days ahead."""
    return _avi_session(world, timezone.now() + timedelta(days=3), "requested")


def avi_scheduled(world: World) -> dict[str, Any]:
    """A scheduled session of Avi's with Dana, three days ahead."""
    return _avi_session(world, timezone.now() + timedelta(days=3), "scheduled")


def avi_running(world: World) -> dict[str, Any]:
    """A scheduled session of Avi's with Dana that started five minutes ago."""
    return _avi_session(world, timezone.now() - timedelta(minutes=5), "scheduled")


COACH_ONLY_PAGE = {"get": coaches(OK), "post": coaches(NOT_ALLOWED)}
DANAS = {"missing": COACH}

ROUTES: tuple[Route, ...] = (
    Route("coach/sessions/", **COACH_ONLY_PAGE),
    Route("coach/sessions/calendar/", **COACH_ONLY_PAGE),
    Route("coach/sessions/requests/", **COACH_ONLY_PAGE),
    Route(
        "coach/sessions/new/",
        get=coaches(OK),
        post=coaches(BAD_REQUEST),
        note="An empty form: no client, type or time chosen.",
    ),
    Route(
        "coach/sessions/<int:session_id>/",
        args=avi_scheduled,
        **DANAS,
        get=coaches(OK, other_coach=NOT_FOUND),
        post=coaches(NOT_ALLOWED),
    ),
    Route(
        "coach/sessions/<int:session_id>/approve/",
        args=avi_request,
        **DANAS,
        get=coaches(NOT_ALLOWED),
        post=coaches(redirect("scheduling_coach:requests"), other_coach=NOT_FOUND),
    ),
    Route(
        "coach/sessions/<int:session_id>/decline/",
        args=avi_request,
        **DANAS,
        data={"reason": "Matrix"},
        get=coaches(OK, other_coach=NOT_FOUND),
        post=coaches(redirect("scheduling_coach:requests"), other_coach=NOT_FOUND),
    ),
    *(
        Route(
            f"coach/sessions/<int:session_id>/{action}/",
            args=avi_running,
            **DANAS,
            get=coaches(NOT_ALLOWED),
            post=coaches(redirect("scheduling_coach:detail"), other_coach=NOT_FOUND),
        )
        for action in ("start", "complete", "no-show")
    ),
    Route(
        "coach/sessions/<int:session_id>/reschedule/",
        args=avi_scheduled,
        **DANAS,
        get=coaches(OK, other_coach=NOT_FOUND),
        post=coaches(BAD_REQUEST, other_coach=NOT_FOUND),
        note="An empty form: no time chosen. Moving is tested in tests/scheduling/test_pages_coach.py.",
    ),
    Route(
        "coach/sessions/<int:session_id>/cancel/",
        args=avi_scheduled,
        **DANAS,
        data={"reason": "Matrix"},
        get=coaches(OK, other_coach=NOT_FOUND),
        post=coaches(redirect("scheduling_coach:detail"), other_coach=NOT_FOUND),
    ),
    # A weekly series (the API of loom/scheduling/series.py): coach-only, and ids that
    # are not the coach's are 404. Booking itself is tested in tests/scheduling/test_series.py.
    Route(
        "api/v1/scheduling/series",
        data={
            "session_type_id": 2_000_000_000,
            "client_id": 2_000_000_000,
            "starts_at": "2030-01-07T14:00:00+00:00",
            "count": 2,
        },
        get=everyone(NOT_ALLOWED),
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=NOT_FOUND, other_coach=NOT_FOUND),
    ),
)

"""Authorization matrix rows for the scheduling client routes (see tests/security/routes.py).

The client pages are for clients only: coaches and the admin are sent to their own
home, anonymous visitors to sign in. A session that is not the client's — Maya on
Avi's — is a 404. What valid forms do is tested in tests/scheduling/test_pages_client.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from loom.scheduling.models import Session, SessionType
from tests.security.matrix import (
    BAD_REQUEST,
    CLIENT,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    Route,
    clients,
    redirect,
)
from tests.world import World


def avi_session(world: World) -> dict[str, Any]:
    """A scheduled one-to-one session of Avi's with Dana, three days ahead."""
    kind = SessionType.objects.create(coach=world.dana, name_en="Matrix", duration_minutes=60)
    starts_at = timezone.now() + timedelta(days=3)
    session = Session.objects.create(
        coach=world.dana,
        client=world.avi,
        session_type=kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        coach_timezone=world.dana.timezone,
        status="scheduled",
    )
    return {"session_id": session.pk}


ROUTES: tuple[Route, ...] = (
    Route("client/sessions/", get=clients(OK), post=clients(NOT_ALLOWED)),
    Route(
        "client/sessions/book/",
        get=clients(OK),
        post=clients(BAD_REQUEST),
        note="An empty form names no session type: step one again, 400.",
    ),
    Route(
        "client/sessions/<int:session_id>/",
        args=avi_session,
        missing=CLIENT,
        get=clients(OK, other_client=NOT_FOUND),
        post=clients(NOT_ALLOWED),
    ),
    Route(
        "client/sessions/<int:session_id>/reschedule/",
        args=avi_session,
        missing=CLIENT,
        get=clients(OK, other_client=NOT_FOUND),
        post=clients(BAD_REQUEST, other_client=NOT_FOUND),
        note="An empty form chooses no time: 400 for Avi.",
    ),
    Route(
        "client/sessions/<int:session_id>/cancel/",
        args=avi_session,
        missing=CLIENT,
        get=clients(OK, other_client=NOT_FOUND),
        post=clients(redirect("scheduling_client:detail"), other_client=NOT_FOUND),
        note="The reason is optional: Avi's empty form cancels (rolled back by the harness).",
    ),
)

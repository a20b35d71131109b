"""Authorization matrix rows for the scheduling calendar routes (see tests/security/routes.py)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.utils import timezone

from loom.scheduling.models import CalendarFeed, Session, SessionType
from tests.security.matrix import (
    CONFLICT,
    CREATED,
    FORBIDDEN,
    HOME,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    Outcome,
    Route,
    expect,
    redirect,
)
from tests.world import World

# Dana's feed token in the matrix: 43 url-safe characters, like a real one.
DANA_FEED_TOKEN = "f" * 43
# A page for Dana and Avi only; anyone else signed in gets 404.
PARTIES = expect(NOT_FOUND, anonymous=LOGIN, coach=OK, client=OK)
# Coach and client pages of one's own (the admin has no sessions to subscribe to).
PEOPLE_WITH_SESSIONS = expect(OK, anonymous=LOGIN, admin=HOME)
POST_ONLY = expect(NOT_ALLOWED, anonymous=LOGIN, admin=HOME)
NO_CONTENT = Outcome(204)


def avi_session(world: World) -> dict[str, Any]:
    """A scheduled video session of Avi's with Dana, two days ahead."""
    session_type = SessionType.objects.create(
        coach=world.dana, name_en="Calendar matrix", duration_minutes=60
    )
    starts_at = timezone.now() + timedelta(days=2)
    session = Session.objects.create(
        coach=world.dana,
        client=world.avi,
        session_type=session_type,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        coach_timezone=world.dana.timezone,
        meeting_url="https://meet.jit.si/Loom-matrixroomxxxxxxxxxxxx",
    )
    return {"session_id": session.pk}


def dana_feed(world: World) -> dict[str, Any]:
    CalendarFeed.objects.create(
        user=world.dana, token_hash=hashlib.sha256(DANA_FEED_TOKEN.encode()).hexdigest()
    )
    return {"token": DANA_FEED_TOKEN}


def dana_has_feed(world: World) -> dict[str, Any]:
    dana_feed(world)
    return {}


ROUTES: tuple[Route, ...] = (
    Route(
        "sessions/<int:session_id>/",
        args=avi_session,
        missing="coach",
        get=expect(
            NOT_FOUND,
            anonymous=LOGIN,
            coach=redirect("scheduling_coach:detail"),
            client=redirect("scheduling_client:detail"),
        ),
        post=expect(NOT_ALLOWED, anonymous=LOGIN),
        note="What the link says after a move or a cancellation: tests/scheduling/test_calendar_links.py.",
    ),
    Route(
        "sessions/<int:session_id>/calendar.ics",
        args=avi_session,
        missing="client",
        get=PARTIES,
        post=expect(NOT_ALLOWED, anonymous=LOGIN),
    ),
    Route("account/calendar/", get=PEOPLE_WITH_SESSIONS, post=POST_ONLY),
    Route(
        "account/calendar/create/",
        get=POST_ONLY,
        post=PEOPLE_WITH_SESSIONS,
        note="The page with the new URL is rendered (shown once), not redirected.",
    ),
    Route("account/calendar/replace/", get=POST_ONLY, post=PEOPLE_WITH_SESSIONS),
    Route(
        "account/calendar/revoke/",
        get=POST_ONLY,
        post=expect(redirect("scheduling_calendar:feeds"), anonymous=LOGIN, admin=HOME),
    ),
    Route(
        "calendar/feed/<str:token>.ics",
        args=dana_feed,
        # The token is the credential: whoever holds it reads the feed, signed in or not.
        get=expect(OK),
        post=expect(NOT_ALLOWED),
        note="Unknown, revoked and malformed tokens: tests/scheduling/test_calendar_feed.py.",
    ),
    Route(
        "api/v1/scheduling/calendar-feeds",
        # Dana has a feed: creating a second is a conflict, revoking hers works.
        args=dana_has_feed,
        get=expect(OK, anonymous=UNAUTHORIZED, admin=FORBIDDEN),
        post=expect(CREATED, anonymous=UNAUTHORIZED, coach=CONFLICT, admin=FORBIDDEN),
        other={
            "DELETE": expect(NOT_FOUND, anonymous=UNAUTHORIZED, coach=NO_CONTENT, admin=FORBIDDEN)
        },
    ),
)

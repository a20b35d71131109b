"""Authorization matrix rows for the resources sharing routes (see tests/security/routes.py).

Every sharing page is the coach's own: clients and the admin go to their home,
anonymous visitors to sign in, and Eli gets 404 for Dana's resources, collections,
shares and sessions. Empty forms: the share form answers 400 to its owner (an
audience is required), adding homework without a resource comes back to the session
page with a message. The role is checked before the method, so a GET of a POST-only
URL is a 405 for coaches only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from loom.resources.models import SessionHomework
from loom.scheduling.models import Session, SessionType
from tests.resources.factories import make_collection, make_resource, share
from tests.security.matrix import (
    BAD_REQUEST,
    COACH,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    Route,
    coaches,
    redirect,
)
from tests.world import World

SESSION_PAGE = redirect("scheduling_coach:detail")


def own(outcome: Any) -> Any:
    """Dana's object: Dana gets ``outcome``, Eli 404."""
    return coaches(outcome, other_coach=NOT_FOUND)


def dana_resource(world: World) -> dict[str, Any]:
    return {"pk": make_resource(world.dana, title="שיתוף מטריצה").pk}


def dana_collection(world: World) -> dict[str, Any]:
    return {"pk": make_collection(world.dana, title="ערכת מטריצה").pk}


def dana_share(world: World) -> dict[str, Any]:
    return {"share_id": share(make_resource(world.dana, title="משותף מטריצה"), world.avi).pk}


def _session(world: World) -> Session:
    start = timezone.now() + timedelta(days=3)
    kind = SessionType.objects.create(
        coach=world.dana, name_en="Homework matrix", duration_minutes=60
    )
    return Session.objects.create(
        coach=world.dana,
        client=world.avi,
        session_type=kind,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        coach_timezone=world.dana.timezone,
        status="scheduled",
    )


def dana_session(world: World) -> dict[str, Any]:
    return {"session_id": _session(world).pk}


def dana_homework(world: World) -> dict[str, Any]:
    session = _session(world)
    resource = make_resource(world.dana, title="שיעורי בית מטריצה")
    share(resource, world.avi)
    homework = SessionHomework.objects.create(
        coach=world.dana, client=world.avi, session=session, resource=resource
    )
    return {"session_id": session.pk, "homework_id": homework.pk}


ROUTES: tuple[Route, ...] = (
    Route(
        "coach/resources/<int:pk>/share/",
        args=dana_resource,
        missing=COACH,
        get=own(OK),
        post=own(BAD_REQUEST),
    ),
    Route(
        "coach/resources/collections/<int:pk>/share/",
        args=dana_collection,
        missing=COACH,
        get=own(OK),
        post=own(BAD_REQUEST),
    ),
    Route(
        "coach/resources/shares/<int:share_id>/remove/",
        args=dana_share,
        missing=COACH,
        get=own(OK),
        post=own(redirect("resources_library:detail")),
    ),
    Route(
        "coach/sessions/<int:session_id>/homework/",
        args=dana_session,
        missing=COACH,
        get=coaches(NOT_ALLOWED),
        post=own(SESSION_PAGE),
    ),
    Route(
        "coach/sessions/<int:session_id>/homework/<int:homework_id>/remove/",
        args=dana_homework,
        missing=COACH,
        get=coaches(NOT_ALLOWED),
        post=own(SESSION_PAGE),
    ),
)

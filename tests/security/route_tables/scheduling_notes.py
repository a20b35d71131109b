"""Authorization matrix rows for the scheduling notes routes (see tests/security/routes.py).

Every notes URL is for the session's parties: Dana (coach) and Avi (client). Eli, Maya
and the admin are no party, so they get 404 (the session's existence is never
confirmed); a party acting outside their role gets 403.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from loom.scheduling.models import ActionItem, Session, SessionAttachment, SessionType
from tests.security.matrix import (
    BAD_REQUEST,
    CREATED,
    FORBIDDEN,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    Outcome,
    Route,
    everyone,
    expect,
    redirect,
    signed_in,
)
from tests.world import World

NO_CONTENT = Outcome(204)
PAGE = redirect("scheduling_notes:page")
# Pages: Dana and Avi in, everyone else signed in gets 404.
PARTIES = expect(NOT_FOUND, anonymous=LOGIN, coach=OK, client=OK)
NOT_A_PAGE = signed_in(NOT_ALLOWED)


def parties(coach: Outcome, client: Outcome) -> dict[str, Outcome]:
    return expect(NOT_FOUND, anonymous=LOGIN, coach=coach, client=client)


def api(coach: Outcome, client: Outcome) -> dict[str, Outcome]:
    return expect(NOT_FOUND, anonymous=UNAUTHORIZED, coach=coach, client=client)


API_NOT_ALLOWED = expect(NOT_ALLOWED)


# --- Objects of Dana's and Avi's ------------------------------------------------------------


def _session(world: World, starts_in: timedelta) -> Session:
    start = timezone.now() + starts_in
    kind = SessionType.objects.create(coach=world.dana, name_en="Notes matrix", duration_minutes=60)
    return Session.objects.create(
        coach=world.dana,
        client=world.avi,
        session_type=kind,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        coach_timezone=world.dana.timezone,
        status="scheduled",
    )


def started_session(world: World) -> dict[str, Any]:
    """A session of Dana's with Avi that started ten minutes ago."""
    return {"session_id": _session(world, -timedelta(minutes=10)).pk}


def future_session(world: World) -> dict[str, Any]:
    return {"session_id": _session(world, timedelta(days=2)).pk}


def action_item(world: World) -> dict[str, Any]:
    session = _session(world, -timedelta(minutes=10))
    item = ActionItem.objects.create(
        session=session, coach=world.dana, client=world.avi, title="Matrix item"
    )
    return {"session_id": session.pk, "item_id": item.pk}


def avi_file(world: World) -> dict[str, Any]:
    session = _session(world, -timedelta(minutes=10))
    attachment = SessionAttachment(
        session=session,
        uploaded_by=world.avi,
        original_name="matrix.txt",
        content_type="text/plain; charset=utf-8",
        size_bytes=6,
    )
    attachment.file.save("matrix.txt", ContentFile(b"matrix"), save=False)
    attachment.save()
    return {"session_id": session.pk, "attachment_id": attachment.pk}


P = "sessions/<int:session_id>/notes/"
A = "api/v1/scheduling/sessions/<session_id>/"

ROUTES: tuple[Route, ...] = (
    # Pages.
    Route(P, args=started_session, missing="coach", get=PARTIES, post=NOT_A_PAGE),
    Route(
        f"{P}private/",
        args=started_session,
        missing="coach",
        data={"private-body": "Matrix"},
        get=NOT_A_PAGE,
        post=parties(PAGE, FORBIDDEN),
    ),
    Route(
        f"{P}summary/",
        args=started_session,
        missing="coach",
        data={"summary-body": "Matrix", "action": "draft"},
        get=NOT_A_PAGE,
        post=parties(PAGE, FORBIDDEN),
    ),
    Route(
        f"{P}items/",
        args=started_session,
        missing="coach",
        data={"item-title": "Matrix"},
        get=NOT_A_PAGE,
        post=parties(PAGE, FORBIDDEN),
    ),
    Route(
        f"{P}items/<int:item_id>/",
        args=action_item,
        missing="coach",
        data={"edit-title": "Matrix"},
        get=parties(OK, FORBIDDEN),
        post=parties(PAGE, FORBIDDEN),
    ),
    Route(
        f"{P}items/<int:item_id>/delete/",
        args=action_item,
        missing="coach",
        get=NOT_A_PAGE,
        post=parties(PAGE, FORBIDDEN),
    ),
    Route(
        f"{P}items/<int:item_id>/done/",
        args=action_item,
        missing="client",
        data={"done": "1"},
        get=NOT_A_PAGE,
        post=parties(NOT_FOUND, PAGE),
        note="Only the person the item is for ticks it; for the coach it does not exist.",
    ),
    Route(
        f"{P}preparation/",
        args=future_session,
        missing="client",
        data={"prep-body": "Matrix"},
        get=NOT_A_PAGE,
        post=parties(FORBIDDEN, PAGE),
    ),
    Route(
        f"{P}reflection/",
        args=started_session,
        missing="client",
        data={"refl-body": "Matrix"},
        get=NOT_A_PAGE,
        post=parties(FORBIDDEN, PAGE),
    ),
    Route(
        f"{P}files/",
        args=started_session,
        missing="coach",
        # The method is checked before sign-in here (the upload limit and the CSRF check
        # must come before anything else), so a GET is a 405 for everyone.
        get=everyone(NOT_ALLOWED),
        post=parties(BAD_REQUEST, BAD_REQUEST),
        note="No file in the matrix's form: parties reach validation (400); uploads are "
        "tested in tests/scheduling/test_notes_views.py.",
    ),
    Route(
        f"{P}files/<int:attachment_id>/",
        args=avi_file,
        missing="client",
        get=PARTIES,
        post=NOT_A_PAGE,
    ),
    Route(
        f"{P}files/<int:attachment_id>/delete/",
        args=avi_file,
        missing="client",
        get=NOT_A_PAGE,
        post=parties(FORBIDDEN, PAGE),
        note="Only the person who added a file removes it.",
    ),
    # API.
    Route(
        f"{A}private-note",
        args=started_session,
        missing="coach",
        data={"body": "Matrix"},
        get=api(OK, FORBIDDEN),
        post=API_NOT_ALLOWED,
        other={"PUT": api(OK, FORBIDDEN)},
    ),
    Route(
        f"{A}summary",
        args=started_session,
        missing="coach",
        data={"body": "Matrix", "share": False},
        get=api(OK, OK),
        post=API_NOT_ALLOWED,
        other={"PUT": api(OK, FORBIDDEN)},
    ),
    Route(
        f"{A}action-items",
        args=started_session,
        missing="coach",
        data={"title": "Matrix"},
        get=api(OK, OK),
        post=api(CREATED, FORBIDDEN),
    ),
    Route(
        f"{A}action-items/<item_id>",
        args=action_item,
        missing="coach",
        data={"title": "Matrix"},
        get=API_NOT_ALLOWED,
        post=API_NOT_ALLOWED,
        other={"PUT": api(OK, FORBIDDEN), "DELETE": api(NO_CONTENT, FORBIDDEN)},
    ),
    Route(
        f"{A}action-items/<item_id>/done",
        args=action_item,
        missing="client",
        data={"done": True},
        get=API_NOT_ALLOWED,
        post=api(NOT_FOUND, OK),
    ),
    Route(
        f"{A}reflections",
        args=started_session,
        missing="coach",
        get=api(OK, OK),
        post=API_NOT_ALLOWED,
    ),
    Route(
        f"{A}preparation",
        args=future_session,
        missing="client",
        data={"body": "Matrix"},
        get=API_NOT_ALLOWED,
        post=API_NOT_ALLOWED,
        other={"PUT": api(FORBIDDEN, OK)},
    ),
    Route(
        f"{A}reflection",
        args=started_session,
        missing="client",
        data={"body": "Matrix"},
        get=API_NOT_ALLOWED,
        post=API_NOT_ALLOWED,
        other={"PUT": api(FORBIDDEN, OK)},
    ),
    Route(
        f"{A}attachments",
        args=started_session,
        missing="coach",
        get=api(OK, OK),
        post=API_NOT_ALLOWED,
    ),
)

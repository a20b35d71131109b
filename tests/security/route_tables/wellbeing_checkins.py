"""Authorization matrix rows for the check-in pages and API (see tests/security/routes.py).

Check-ins are the client's own: the objects are a check-in of Avi's. Avi reaches it;
Maya (another client) gets 404; coaches and the admin are sent to their own home by the
pages and refused with 403 by the API (check-ins are a client's tool, whoever asks);
anonymous visitors go to sign in (401 from the API). Methods a page does not take are
405 for clients, before any lookup.
"""

from __future__ import annotations

from typing import Any

from tests.security.matrix import (
    BAD_REQUEST,
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
from tests.wellbeing.checkins_factory import record
from tests.world import World

NO_CONTENT = Outcome(204)


def avi_checkin(world: World) -> dict[str, Any]:
    return {"checkin_id": record(world.avi, note="מטריצה").pk}


def pages(client: Outcome, other_client: Outcome | None = None) -> dict[str, Outcome]:
    """A client page: clients get ``client`` (Maya ``other_client`` for Avi's check-in)."""
    return expect(HOME, anonymous=LOGIN, client=client, other_client=other_client or client)


def api(client: Outcome, other_client: Outcome | None = None) -> dict[str, Outcome]:
    return expect(
        FORBIDDEN, anonymous=UNAUTHORIZED, client=client, other_client=other_client or client
    )


API_NOT_ALLOWED = expect(NOT_ALLOWED)
A = "api/v1/wellbeing/"
VALID = {"pleasantness": 6, "energy": 4, "emotions": [{"emotion": "calm", "intensity": 5}]}

ROUTES: list[Route] = [
    Route("checkins/", get=pages(OK), post=pages(NOT_ALLOWED)),
    Route(
        "checkins/new/",
        get=pages(OK),
        post=pages(BAD_REQUEST),
        note="an empty form has no mood: 400 with the reasons",
    ),
    Route(
        "checkins/<int:checkin_id>/",
        args=avi_checkin,
        missing="client",
        get=pages(OK, NOT_FOUND),
        post=pages(NOT_ALLOWED),
    ),
    Route(
        "checkins/<int:checkin_id>/edit/",
        args=avi_checkin,
        missing="client",
        get=pages(OK, NOT_FOUND),
        post=pages(BAD_REQUEST, NOT_FOUND),
        note="an empty form has no mood: 400 for Avi",
    ),
    Route(
        "checkins/<int:checkin_id>/delete/",
        args=avi_checkin,
        missing="client",
        get=pages(OK, NOT_FOUND),
        post=pages(redirect("wellbeing_checkins:list"), NOT_FOUND),
    ),
    Route(
        f"{A}checkins",
        data=VALID,
        get=api(OK),
        post=api(CREATED),
    ),
    Route(f"{A}checkins/daily", get=api(OK), post=API_NOT_ALLOWED),
    Route(
        f"{A}checkins/<int:checkin_id>",
        args=avi_checkin,
        missing="client",
        data={"energy": 3},
        get=api(OK, NOT_FOUND),
        post=API_NOT_ALLOWED,
        other={"PATCH": api(OK, NOT_FOUND), "DELETE": api(NO_CONTENT, NOT_FOUND)},
    ),
    Route(f"{A}emotions", get=api(OK), post=API_NOT_ALLOWED),
]

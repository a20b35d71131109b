"""Authorization matrix rows for the wellbeing progress routes (see tests/security/routes.py).

The client pages (dashboard, trends, sharing choices) and their API are the client's
own: coaches and the admin go home (pages) or get 403 (API). The coach's view of one
client is Dana's for Avi: Eli gets 404 (Avi is not his client), clients and the admin
403, and an id that does not exist is a 404.
"""

from __future__ import annotations

from typing import Any

from tests.security.matrix import (
    FORBIDDEN,
    HOME,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    Route,
    clients,
    expect,
    redirect,
)
from tests.world import World

CLIENT_NOT_ALLOWED = expect(HOME, anonymous=LOGIN, client=NOT_ALLOWED, other_client=NOT_ALLOWED)
API_NOT_ALLOWED = expect(NOT_ALLOWED)
# A client's own figures: every client has their own; everyone else is refused.
CLIENT_API = expect(FORBIDDEN, anonymous=UNAUTHORIZED, client=OK, other_client=OK)
# Dana's view of Avi: hers alone.
COACH_OF_AVI = expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=OK, other_coach=NOT_FOUND)


def avi(world: World) -> dict[str, Any]:
    return {"client_id": world.avi.pk}


A = "api/v1/wellbeing/"

ROUTES: tuple[Route, ...] = (
    Route("progress/", get=clients(OK), post=CLIENT_NOT_ALLOWED),
    Route("progress/trends/", get=clients(OK), post=CLIENT_NOT_ALLOWED),
    Route(
        "progress/sharing/",
        get=clients(OK),
        post=clients(redirect("wellbeing_progress:sharing")),
        note="An empty form turns both switches off (unchecked boxes are not sent).",
    ),
    Route(f"{A}progress", get=CLIENT_API, post=API_NOT_ALLOWED),
    Route(f"{A}progress/trends", get=CLIENT_API, post=API_NOT_ALLOWED),
    Route(f"{A}progress/insights", get=CLIENT_API, post=API_NOT_ALLOWED),
    Route(
        f"{A}sharing",
        data={"share_checkins": False, "share_goals": True},
        get=CLIENT_API,
        post=API_NOT_ALLOWED,
        other={"PUT": CLIENT_API},
    ),
    Route(
        f"{A}clients/<int:client_id>/progress",
        args=avi,
        missing="coach",
        get=COACH_OF_AVI,
        post=API_NOT_ALLOWED,
    ),
)

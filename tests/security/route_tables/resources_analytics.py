"""Authorization matrix rows for the resources analytics routes (see tests/security/routes.py).

Coach-only pages: clients and the admin go to their own home, anonymous visitors to
sign in. A page about one of Dana's resources or clients is a 404 for Eli. GET only.
"""

from __future__ import annotations

from typing import Any

from tests.resources.factories import make_resource
from tests.security.matrix import (
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    Route,
    coaches,
    expect,
)
from tests.world import World

GET_ONLY = expect(NOT_ALLOWED)


def dana_resource(world: World) -> dict[str, Any]:
    return {"pk": make_resource(world.dana, title="ניתוח מטריצה").pk}


def avi(world: World) -> dict[str, Any]:
    return {"client_id": world.avi.pk}


P = "coach/resources/analytics/"

ROUTES: list[Route] = [
    Route(P, get=coaches(OK), post=GET_ONLY),
    Route(f"{P}clients/", get=coaches(OK), post=GET_ONLY),
    Route(
        f"{P}clients/<int:client_id>/",
        args=avi,
        missing="coach",
        get=coaches(OK, other_coach=NOT_FOUND),
        post=GET_ONLY,
    ),
    Route(f"{P}export.csv", get=coaches(OK), post=GET_ONLY),
    Route(
        "coach/resources/<int:pk>/analytics/",
        args=dana_resource,
        missing="coach",
        get=coaches(OK, other_coach=NOT_FOUND),
        post=GET_ONLY,
    ),
]

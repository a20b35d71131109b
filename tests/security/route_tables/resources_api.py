"""Authorization matrix rows for the resources api routes (see tests/security/routes.py).

The objects are Dana's (a resource, a video, a collection) shared with Avi. Eli, Maya
and the admin never learn that they exist: 404 wherever their role may ask, 403 where
the operation belongs to the other role (a coach reporting progress, a client sharing).
"""

from __future__ import annotations

from typing import Any

from loom.resources.models import ResourceKind
from tests.resources import media
from tests.resources.factories import make_collection, make_resource, share
from tests.security.matrix import (
    CREATED,
    FORBIDDEN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    UNPROCESSABLE,
    Outcome,
    Route,
    expect,
    signed_in,
)
from tests.world import World

NO_CONTENT = Outcome(204)
API_NOT_ALLOWED = expect(NOT_ALLOWED)
EVERYONE_SIGNED_IN = signed_in(OK, anonymous=UNAUTHORIZED)


# A coach operation: clients and the admin 403; ``coach``/``other_coach`` as given.
def coach_only(coach: Outcome, other_coach: Outcome) -> dict[str, Outcome]:
    return expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=coach, other_coach=other_coach)


# A client operation on Dana's resource shared with Avi: coaches and the admin 403.
def client_only(client: Outcome) -> dict[str, Outcome]:
    return expect(FORBIDDEN, anonymous=UNAUTHORIZED, client=client, other_client=NOT_FOUND)


# Reading something of Dana's shared with Avi: theirs, a 404 for everyone else.
PARTIES_READ = expect(NOT_FOUND, anonymous=UNAUTHORIZED, coach=OK, client=OK)


def shared_resource(world: World) -> dict[str, Any]:
    resource = make_resource(world.dana, title="ממשק מטריצה")
    share(resource, world.avi)
    return {"resource_id": resource.pk}


def shared_video(world: World) -> dict[str, Any]:
    resource = make_resource(
        world.dana,
        kind=ResourceKind.VIDEO,
        title="וידאו מטריצה",
        content=media.webm_bytes(),
        file_kind="webm",
        content_type="video/webm",
    )
    share(resource, world.avi)
    return {"resource_id": resource.pk}


def avi_share(world: World) -> dict[str, Any]:
    return {"share_id": share(make_resource(world.dana, title="שיתוף מטריצה"), world.avi).pk}


def shared_collection(world: World) -> dict[str, Any]:
    collection = make_collection(world.dana, make_resource(world.dana, title="פריט מטריצה"))
    share(collection, world.avi)
    return {"collection_id": collection.pk}


A = "api/v1/resources/"
ONE = f"{A}<int:resource_id>"
PROGRESS = {"played": [[0, 1]], "position": 1, "duration": 10}

ROUTES: list[Route] = [
    Route(A, get=EVERYONE_SIGNED_IN, post=API_NOT_ALLOWED),
    Route(
        ONE,
        args=shared_resource,
        missing="coach",
        get=PARTIES_READ,
        post=API_NOT_ALLOWED,
        other={
            "PATCH": coach_only(OK, NOT_FOUND),
            "DELETE": coach_only(NO_CONTENT, NOT_FOUND),
        },
    ),
    Route(
        f"{A}files",
        get=API_NOT_ALLOWED,
        post=coach_only(UNPROCESSABLE, UNPROCESSABLE),
        note="An empty request has no file: 422 for coaches.",
    ),
    Route(
        f"{A}links",
        get=API_NOT_ALLOWED,
        post=signed_in(UNPROCESSABLE, anonymous=UNAUTHORIZED),
        note="An empty body fails validation before the role check.",
    ),
    Route(
        f"{ONE}/shares",
        args=shared_resource,
        missing="coach",
        data={"all_clients": True},
        get=coach_only(OK, NOT_FOUND),
        post=coach_only(CREATED, NOT_FOUND),
    ),
    Route(
        f"{A}shares/<int:share_id>",
        args=avi_share,
        missing="coach",
        get=API_NOT_ALLOWED,
        post=API_NOT_ALLOWED,
        other={"DELETE": coach_only(NO_CONTENT, NOT_FOUND)},
    ),
    Route(
        f"{ONE}/progress",
        args=shared_video,
        missing="client",
        data=PROGRESS,
        get=client_only(OK),
        post=client_only(OK),
    ),
    Route(
        f"{ONE}/complete",
        args=shared_resource,
        missing="client",
        get=API_NOT_ALLOWED,
        post=client_only(OK),
    ),
    Route(f"{A}collections/", get=EVERYONE_SIGNED_IN, post=API_NOT_ALLOWED),
    Route(
        f"{A}collections/<int:collection_id>",
        args=shared_collection,
        missing="coach",
        get=PARTIES_READ,
        post=API_NOT_ALLOWED,
    ),
    Route(
        f"{A}collections/<int:collection_id>/shares",
        args=shared_collection,
        missing="coach",
        data={"all_clients": True},
        get=API_NOT_ALLOWED,
        post=coach_only(CREATED, NOT_FOUND),
    ),
    Route(f"{A}analytics", get=coach_only(OK, OK), post=API_NOT_ALLOWED),
]

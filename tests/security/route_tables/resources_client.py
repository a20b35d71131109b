"""Authorization matrix rows for the resources client routes (see tests/security/routes.py).

The client's library pages are for clients only: coaches and the admin go to their own
home. The objects are Dana's, shared with Avi; Maya (Eli's client) has no share, so
every id of them is a 404 for her, never a 403 that would confirm it exists.
"""

from __future__ import annotations

from typing import Any

from tests.resources.factories import make_collection, make_resource, share
from tests.security.matrix import (
    BAD_REQUEST,
    HOME,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    Route,
    clients,
    expect,
    redirect,
)
from tests.world import World


def shared_resource(world: World) -> dict[str, Any]:
    resource = make_resource(world.dana, title="דף עבודה מטריצה")
    share(resource, world.avi)
    return {"pk": resource.pk}


def shared_collection(world: World) -> dict[str, Any]:
    collection = make_collection(world.dana, make_resource(world.dana, title="פריט מטריצה"))
    share(collection, world.avi)
    return {"pk": collection.pk}


# Clients reach the view, which refuses the method; everyone else is sent away first.
CLIENT_NOT_ALLOWED = expect(HOME, anonymous=LOGIN, client=NOT_ALLOWED, other_client=NOT_ALLOWED)
P = "client/resources/"

ROUTES: tuple[Route, ...] = (
    Route(P, get=clients(OK), post=CLIENT_NOT_ALLOWED),
    Route(
        f"{P}<int:pk>/",
        args=shared_resource,
        missing="client",
        get=clients(OK, other_client=NOT_FOUND),
        post=CLIENT_NOT_ALLOWED,
    ),
    Route(
        f"{P}<int:pk>/progress/",
        args=shared_resource,
        missing="client",
        get=CLIENT_NOT_ALLOWED,
        post=clients(BAD_REQUEST, other_client=NOT_FOUND),
        note="The matrix posts a form, not a player's JSON report: Avi reaches validation "
        "(400 problem JSON); reports are tested in tests/resources/test_client_pages.py.",
    ),
    Route(
        f"{P}<int:pk>/complete/",
        args=shared_resource,
        missing="client",
        data={"complete": "1"},
        get=CLIENT_NOT_ALLOWED,
        post=clients(redirect("resources_client:detail"), other_client=NOT_FOUND),
    ),
    Route(
        f"{P}collections/<int:pk>/",
        args=shared_collection,
        missing="client",
        get=clients(OK, other_client=NOT_FOUND),
        post=CLIENT_NOT_ALLOWED,
    ),
)

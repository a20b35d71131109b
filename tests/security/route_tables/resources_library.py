"""Authorization matrix rows for the resources library routes (see tests/security/routes.py).

The library pages are the coach's own: clients and the admin go to their home,
anonymous visitors to sign in, and Eli gets 404 for anything of Dana's. Requests carry
empty forms: a form that needs values answers 400 to its owner, which proves the
request got past authorization. Methods are checked after the role, so a wrong method
is a 405 only for coaches.
"""

from __future__ import annotations

from typing import Any

from loom.resources.models import Category
from tests.resources.factories import make_collection, make_resource
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

P = "coach/resources/"
C = f"{P}collections/<int:pk>/"
COLLECTION = redirect("resources_library:collection_detail")


def dana_resource(world: World) -> dict[str, Any]:
    return {"pk": make_resource(world.dana, title="משאב מטריצה").pk}


def dana_category(world: World) -> dict[str, Any]:
    return {"pk": Category.objects.create(coach=world.dana, name="קטגוריית מטריצה").pk}


def dana_collection(world: World) -> dict[str, Any]:
    return {"pk": make_collection(world.dana, title="אוסף מטריצה").pk}


def dana_collection_item(world: World) -> dict[str, Any]:
    resource = make_resource(world.dana, title="פריט מטריצה")
    return {"pk": make_collection(world.dana, resource).pk, "resource_id": resource.pk}


def own(outcome: Any) -> Any:
    """Dana's object: Dana gets ``outcome``, Eli 404."""
    return coaches(outcome, other_coach=NOT_FOUND)


ROUTES: tuple[Route, ...] = (
    Route(P, get=coaches(OK), post=coaches(NOT_ALLOWED)),
    Route(f"{P}links/new/", get=coaches(OK), post=coaches(BAD_REQUEST)),
    Route(
        f"{P}<int:pk>/",
        args=dana_resource,
        missing=COACH,
        get=own(OK),
        post=coaches(NOT_ALLOWED),
    ),
    Route(
        f"{P}<int:pk>/edit/",
        args=dana_resource,
        missing=COACH,
        get=own(OK),
        post=own(BAD_REQUEST),
    ),
    Route(
        f"{P}<int:pk>/delete/",
        args=dana_resource,
        missing=COACH,
        get=own(OK),
        post=own(redirect("resources_library:library")),
    ),
    Route(f"{P}categories/", get=coaches(OK), post=coaches(BAD_REQUEST)),
    Route(
        f"{P}categories/<int:pk>/rename/",
        args=dana_category,
        missing=COACH,
        get=own(OK),
        post=own(BAD_REQUEST),
    ),
    Route(
        f"{P}categories/<int:pk>/delete/",
        args=dana_category,
        missing=COACH,
        get=own(OK),
        post=own(redirect("resources_library:categories")),
    ),
    Route(
        f"{P}categories/<int:pk>/move/",
        args=dana_category,
        missing=COACH,
        data={"direction": "up"},
        get=coaches(NOT_ALLOWED),
        post=own(redirect("resources_library:categories")),
    ),
    Route(f"{P}collections/", get=coaches(OK), post=coaches(NOT_ALLOWED)),
    Route(f"{P}collections/new/", get=coaches(OK), post=coaches(BAD_REQUEST)),
    Route(
        C,
        args=dana_collection,
        missing=COACH,
        get=own(OK),
        post=coaches(NOT_ALLOWED),
    ),
    Route(
        f"{C}edit/",
        args=dana_collection,
        missing=COACH,
        get=own(OK),
        post=own(BAD_REQUEST),
    ),
    Route(
        f"{C}delete/",
        args=dana_collection,
        missing=COACH,
        get=own(OK),
        post=own(redirect("resources_library:collections")),
    ),
    Route(
        f"{C}items/",
        args=dana_collection,
        missing=COACH,
        get=coaches(NOT_ALLOWED),
        post=own(COLLECTION),
        note="An empty form adds nothing and returns to the collection with a message.",
    ),
    Route(
        f"{C}items/<int:resource_id>/move/",
        args=dana_collection_item,
        missing=COACH,
        data={"direction": "down"},
        get=coaches(NOT_ALLOWED),
        post=own(COLLECTION),
    ),
    Route(
        f"{C}items/<int:resource_id>/remove/",
        args=dana_collection_item,
        missing=COACH,
        get=coaches(NOT_ALLOWED),
        post=own(COLLECTION),
    ),
)

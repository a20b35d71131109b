"""Authorization matrix rows for the goal pages and API (see tests/security/routes.py).

The objects are Avi's: a goal with a milestone and a linked action item from a session
with Dana, and a proposal of Dana's to Avi. Goals are the client's: Maya (another
client) gets 404 for Avi's ids, coaches are sent home from the client pages and get
404 from the client API (a goal id is not theirs to know). The proposal pages are
Dana's: Eli gets 404, clients and the admin go home.
"""

from __future__ import annotations

from typing import Any

from loom.wellbeing import goals as services
from tests.security.matrix import (
    BAD_REQUEST,
    CREATED,
    FORBIDDEN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    Outcome,
    Route,
    clients,
    coaches,
    expect,
    redirect,
)
from tests.wellbeing.goals_support import action_item
from tests.world import World

NO_CONTENT = Outcome(204)
API_NOT_ALLOWED = expect(NOT_ALLOWED)
# A client page on Avi's goal: his, 404 for Maya, home for everyone else signed in.
AVI_PAGE = clients(OK, other_client=NOT_FOUND)
CLIENT_PAGE_NO_POST = clients(NOT_ALLOWED)
TO_DETAIL = clients(redirect("wellbeing_goals:detail"), other_client=NOT_FOUND)
# The client API on Avi's goal: his, 404 for Maya, 403 for coaches and the admin.
AVI_API = expect(FORBIDDEN, anonymous=UNAUTHORIZED, client=OK, other_client=NOT_FOUND)
AVI_API_DELETED = expect(
    FORBIDDEN, anonymous=UNAUTHORIZED, client=NO_CONTENT, other_client=NOT_FOUND
)


def _goal(world: World) -> Any:
    return services.goal_create(client=world.avi, title="מטרת מטריצה", milestones=["Step"])


def avi_goal(world: World) -> dict[str, Any]:
    return {"goal_id": _goal(world).pk}


def avi_milestone(world: World) -> dict[str, Any]:
    return {"milestone_id": _goal(world).milestones.get().pk}


def avi_link(world: World) -> dict[str, Any]:
    goal = _goal(world)
    item = action_item(world.dana, world.avi)
    services.goal_link_action_item(client=world.avi, goal_id=goal.pk, action_item_id=item.pk)
    return {"goal_id": goal.pk, "item_id": item.pk}


def avi(world: World) -> dict[str, Any]:
    return {"client_id": world.avi.pk}


def dana_proposal(world: World) -> dict[str, Any]:
    goal = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="הצעת מטריצה")
    return {"goal_id": goal.pk}


G = "goals/"
M = "goals/milestones/<int:milestone_id>/"
A = "api/v1/wellbeing/"

ROUTES: list[Route] = [
    # --- Client pages ---
    Route(G, get=clients(OK), post=CLIENT_PAGE_NO_POST),
    Route(
        f"{G}new/",
        get=clients(OK),
        post=clients(BAD_REQUEST),
        note="an empty form is shown again with its errors",
    ),
    Route(
        f"{G}<int:goal_id>/",
        args=avi_goal,
        missing="client",
        get=AVI_PAGE,
        post=CLIENT_PAGE_NO_POST,
    ),
    Route(
        f"{G}<int:goal_id>/edit/",
        args=avi_goal,
        missing="client",
        get=AVI_PAGE,
        post=clients(BAD_REQUEST, other_client=NOT_FOUND),
    ),
    Route(
        f"{G}<int:goal_id>/delete/",
        args=avi_goal,
        missing="client",
        get=AVI_PAGE,
        post=clients(redirect("wellbeing_goals:list"), other_client=NOT_FOUND),
    ),
    Route(
        f"{G}<int:goal_id>/status/",
        args=avi_goal,
        missing="client",
        get=CLIENT_PAGE_NO_POST,
        post=TO_DETAIL,
        note="no status: refused with a message on the goal's page",
    ),
    Route(
        f"{G}<int:goal_id>/answer/",
        args=avi_goal,
        missing="client",
        get=CLIENT_PAGE_NO_POST,
        post=clients(redirect("wellbeing_goals:list"), other_client=NOT_FOUND),
    ),
    Route(
        f"{G}<int:goal_id>/progress/",
        args=avi_goal,
        missing="client",
        get=CLIENT_PAGE_NO_POST,
        post=TO_DETAIL,
    ),
    Route(
        f"{G}<int:goal_id>/milestones/",
        args=avi_goal,
        missing="client",
        get=CLIENT_PAGE_NO_POST,
        post=TO_DETAIL,
    ),
    Route(
        f"{G}<int:goal_id>/action-items/",
        args=avi_goal,
        missing="client",
        get=CLIENT_PAGE_NO_POST,
        post=TO_DETAIL,
    ),
    Route(
        f"{G}<int:goal_id>/action-items/<int:item_id>/unlink/",
        args=avi_link,
        missing="client",
        get=CLIENT_PAGE_NO_POST,
        post=TO_DETAIL,
    ),
    Route(
        f"{M}toggle/", args=avi_milestone, missing="client", get=CLIENT_PAGE_NO_POST, post=TO_DETAIL
    ),
    Route(
        f"{M}edit/",
        args=avi_milestone,
        missing="client",
        get=AVI_PAGE,
        post=clients(BAD_REQUEST, other_client=NOT_FOUND),
    ),
    Route(
        f"{M}delete/", args=avi_milestone, missing="client", get=CLIENT_PAGE_NO_POST, post=TO_DETAIL
    ),
    Route(
        f"{M}move/", args=avi_milestone, missing="client", get=CLIENT_PAGE_NO_POST, post=TO_DETAIL
    ),
    # --- Coach pages ---
    Route(
        "coach/clients/<int:client_id>/goals/propose/",
        args=avi,
        missing="coach",
        get=coaches(OK, other_coach=NOT_FOUND),
        post=coaches(BAD_REQUEST, other_coach=NOT_FOUND),
    ),
    Route(
        "coach/goals/<int:goal_id>/withdraw/",
        args=dana_proposal,
        missing="coach",
        get=coaches(OK, other_coach=NOT_FOUND),
        post=coaches(redirect("coach:client_tab"), other_coach=NOT_FOUND),
    ),
    # --- API ---
    Route(
        f"{A}goals",
        data={"title": "Matrix goal"},
        get=expect(FORBIDDEN, anonymous=UNAUTHORIZED, client=OK, other_client=OK),
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, client=CREATED, other_client=CREATED),
        note="goals are clients': coaches and the admin are refused",
    ),
    Route(
        f"{A}goals/<int:goal_id>",
        args=avi_goal,
        missing="client",
        data={"why": "Because"},
        get=AVI_API,
        post=API_NOT_ALLOWED,
        other={"PATCH": AVI_API, "DELETE": AVI_API_DELETED},
    ),
    Route(
        f"{A}goals/<int:goal_id>/status",
        args=avi_goal,
        missing="client",
        data={"status": "paused"},
        get=API_NOT_ALLOWED,
        post=AVI_API,
    ),
    Route(
        f"{A}goals/<int:goal_id>/answer",
        args=dana_proposal,
        missing="client",
        data={"accept": True},
        get=API_NOT_ALLOWED,
        post=AVI_API,
    ),
    Route(
        f"{A}goals/<int:goal_id>/milestones",
        args=avi_goal,
        missing="client",
        data={"title": "Another step"},
        get=API_NOT_ALLOWED,
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, client=CREATED, other_client=NOT_FOUND),
    ),
    Route(
        f"{A}milestones/<int:milestone_id>",
        args=avi_milestone,
        missing="client",
        data={"done": True},
        get=API_NOT_ALLOWED,
        post=API_NOT_ALLOWED,
        other={"PATCH": AVI_API, "DELETE": AVI_API_DELETED},
    ),
    Route(
        f"{A}goals/<int:goal_id>/action-items",
        args=avi_goal,
        missing="client",
        data={"action_item": 2_000_000_001},
        get=API_NOT_ALLOWED,
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, client=NOT_FOUND, other_client=NOT_FOUND),
        note="an action item that does not exist is 404 for Avi too; linking works in test_goals_api",
    ),
    Route(
        f"{A}goals/<int:goal_id>/action-items/<int:item_id>",
        args=avi_link,
        missing="client",
        get=API_NOT_ALLOWED,
        post=API_NOT_ALLOWED,
        other={"DELETE": AVI_API_DELETED},
    ),
    Route(
        f"{A}clients/<int:client_id>/goals",
        args=avi,
        missing="coach",
        data={"title": "Proposed in the matrix"},
        get=API_NOT_ALLOWED,
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=CREATED, other_coach=NOT_FOUND),
    ),
    Route(
        f"{A}goals/<int:goal_id>/proposal",
        args=dana_proposal,
        missing="coach",
        get=API_NOT_ALLOWED,
        post=API_NOT_ALLOWED,
        other={
            "DELETE": expect(
                FORBIDDEN, anonymous=UNAUTHORIZED, coach=NO_CONTENT, other_coach=NOT_FOUND
            )
        },
    ),
]

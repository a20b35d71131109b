"""Goals and milestones (/api/v1/wellbeing/goals…).

Thin: each operation calls the services of ``loom.wellbeing.goals`` (the same ones the
pages use) and answers with the goal as the client sees it. A goal, milestone, client
or action item that is not the caller's is a 404 problem; a transition that is not
allowed a 409 problem with a stable ``code``; invalid fields a 422 problem.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from loom.accounts.models import User
from loom.accounts.permissions import require_client, require_coach
from loom.core.schemas import problem_responses
from loom.wellbeing import goals as services
from loom.wellbeing import selectors_goals as selectors
from loom.wellbeing.models import Goal, Milestone
from loom.wellbeing.schemas_goals import (
    AnswerIn,
    GoalIn,
    GoalOut,
    GoalPatch,
    GoalsQuery,
    LinkIn,
    MilestoneIn,
    MilestoneOut,
    MilestonePatch,
    MilestoneToggleOut,
    StatusIn,
)

router = Router(tags=["goals"])

ERRORS = problem_responses(400, 401, 403, 404, 409, 422)


def _client(request: HttpRequest) -> User:
    return require_client(request, _("Only clients keep goals."))


def milestone_dict(milestone: Milestone) -> dict[str, Any]:
    return {
        "id": milestone.pk,
        "title": milestone.title,
        "due_on": milestone.due_on,
        "position": milestone.position,
        "done": milestone.completed_at is not None,
        "completed_at": milestone.completed_at,
    }


def goal_dict(goal: Goal) -> dict[str, Any]:
    """A goal with its prefetched milestones and linked action items (no query)."""
    return {
        "id": goal.pk,
        "title": goal.title,
        "why": goal.why,
        "measure": goal.measure,
        "target_date": goal.target_date,
        "status": goal.status,
        "progress": goal.progress,
        "proposed_by": goal.proposed_by_id,
        "created_at": goal.created_at,
        "accepted_at": goal.accepted_at,
        "completed_at": goal.completed_at,
        "milestones": [milestone_dict(m) for m in goal.milestones.all()],
        "action_items": [
            {
                "id": link.action_item.pk,
                "title": link.action_item.title,
                "due_on": link.action_item.due_on,
                "done": link.action_item.completed_at is not None,
            }
            for link in goal.action_links.all()
        ],
        "url": reverse("wellbeing_goals:detail", args=[goal.pk]),
    }


def _own(request: HttpRequest, goal_id: int) -> dict[str, Any]:
    return goal_dict(selectors.goal_for_client(_client(request), goal_id))


def _milestones(payload: GoalIn) -> list[tuple[str, Any]]:
    return [(m.title, m.due_on) for m in payload.milestones]


@router.get(
    "/goals",
    response={200: list[GoalOut], **ERRORS},
    url_name="wellbeing_goals",
    summary="List goals",
)
def goal_list(request: HttpRequest, query: Query[GoalsQuery]) -> list[dict[str, Any]]:
    """The caller's goals of one filter (`active` = active and paused), newest first."""
    return [goal_dict(goal) for goal in selectors.goals_for_client(_client(request), query.status)]


@router.post(
    "/goals",
    response={201: GoalOut, **ERRORS},
    url_name="wellbeing_goal_create",
    summary="Create a goal",
)
def goal_create(request: HttpRequest, payload: GoalIn) -> Status[dict[str, Any]]:
    """A new active goal with its milestones (at most 20)."""
    goal = services.goal_create(
        client=_client(request),
        title=payload.title,
        why=payload.why,
        measure=payload.measure,
        target_date=payload.target_date,
        milestones=_milestones(payload),
    )
    return Status(201, _own(request, goal.pk))


@router.get(
    "/goals/{int:goal_id}",
    response={200: GoalOut, **ERRORS},
    url_name="wellbeing_goal",
    summary="Read a goal",
)
def goal_read(request: HttpRequest, goal_id: int) -> dict[str, Any]:
    return _own(request, goal_id)


@router.patch(
    "/goals/{int:goal_id}",
    response={200: GoalOut, **ERRORS},
    url_name="wellbeing_goal_update",
    summary="Change a goal",
)
def goal_update(request: HttpRequest, goal_id: int, payload: GoalPatch) -> dict[str, Any]:
    """Change the fields sent (texts, target date, and `progress` for a goal without
    milestones), together or not at all."""
    client = _client(request)
    sent = payload.model_dump(exclude_unset=True)
    with transaction.atomic():
        goal = selectors.goal_for_client(client, goal_id)
        fields = ("title", "why", "measure", "target_date")
        if any(key in sent for key in fields):
            current: dict[str, Any] = {key: getattr(goal, key) for key in fields}
            for key in fields:
                if key in sent:
                    current[key] = sent[key]
            services.goal_update(client=client, goal_id=goal.pk, **current)
        if "progress" in sent:
            services.goal_set_progress(client=client, goal_id=goal.pk, progress=sent["progress"])
    return _own(request, goal_id)


@router.delete(
    "/goals/{int:goal_id}",
    response={204: None, **ERRORS},
    url_name="wellbeing_goal_delete",
    summary="Delete a goal",
)
def goal_delete(request: HttpRequest, goal_id: int) -> Status[None]:
    services.goal_delete(client=_client(request), goal_id=goal_id)
    return Status(204, None)


@router.post(
    "/goals/{int:goal_id}/status",
    response={200: GoalOut, **ERRORS},
    url_name="wellbeing_goal_status",
    summary="Change a goal's status",
)
def goal_status(request: HttpRequest, goal_id: int, payload: StatusIn) -> dict[str, Any]:
    """active ↔ paused, active/paused → completed or abandoned, completed → active."""
    services.goal_set_status(client=_client(request), goal_id=goal_id, status=payload.status)
    return _own(request, goal_id)


@router.post(
    "/goals/{int:goal_id}/answer",
    response={200: GoalOut, **ERRORS},
    url_name="wellbeing_goal_answer",
    summary="Accept or decline a proposed goal",
)
def goal_answer(request: HttpRequest, goal_id: int, payload: AnswerIn) -> dict[str, Any]:
    services.goal_answer_proposal(client=_client(request), goal_id=goal_id, accept=payload.accept)
    return _own(request, goal_id)


@router.post(
    "/goals/{int:goal_id}/milestones",
    response={201: MilestoneOut, **ERRORS},
    url_name="wellbeing_milestone_add",
    summary="Add a milestone",
)
def milestone_add(
    request: HttpRequest, goal_id: int, payload: MilestoneIn
) -> Status[dict[str, Any]]:
    milestone = services.milestone_add(
        client=_client(request), goal_id=goal_id, title=payload.title, due_on=payload.due_on
    )
    return Status(201, milestone_dict(milestone))


@router.patch(
    "/milestones/{int:milestone_id}",
    response={200: MilestoneToggleOut, **ERRORS},
    url_name="wellbeing_milestone_update",
    summary="Change or tick off a milestone",
)
def milestone_update(
    request: HttpRequest, milestone_id: int, payload: MilestonePatch
) -> dict[str, Any]:
    """Change `title`/`due_on`, and mark it `done` or not. `celebrate` is true only when
    this call completed it; ticking it off again is a harmless replay."""
    client = _client(request)
    sent = payload.model_dump(exclude_unset=True)
    with transaction.atomic():
        milestone = selectors.milestone_for_client(client, milestone_id)
        if "title" in sent or "due_on" in sent:
            services.milestone_update(
                client=client,
                milestone_id=milestone.pk,
                title=sent.get("title", milestone.title),
                due_on=sent.get("due_on", milestone.due_on),
            )
        celebrate = hint = False
        if sent.get("done") is not None:
            result = services.milestone_toggle(
                client=client, milestone_id=milestone.pk, done=sent["done"]
            )
            celebrate, hint = result.celebrate, result.goal_completed_hint
    goal = selectors.goal_for_client(client, milestone.goal_id)
    fresh = next(m for m in goal.milestones.all() if m.pk == milestone.pk)
    return {
        "milestone": milestone_dict(fresh),
        "celebrate": celebrate,
        "goal_completed_hint": hint,
        "goal": goal_dict(goal),
    }


@router.delete(
    "/milestones/{int:milestone_id}",
    response={204: None, **ERRORS},
    url_name="wellbeing_milestone_delete",
    summary="Remove a milestone",
)
def milestone_delete(request: HttpRequest, milestone_id: int) -> Status[None]:
    services.milestone_delete(client=_client(request), milestone_id=milestone_id)
    return Status(204, None)


@router.post(
    "/goals/{int:goal_id}/action-items",
    response={200: GoalOut, **ERRORS},
    url_name="wellbeing_goal_link",
    summary="Link an action item to a goal",
)
def goal_link(request: HttpRequest, goal_id: int, payload: LinkIn) -> dict[str, Any]:
    """Link one of the caller's own action items (linking it again changes nothing)."""
    services.goal_link_action_item(
        client=_client(request), goal_id=goal_id, action_item_id=payload.action_item
    )
    return _own(request, goal_id)


@router.delete(
    "/goals/{int:goal_id}/action-items/{int:item_id}",
    response={204: None, **ERRORS},
    url_name="wellbeing_goal_unlink",
    summary="Unlink an action item from a goal",
)
def goal_unlink(request: HttpRequest, goal_id: int, item_id: int) -> Status[None]:
    services.goal_unlink_action_item(
        client=_client(request), goal_id=goal_id, action_item_id=item_id
    )
    return Status(204, None)


# --- Coaches -----------------------------------------------------------------------------------


@router.post(
    "/clients/{int:client_id}/goals",
    response={201: GoalOut, **ERRORS},
    url_name="wellbeing_goal_propose",
    summary="Propose a goal to a client",
)
def goal_propose(request: HttpRequest, client_id: int, payload: GoalIn) -> Status[dict[str, Any]]:
    """A coach proposes a goal to one of their active clients (404 for anyone else)."""
    coach = require_coach(request)
    goal = services.goal_propose(
        coach=coach,
        client_id=client_id,
        title=payload.title,
        why=payload.why,
        measure=payload.measure,
        target_date=payload.target_date,
        milestones=_milestones(payload),
    )
    visible = next(g for g in selectors.goals_visible_to_coach(coach, client_id) if g.pk == goal.pk)
    return Status(201, goal_dict(visible))


@router.delete(
    "/goals/{int:goal_id}/proposal",
    response={204: None, **ERRORS},
    url_name="wellbeing_goal_withdraw",
    summary="Withdraw a proposal",
)
def goal_withdraw(request: HttpRequest, goal_id: int) -> Status[None]:
    """The coach withdraws a proposal the client has not answered yet (409 after)."""
    services.goal_withdraw_proposal(coach=require_coach(request), goal_id=goal_id)
    return Status(204, None)

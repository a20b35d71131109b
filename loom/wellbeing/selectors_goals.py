"""Reading goals, each read scoped to the person asking.

A client reads their own goals; a coach reads the goals of an active client that they
proposed or that the client shares (``SharingPreference.share_goals``, on when there
is no row) — the same rule as the row-level-security policies of migration 0002, so
the application and the database agree. Lists prefetch milestones and linked action
items, so a page of goals costs the same few queries however many goals it holds.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from loom.accounts.models import CoachClient, User
from loom.core.errors import NotFound
from loom.core.ids import parse_object_id
from loom.scheduling.models import ActionItem
from loom.wellbeing.models import Goal, GoalActionItem, Milestone, SharingPreference

Status = Goal.Status

# The list page's filters, and the statuses each shows.
FILTERS: dict[str, tuple[str, ...]] = {
    "active": (Status.ACTIVE, Status.PAUSED),
    "proposed": (Status.PROPOSED,),
    "completed": (Status.COMPLETED,),
    "all": tuple(Status.values),
}
DEFAULT_FILTER = "active"


def _with_parts(goals: QuerySet[Goal]) -> QuerySet[Goal]:
    return goals.select_related("proposed_by").prefetch_related(
        Prefetch("milestones", queryset=Milestone.objects.order_by("position", "id")),
        Prefetch(
            "action_links",
            queryset=GoalActionItem.objects.select_related("action_item").order_by(
                "action_item__due_on", "action_item_id"
            ),
        ),
    )


def goals_for_client(client: User, status_filter: str = DEFAULT_FILTER) -> list[Goal]:
    """``client``'s goals of one filter (``FILTERS``), newest first; three queries."""
    statuses = FILTERS.get(status_filter, FILTERS[DEFAULT_FILTER])
    return list(
        _with_parts(
            Goal.objects.filter(client=client, status__in=statuses).order_by("-created_at", "-id")
        )
    )


def goal_counts(client: User) -> dict[str, int]:
    """How many of ``client``'s goals each filter shows (one query)."""
    counts = {key: 0 for key in FILTERS}
    for status in Goal.objects.filter(client=client).values_list("status", flat=True):
        for key, statuses in FILTERS.items():
            if status in statuses:
                counts[key] += 1
    return counts


def goal_for_client(client: User, goal_id: Any) -> Goal:
    """One of ``client``'s goals with its parts, or ``NotFound``."""
    pk = parse_object_id(goal_id)
    goal = _with_parts(Goal.objects.filter(pk=pk, client=client)).first() if pk else None
    if goal is None:
        raise NotFound(_("Goal not found."), code="goal_not_found")
    return goal


def milestone_for_client(client: User, milestone_id: Any) -> Milestone:
    pk = parse_object_id(milestone_id)
    milestone = (
        Milestone.objects.filter(pk=pk, goal__client=client).select_related("goal").first()
        if pk
        else None
    )
    if milestone is None:
        raise NotFound(_("Milestone not found."), code="milestone_not_found")
    return milestone


def _coach_visible(coach: User) -> Q:
    """Proposed by ``coach`` (any answer), or a goal the client took on while they share
    goals. Another coach's open or declined proposal is between that coach and the
    client, so sharing goals does not show it (the RLS policy is wider: R2 request)."""
    shares = SharingPreference.objects.filter(client_id=OuterRef("client_id"), share_goals=False)
    taken_on = ~Q(status__in=[Status.PROPOSED, Status.DECLINED])
    return Q(proposed_by=coach) | (Q(~Exists(shares)) & taken_on)


def active_client_of(coach: User, client_id: Any) -> User:
    """An active client of ``coach``'s, or ``NotFound``."""
    pk = parse_object_id(client_id)
    link = (
        CoachClient.objects.filter(coach=coach, client_id=pk, status=CoachClient.Status.ACTIVE)
        .select_related("client")
        .first()
        if pk
        else None
    )
    if link is None:
        raise NotFound(_("Client not found."), code="client_not_found")
    return link.client


def goals_visible_to_coach(coach: User, client_id: Any) -> list[Goal]:
    """The goals of an active client of ``coach``'s that the coach may see: proposed by
    them, or shared by the client (not other coaches' proposals). Newest first."""
    client = active_client_of(coach, client_id)
    goals = Goal.objects.filter(_coach_visible(coach), client=client).order_by("-created_at", "-id")
    return list(_with_parts(goals))


def proposal_for_coach(coach: User, goal_id: Any) -> Goal:
    """A goal ``coach`` proposed to a client still on their active roster, or ``NotFound``."""
    pk = parse_object_id(goal_id)
    goal = (
        Goal.objects.filter(
            pk=pk,
            proposed_by=coach,
            client__coach_links__coach=coach,
            client__coach_links__status=CoachClient.Status.ACTIVE,
        )
        .select_related("client")
        .first()
        if pk
        else None
    )
    if goal is None:
        raise NotFound(_("Goal not found."), code="goal_not_found")
    return goal


def open_action_items_for_linking(client: User, *, goal: Goal | None = None) -> list[ActionItem]:
    """``client``'s action items not done yet (and not linked to ``goal`` already)."""
    items = ActionItem.objects.filter(client=client, completed_at__isnull=True)
    if goal is not None:
        items = items.exclude(goal_links__goal=goal)
    return list(items.order_by("due_on", "id")[:200])

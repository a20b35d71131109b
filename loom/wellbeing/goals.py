"""Goals: what a client works towards, its milestones, and the coach's proposals.

A client writes their own goals (active at once) and answers their coaches'
proposals (accept: active; decline: declined). Statuses move only along
``TRANSITIONS``; anything else is a clear refusal that changes nothing. Progress is
the share of milestones done when the goal has milestones (recomputed on every
milestone change, so it can never disagree with them) and is set by hand otherwise.

Completing a goal or a milestone tells the coaches who can see the goal — the coach
who proposed it, and every active coach while the client shares their goals — with
a ``goal_completed`` notice in the coach's language. Goal texts are encrypted at rest
and never leave in a notice: "Noa completed a milestone", not which one. Proposals
tell the client the same way ("Dana proposed a goal for you").

Every write locks the goal row first (``select_for_update``), so two tabs toggling
milestones cannot compute progress from stale counts. A goal, milestone or action
item that is not the caller's is a ``NotFound``, exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from loom.accounts.models import CoachClient, Language, Role, User
from loom.core.email import email_payload
from loom.core.errors import Conflict, DomainError, Forbidden, NotFound
from loom.core.ids import parse_object_id
from loom.core.notices import Notice, notice_send, notices_seen
from loom.journal.days import local_today
from loom.scheduling.models import ActionItem
from loom.wellbeing.models import (
    GOAL_TITLE_MAX,
    TEXT_MAX,
    Goal,
    GoalActionItem,
    Milestone,
    SharingPreference,
)

Status = Goal.Status

MILESTONES_MAX = 20
# Action items linked to one goal; a session plan never comes near it.
ACTION_LINKS_MAX = 50

# Where each status may go by ``goal_set_status``. Proposals are answered by
# ``goal_answer_proposal`` instead, and a declined proposal stays declined.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.ACTIVE: frozenset({Status.PAUSED, Status.COMPLETED, Status.ABANDONED}),
    Status.PAUSED: frozenset({Status.ACTIVE, Status.COMPLETED, Status.ABANDONED}),
    Status.COMPLETED: frozenset({Status.ACTIVE}),
    Status.ABANDONED: frozenset(),
    Status.PROPOSED: frozenset(),
    Status.DECLINED: frozenset(),
}
# A goal whose texts the client may change (a proposal is answered first).
EDITABLE = frozenset({Status.ACTIVE, Status.PAUSED, Status.COMPLETED, Status.ABANDONED})
# A goal whose milestones and progress may change: one being worked on.
WORKING = frozenset({Status.ACTIVE, Status.PAUSED})

NOTICE_COMPLETED = "goal_completed"
NOTICE_PROPOSED = "goal_proposed"
EMAIL_COMPLETED = "wellbeing/email/goal_completed"
EMAIL_PROPOSED = "wellbeing/email/goal_proposed"


@dataclass(frozen=True)
class MilestoneResult:
    milestone: Milestone
    # The milestone became done by this call: the page shows a celebration.
    celebrate: bool
    # Every milestone is done and the goal is not complete yet: offer to complete it.
    goal_completed_hint: bool


# --- Checks ------------------------------------------------------------------------------------


def _require_client(user: User) -> None:
    if not user.is_authenticated or user.role != Role.CLIENT:
        raise Forbidden(_("Only clients keep goals."), code="not_a_client")


def _require_coach(user: User) -> None:
    if not user.is_authenticated or user.role != Role.COACH:
        raise Forbidden(_("Only coaches can propose goals."), code="not_a_coach")


def _id(value: Any) -> int:
    """A primary key from a caller, or ``NotFound`` (an id that cannot exist is not found)."""
    pk = parse_object_id(value)
    if pk is None:
        raise NotFound(_("Not found."))
    return pk


def _text(value: Any, *, field: str, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: _("Enter text.")})
    value = value.strip()
    if "\x00" in value:
        raise ValidationError({field: _("This text contains a character that cannot be saved.")})
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError(
            {
                field: _("Keep this to %(limit)d characters (it has %(count)d).")
                % {"limit": limit, "count": len(value)}
            }
        )
    return value


def _future_date(value: Any, *, client: User, field: str) -> date | None:
    """A date that is not before the client's own today (``None`` stays ``None``)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError({field: _("Enter a valid date.")})
    if value < local_today(client):
        raise ValidationError({field: _("Choose today or a later date.")})
    return value


def _milestone_specs(milestones: Iterable[Any], *, client: User) -> list[tuple[str, date | None]]:
    """``[(title, due_on)]`` from titles or ``(title, due_on)`` pairs; blanks are skipped."""
    specs: list[tuple[str, date | None]] = []
    for item in milestones or ():
        if isinstance(item, str):
            title_raw, due_raw = item, None
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            title_raw, due_raw = item
        else:
            raise ValidationError({"milestones": _("Each milestone needs a title.")})
        title = _text(title_raw, field="milestones", limit=GOAL_TITLE_MAX)
        if not title:
            continue
        specs.append((title, _future_date(due_raw, client=client, field="milestones")))
    if len(specs) > MILESTONES_MAX:
        raise ValidationError(
            {"milestones": _("A goal has at most %(max)d milestones.") % {"max": MILESTONES_MAX}}
        )
    return specs


def _goal_fields(
    *,
    client: User,
    title: Any,
    why: Any,
    measure: Any,
    target_date: Any,
    check_target: bool = True,
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    checks = (
        ("title", lambda: _text(title, field="title", limit=GOAL_TITLE_MAX, required=True)),
        ("why", lambda: _text(why, field="why", limit=TEXT_MAX)),
        ("measure", lambda: _text(measure, field="measure", limit=TEXT_MAX)),
        (
            "target_date",
            (lambda: _future_date(target_date, client=client, field="target_date"))
            if check_target
            else (lambda: target_date or None),
        ),
    )
    # Every field is checked, so a form shows all of its errors at once.
    for name, check in checks:
        try:
            values[name] = check()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return values


def _lock_own_goal(client: User, goal_id: Any) -> Goal:
    goal = Goal.objects.select_for_update().filter(pk=_id(goal_id), client=client).first()
    if goal is None:
        raise NotFound(_("Goal not found."), code="goal_not_found")
    return goal


def _lock_own_milestone(client: User, milestone_id: Any) -> tuple[Milestone, Goal]:
    goal_id = (
        Milestone.objects.filter(pk=_id(milestone_id), goal__client=client)
        .values_list("goal_id", flat=True)
        .first()
    )
    if goal_id is None:
        raise NotFound(_("Milestone not found."), code="milestone_not_found")
    # The goal first, then its milestone: every write takes locks in that order.
    goal = _lock_own_goal(client, goal_id)
    milestone = (
        Milestone.objects.select_for_update().filter(pk=_id(milestone_id), goal=goal).first()
    )
    if milestone is None:
        raise NotFound(_("Milestone not found."), code="milestone_not_found")
    return milestone, goal


def _require_working(goal: Goal) -> None:
    if goal.status not in WORKING:
        raise Conflict(
            _("Milestones and progress change only while the goal is active or paused."),
            code="goal_not_in_progress",
        )


def _require_editable(goal: Goal) -> None:
    if goal.status not in EDITABLE:
        raise Conflict(_("Accept this proposal before changing it."), code="goal_not_editable")


def _recompute_progress(goal: Goal) -> bool:
    """Set ``goal.progress`` from its milestones; True when there are any."""
    milestones = list(goal.milestones.values_list("completed_at", flat=True))
    if not milestones:
        return False
    done = sum(1 for completed_at in milestones if completed_at is not None)
    goal.progress = round(done * 100 / len(milestones))
    return True


def _save(goal: Goal, *fields: str) -> None:
    goal.updated_at = timezone.now()
    goal.save(update_fields=[*fields, "updated_at"])


# --- Notices -----------------------------------------------------------------------------------


def _language(user: User) -> str:
    return user.language if user.language in Language.values else settings.LANGUAGE_CODE


def coaches_seeing(goal: Goal) -> list[User]:
    """The active coaches of the goal's client who may see it (the RLS rule, in Python)."""
    links = CoachClient.objects.filter(
        client_id=goal.client_id, status=CoachClient.Status.ACTIVE
    ).select_related("coach")
    shares = (
        SharingPreference.objects.filter(client_id=goal.client_id)
        .values_list("share_goals", flat=True)
        .first()
    )
    shared = True if shares is None else shares
    return [
        link.coach
        for link in links.order_by("coach_id")
        if shared or link.coach_id == goal.proposed_by_id
    ]


def _tell_coaches_completed(goal: Goal, client: User, *, milestone: Milestone | None) -> None:
    moment = (milestone.completed_at if milestone else goal.completed_at) or timezone.now()
    if milestone is not None:
        source = f"milestone-done:{milestone.pk}:{moment.timestamp():.6f}"
    else:
        source = f"goal-completed:{goal.pk}:{moment.timestamp():.6f}"
    path = reverse("coach:client_tab", args=[client.pk, "progress"])
    for coach in coaches_seeing(goal):
        language = _language(coach)
        with translation.override(language):
            if milestone is not None:
                title = _("%(client)s completed a milestone") % {"client": client.display_name}
            else:
                title = _("%(client)s completed a goal") % {"client": client.display_name}
            body = _("Open their progress to celebrate with them.")
        context = {
            "user_name": coach.display_name,
            "subject_line": title,
            "lead": body,
            "url": settings.LOOM_BASE_URL.rstrip("/") + path,
        }
        notice_send(
            Notice(
                user_id=coach.pk,
                kind=NOTICE_COMPLETED,
                # One source per coach: the outbox keeps one notice per source.
                source=f"{source}:{coach.pk}",
                title=title[:200],
                body=body,
                url=path,
                email=email_payload(
                    template=EMAIL_COMPLETED,
                    context=context,
                    language=language,
                    time_zone=coach.timezone,
                ),
            )
        )


def _proposal_source(goal_id: int) -> str:
    # The trailing colon keeps goal 1's prefix from matching goal 10's notices.
    return f"goal-proposed:{goal_id}:"


def _tell_client_proposed(goal: Goal, coach: User, client: User) -> None:
    language = _language(client)
    path = reverse("wellbeing_goals:list") + "?show=proposed"
    with translation.override(language):
        title = _("%(coach)s proposed a goal for you") % {"coach": coach.display_name}
        body = _("Open your goals to accept or decline it.")
    context = {
        "user_name": client.display_name,
        "subject_line": title,
        "lead": body,
        "url": settings.LOOM_BASE_URL.rstrip("/") + path,
    }
    notice_send(
        Notice(
            user_id=client.pk,
            kind=NOTICE_PROPOSED,
            source=f"{_proposal_source(goal.pk)}new",
            title=title[:200],
            body=body,
            url=path,
            email=email_payload(
                template=EMAIL_PROPOSED,
                context=context,
                language=language,
                time_zone=client.timezone,
            ),
        )
    )


# --- Client: goals -----------------------------------------------------------------------------


def _add_milestones(goal: Goal, specs: Sequence[tuple[str, date | None]], start: int = 0) -> None:
    Milestone.objects.bulk_create(
        Milestone(goal=goal, title=title, due_on=due_on, position=start + index)
        for index, (title, due_on) in enumerate(specs)
    )


@transaction.atomic
def goal_create(
    *,
    client: User,
    title: str,
    why: str = "",
    measure: str = "",
    target_date: date | None = None,
    milestones: Iterable[Any] = (),
) -> Goal:
    """A new active goal of ``client``'s, with its milestones in the order given."""
    _require_client(client)
    fields = _goal_fields(
        client=client, title=title, why=why, measure=measure, target_date=target_date
    )
    specs = _milestone_specs(milestones, client=client)
    goal = Goal.objects.create(client=client, status=Status.ACTIVE, **fields)
    _add_milestones(goal, specs)
    return goal


@transaction.atomic
def goal_update(
    *,
    client: User,
    goal_id: Any,
    title: str,
    why: str = "",
    measure: str = "",
    target_date: date | None = None,
) -> Goal:
    """Change the goal's texts and target date. A target date already in the past may stay
    (a goal running late), but a new one must not be before the client's today."""
    _require_client(client)
    goal = _lock_own_goal(client, goal_id)
    _require_editable(goal)
    fields = _goal_fields(
        client=client,
        title=title,
        why=why,
        measure=measure,
        target_date=target_date,
        check_target=target_date != goal.target_date,
    )
    for name, value in fields.items():
        setattr(goal, name, value)
    _save(goal, *fields)
    return goal


@transaction.atomic
def goal_set_status(*, client: User, goal_id: Any, status: str) -> Goal:
    """Move the goal to ``status`` along ``TRANSITIONS``. Completing sets ``completed_at``
    and progress 100 and tells the coaches; reopening clears ``completed_at``."""
    _require_client(client)
    goal = _lock_own_goal(client, goal_id)
    if status not in Status.values:
        raise DomainError(_("Unknown status."), code="invalid_status")
    if status not in TRANSITIONS[goal.status]:
        raise Conflict(
            _("A goal that is %(current)s cannot become %(new)s.")
            % {"current": Status(goal.status).label, "new": Status(status).label},
            code="invalid_transition",
        )
    previous = goal.status
    goal.status = status
    fields = ["status"]
    if status == Status.COMPLETED:
        goal.completed_at = timezone.now()
        goal.progress = 100
        fields += ["completed_at", "progress"]
    elif previous == Status.COMPLETED:
        goal.completed_at = None
        fields.append("completed_at")
        if _recompute_progress(goal):
            fields.append("progress")
    _save(goal, *fields)
    if status == Status.COMPLETED:
        _tell_coaches_completed(goal, client, milestone=None)
    return goal


@transaction.atomic
def goal_set_progress(*, client: User, goal_id: Any, progress: Any) -> Goal:
    """Set progress by hand (0–100), only on a goal being worked on without milestones."""
    _require_client(client)
    goal = _lock_own_goal(client, goal_id)
    _require_working(goal)
    if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
        raise ValidationError({"progress": _("Progress is a whole number from 0 to 100.")})
    if goal.milestones.exists():
        raise Conflict(
            _("This goal's progress comes from its milestones."), code="progress_from_milestones"
        )
    goal.progress = progress
    _save(goal, "progress")
    return goal


@transaction.atomic
def goal_delete(*, client: User, goal_id: Any) -> None:
    """Delete the goal for good, with its milestones and action-item links."""
    _require_client(client)
    goal = _lock_own_goal(client, goal_id)
    pk = goal.pk
    goal.delete()
    notices_seen(user_id=client.pk, source_prefix=_proposal_source(pk))


@transaction.atomic
def goal_answer_proposal(*, client: User, goal_id: Any, accept: bool) -> Goal:
    """Accept (the goal becomes active) or decline a coach's proposal, once."""
    _require_client(client)
    goal = _lock_own_goal(client, goal_id)
    if goal.status != Status.PROPOSED:
        raise Conflict(_("This goal is not a proposal waiting for an answer."), code="not_proposed")
    if accept:
        goal.status = Status.ACTIVE
        goal.accepted_at = timezone.now()
        _save(goal, "status", "accepted_at")
    else:
        goal.status = Status.DECLINED
        _save(goal, "status")
    notices_seen(user_id=client.pk, source_prefix=_proposal_source(goal.pk))
    return goal


# --- Client: milestones ------------------------------------------------------------------------


@transaction.atomic
def milestone_add(
    *, client: User, goal_id: Any, title: str, due_on: date | None = None
) -> Milestone:
    """A new milestone at the end of the goal's list (progress is recomputed)."""
    _require_client(client)
    goal = _lock_own_goal(client, goal_id)
    _require_working(goal)
    clean_title = _text(title, field="title", limit=GOAL_TITLE_MAX, required=True)
    clean_due = _future_date(due_on, client=client, field="due_on")
    stats = goal.milestones.aggregate(last=Max("position"), count=Count("id"))
    if stats["count"] >= MILESTONES_MAX:
        raise ValidationError(
            {"title": _("A goal has at most %(max)d milestones.") % {"max": MILESTONES_MAX}}
        )
    milestone = Milestone.objects.create(
        goal=goal,
        title=clean_title,
        due_on=clean_due,
        position=(stats["last"] if stats["last"] is not None else -1) + 1,
    )
    if _recompute_progress(goal):
        _save(goal, "progress")
    return milestone


@transaction.atomic
def milestone_update(
    *, client: User, milestone_id: Any, title: str, due_on: date | None = None
) -> Milestone:
    _require_client(client)
    milestone, goal = _lock_own_milestone(client, milestone_id)
    _require_working(goal)
    clean_title = _text(title, field="title", limit=GOAL_TITLE_MAX, required=True)
    clean_due = (
        _future_date(due_on, client=client, field="due_on")
        if due_on != milestone.due_on
        else due_on
    )
    milestone.title = clean_title
    milestone.due_on = clean_due
    milestone.save(update_fields=["title", "due_on"])
    return milestone


@transaction.atomic
def milestone_toggle(*, client: User, milestone_id: Any, done: bool) -> MilestoneResult:
    """Mark a milestone done or not done. Marking it done again changes nothing (a replay
    neither celebrates nor tells the coach twice)."""
    _require_client(client)
    milestone, goal = _lock_own_milestone(client, milestone_id)
    _require_working(goal)
    celebrate = False
    if done and milestone.completed_at is None:
        milestone.completed_at = timezone.now()
        milestone.save(update_fields=["completed_at"])
        celebrate = True
    elif not done and milestone.completed_at is not None:
        milestone.completed_at = None
        milestone.save(update_fields=["completed_at"])
    if _recompute_progress(goal):
        _save(goal, "progress")
    if celebrate:
        _tell_coaches_completed(goal, client, milestone=milestone)
    return MilestoneResult(
        milestone=milestone,
        celebrate=celebrate,
        goal_completed_hint=goal.progress == 100 and goal.status != Status.COMPLETED,
    )


@transaction.atomic
def milestone_delete(*, client: User, milestone_id: Any) -> Goal:
    _require_client(client)
    milestone, goal = _lock_own_milestone(client, milestone_id)
    _require_working(goal)
    milestone.delete()
    if _recompute_progress(goal):
        _save(goal, "progress")
    return goal


@transaction.atomic
def milestones_reorder(*, client: User, goal_id: Any, milestone_ids: Sequence[Any]) -> Goal:
    """Put the goal's milestones in the order of ``milestone_ids`` (every one, once)."""
    _require_client(client)
    goal = _lock_own_goal(client, goal_id)
    _require_working(goal)
    wanted = [parse_object_id(value) for value in milestone_ids or ()]
    current = list(goal.milestones.order_by("position", "id"))
    if None in wanted or sorted(wanted) != sorted(m.pk for m in current):  # type: ignore[type-var]
        raise DomainError(
            _("List every milestone of this goal exactly once."), code="invalid_order"
        )
    by_id = {m.pk: m for m in current}
    changed = []
    for position, pk in enumerate(wanted):
        milestone = by_id[pk]  # type: ignore[index]
        if milestone.position != position:
            milestone.position = position
            changed.append(milestone)
    Milestone.objects.bulk_update(changed, ["position"])
    return goal


@transaction.atomic
def milestone_move(*, client: User, milestone_id: Any, offset: int) -> Goal:
    """Move a milestone one place up (-1) or down (+1); at either end nothing changes."""
    _require_client(client)
    milestone, goal = _lock_own_milestone(client, milestone_id)
    ids = list(goal.milestones.order_by("position", "id").values_list("pk", flat=True))
    index = ids.index(milestone.pk)
    target = index + (1 if offset > 0 else -1)
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
    return milestones_reorder(client=client, goal_id=goal.pk, milestone_ids=ids)


# --- Client: action items ----------------------------------------------------------------------


@transaction.atomic
def goal_link_action_item(*, client: User, goal_id: Any, action_item_id: Any) -> GoalActionItem:
    """Link one of the client's own action items to the goal (linking twice is one link)."""
    _require_client(client)
    goal = _lock_own_goal(client, goal_id)
    _require_editable(goal)
    item = ActionItem.objects.filter(pk=_id(action_item_id), client=client).first()
    if item is None:
        raise NotFound(_("Action item not found."), code="action_item_not_found")
    existing = GoalActionItem.objects.filter(goal=goal, action_item=item).first()
    if existing is not None:
        return existing
    if GoalActionItem.objects.filter(goal=goal).count() >= ACTION_LINKS_MAX:
        raise DomainError(
            _("A goal has at most %(max)d linked action items.") % {"max": ACTION_LINKS_MAX},
            code="too_many_links",
        )
    try:
        with transaction.atomic():
            return GoalActionItem.objects.create(goal=goal, action_item=item)
    except IntegrityError:
        # The goal row is locked, so only a replay racing outside it lands here.
        return GoalActionItem.objects.get(goal=goal, action_item=item)


@transaction.atomic
def goal_unlink_action_item(*, client: User, goal_id: Any, action_item_id: Any) -> None:
    _require_client(client)
    goal = _lock_own_goal(client, goal_id)
    deleted, _rows = GoalActionItem.objects.filter(
        goal=goal, action_item_id=_id(action_item_id)
    ).delete()
    if not deleted:
        raise NotFound(_("That action item is not linked to this goal."), code="link_not_found")


# --- Coach: proposals --------------------------------------------------------------------------


@transaction.atomic
def goal_propose(
    *,
    coach: User,
    client_id: Any,
    title: str,
    why: str = "",
    measure: str = "",
    target_date: date | None = None,
    milestones: Iterable[Any] = (),
) -> Goal:
    """Propose a goal to one of the coach's active clients; the client is told."""
    _require_coach(coach)
    link = (
        CoachClient.objects.filter(
            coach=coach, client_id=_id(client_id), status=CoachClient.Status.ACTIVE
        )
        .select_related("client")
        .first()
    )
    if link is None:
        raise NotFound(_("Client not found."), code="client_not_found")
    client = link.client
    fields = _goal_fields(
        client=client, title=title, why=why, measure=measure, target_date=target_date
    )
    specs = _milestone_specs(milestones, client=client)
    goal = Goal.objects.create(client=client, proposed_by=coach, status=Status.PROPOSED, **fields)
    _add_milestones(goal, specs)
    _tell_client_proposed(goal, coach, client)
    return goal


@transaction.atomic
def goal_withdraw_proposal(*, coach: User, goal_id: Any) -> int:
    """Delete the coach's proposal while the client has not answered it. Returns the client id."""
    _require_coach(coach)
    goal = (
        Goal.objects.filter(
            pk=_id(goal_id),
            proposed_by=coach,
            client__coach_links__coach=coach,
            client__coach_links__status=CoachClient.Status.ACTIVE,
        )
        .only("pk", "client_id", "status")
        .first()
    )
    if goal is None:
        raise NotFound(_("Goal not found."), code="goal_not_found")
    # A conditional delete instead of a lock: row-level security lets a coach lock (and
    # change) only an unanswered proposal, and an answer racing this one wins cleanly.
    deleted = 0
    if goal.status == Status.PROPOSED:
        deleted, _rows = Goal.objects.filter(pk=goal.pk, status=Status.PROPOSED).delete()
    if not deleted:
        raise Conflict(_("The client has already answered this proposal."), code="already_answered")
    client_id = goal.client_id
    notices_seen(user_id=client_id, source_prefix=_proposal_source(goal.pk))
    return client_id

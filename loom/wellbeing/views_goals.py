"""Goal pages: the client's list, new/edit/delete, the detail page with its milestone
checklist, status actions and action-item links; the coach's proposal form and withdraw.

Views are thin: they parse a form, call one service of ``loom.wellbeing.goals`` and
redirect (POST, then GET). A goal, milestone or client that is not the caller's is a
404. A refused action (a transition that is not allowed, a full milestone list) comes
back as a message on the goal's page and changes nothing.

Celebrations: completing a milestone or a goal stores only its id in the session; the
next page of that goal reads the title through the client's own selector and shows
"Milestone reached: …!" once. The text itself is never put in the session.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from loom.accounts.forms import apply_service_error, form_data
from loom.accounts.models import User
from loom.accounts.permissions import client_required, coach_required
from loom.core.errors import DomainError, NotFound
from loom.journal.days import local_today
from loom.wellbeing import goals as services
from loom.wellbeing import selectors_goals as selectors
from loom.wellbeing.forms_goals import (
    GoalEditForm,
    GoalForm,
    LinkActionItemForm,
    MilestoneForm,
    ProgressForm,
)
from loom.wellbeing.models import Goal

CELEBRATE_KEY = "wellbeing_goals_celebrate"
Status = Goal.Status

# The status buttons of the detail page: (target status, button text).
STATUS_ACTIONS: dict[str, list[tuple[str, Any]]] = {
    Status.ACTIVE: [
        (Status.PAUSED, gettext_lazy("Pause")),
        (Status.COMPLETED, gettext_lazy("Mark complete")),
        (Status.ABANDONED, gettext_lazy("Abandon")),
    ],
    Status.PAUSED: [
        (Status.ACTIVE, gettext_lazy("Resume")),
        (Status.COMPLETED, gettext_lazy("Mark complete")),
        (Status.ABANDONED, gettext_lazy("Abandon")),
    ],
    Status.COMPLETED: [(Status.ACTIVE, gettext_lazy("Reopen"))],
}
STATUS_TONES = {
    Status.PROPOSED: "info",
    Status.ACTIVE: "success",
    Status.PAUSED: "warning",
    Status.COMPLETED: "success",
    Status.ABANDONED: "neutral",
    Status.DECLINED: "neutral",
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _detail(goal_id: int) -> HttpResponse:
    return redirect("wellbeing_goals:detail", goal_id)


def _refused(request: HttpRequest, exc: DomainError | ValidationError) -> None:
    if isinstance(exc, ValidationError):
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.error(request, str(exc))


def _celebrate(request: HttpRequest, kind: str, pk: int) -> None:
    request.session[CELEBRATE_KEY] = {"kind": kind, "id": pk}


def _celebration(request: HttpRequest, goal: Goal) -> dict[str, str] | None:
    """The celebration waiting for this goal's page, taken from the session once."""
    pending = request.session.get(CELEBRATE_KEY)
    if not isinstance(pending, dict):
        return None
    kind, pk = pending.get("kind"), pending.get("id")
    if kind == "goal" and pk == goal.pk and goal.status == Status.COMPLETED:
        del request.session[CELEBRATE_KEY]
        return {"kind": "goal", "text": _("Goal complete!")}
    if kind == "milestone":
        for milestone in goal.milestones.all():
            if milestone.pk == pk and milestone.completed_at:
                del request.session[CELEBRATE_KEY]
                return {
                    "kind": "milestone",
                    "text": _("Milestone reached: %(title)s!") % {"title": milestone.title},
                }
    return None


def decorate(goal: Goal) -> Goal:
    """Figures the cards show, from the prefetched milestones (no query)."""
    milestones = list(goal.milestones.all())
    goal.milestones_total = len(milestones)  # type: ignore[attr-defined]
    goal.milestones_done = sum(1 for m in milestones if m.completed_at)  # type: ignore[attr-defined]
    goal.status_tone = STATUS_TONES.get(Status(goal.status), "neutral")  # type: ignore[attr-defined]
    return goal


# --- Client pages ------------------------------------------------------------------------------


@client_required
@require_http_methods(["GET", "HEAD"])
def goal_list(request: HttpRequest) -> HttpResponse:
    client = _user(request)
    show = request.GET.get("show", selectors.DEFAULT_FILTER)
    if show not in selectors.FILTERS:
        show = selectors.DEFAULT_FILTER
    counts = selectors.goal_counts(client)
    proposals = (
        [decorate(g) for g in selectors.goals_for_client(client, "proposed")]
        if show != "proposed" and counts["proposed"]
        else []
    )
    # Proposals shown at the top are not repeated in the list below them.
    shown = {goal.pk for goal in proposals}
    goals = [decorate(g) for g in selectors.goals_for_client(client, show) if g.pk not in shown]
    labels = {
        "active": _("Active"),
        "proposed": _("Proposed"),
        "completed": _("Completed"),
        "all": _("All"),
    }
    tabs = [
        {
            "slug": key,
            "label": label,
            "url": reverse("wellbeing_goals:list") + f"?show={key}",
            "count": counts[key],
        }
        for key, label in labels.items()
    ]
    return TemplateResponse(
        request,
        "wellbeing/goals.html",
        {"goals": goals, "proposals": proposals, "tabs": tabs, "show": show},
    )


@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def goal_new(request: HttpRequest) -> HttpResponse:
    client = _user(request)
    form = GoalForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            goal = services.goal_create(
                client=client,
                title=form.cleaned_data["title"],
                why=form.cleaned_data["why"],
                measure=form.cleaned_data["measure"],
                target_date=form.cleaned_data["target_date"],
                milestones=form.cleaned_data["milestones"],
            )
        except (DomainError, ValidationError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Goal saved."))
            return _detail(goal.pk)
    return TemplateResponse(
        request,
        "wellbeing/goal_form.html",
        {"form": form, "mode": "new", "today": local_today(client)},
        status=400 if form.errors else 200,
    )


@client_required
@require_http_methods(["GET", "HEAD"])
def goal_detail(request: HttpRequest, goal_id: int) -> HttpResponse:
    client = _user(request)
    try:
        goal = decorate(selectors.goal_for_client(client, goal_id))
    except NotFound:
        raise Http404 from None
    working = goal.status in services.WORKING
    milestones = list(goal.milestones.all())
    return TemplateResponse(
        request,
        "wellbeing/goal_detail.html",
        {
            "goal": goal,
            "milestones": milestones,
            "links": list(goal.action_links.all()),
            "working": working,
            "editable": goal.status in services.EDITABLE,
            "status_actions": STATUS_ACTIONS.get(goal.status, []),
            "open_items": selectors.open_action_items_for_linking(client, goal=goal)
            if goal.status in services.EDITABLE
            else [],
            "celebration": _celebration(request, goal),
            "offer_complete": working
            and bool(milestones)
            and all(m.completed_at for m in milestones),
            "milestone_form": MilestoneForm(),
            "progress_form": ProgressForm(initial={"progress": goal.progress}),
            "milestones_max": services.MILESTONES_MAX,
            "today": local_today(client),
        },
    )


@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def goal_edit(request: HttpRequest, goal_id: int) -> HttpResponse:
    client = _user(request)
    try:
        goal = selectors.goal_for_client(client, goal_id)
    except NotFound:
        raise Http404 from None
    if goal.status not in services.EDITABLE:
        messages.error(request, _("Accept this proposal before changing it."))
        return _detail(goal.pk)
    form = GoalEditForm(
        form_data(request),
        initial={
            "title": goal.title,
            "why": goal.why,
            "measure": goal.measure,
            "target_date": goal.target_date,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_update(client=client, goal_id=goal.pk, **form.cleaned_data)
        except NotFound:
            raise Http404 from None
        except (DomainError, ValidationError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Goal saved."))
            return _detail(goal.pk)
    return TemplateResponse(
        request,
        "wellbeing/goal_form.html",
        {"form": form, "mode": "edit", "goal": goal, "today": local_today(client)},
        status=400 if form.errors else 200,
    )


@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def goal_delete(request: HttpRequest, goal_id: int) -> HttpResponse:
    client = _user(request)
    try:
        goal = selectors.goal_for_client(client, goal_id)
        if request.method == "POST":
            services.goal_delete(client=client, goal_id=goal.pk)
            messages.success(request, _("Goal deleted."))
            return redirect("wellbeing_goals:list")
    except NotFound:
        raise Http404 from None
    return TemplateResponse(request, "wellbeing/goal_delete.html", {"goal": goal})


@client_required
@require_POST
def goal_status(request: HttpRequest, goal_id: int) -> HttpResponse:
    client = _user(request)
    status = request.POST.get("status", "")
    try:
        goal = services.goal_set_status(client=client, goal_id=goal_id, status=status)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        _refused(request, exc)
        return _detail(goal_id)
    if goal.status == Status.COMPLETED:
        _celebrate(request, "goal", goal.pk)
    else:
        messages.success(
            request, _("Goal is now “%(status)s”.") % {"status": goal.get_status_display()}
        )
    return _detail(goal.pk)


@client_required
@require_POST
def goal_answer(request: HttpRequest, goal_id: int) -> HttpResponse:
    client = _user(request)
    answer = request.POST.get("answer", "")
    if answer not in ("accept", "decline"):
        try:
            selectors.goal_for_client(client, goal_id)
        except NotFound:
            raise Http404 from None
        messages.error(request, _("Choose whether to accept or decline the goal."))
        return redirect("wellbeing_goals:list")
    try:
        goal = services.goal_answer_proposal(
            client=client, goal_id=goal_id, accept=answer == "accept"
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        _refused(request, exc)
        return redirect("wellbeing_goals:list")
    if goal.status == Status.ACTIVE:
        messages.success(request, _("Goal accepted. It is now one of your active goals."))
        return _detail(goal.pk)
    messages.success(request, _("Goal declined."))
    return redirect("wellbeing_goals:list")


@client_required
@require_POST
def goal_progress(request: HttpRequest, goal_id: int) -> HttpResponse:
    client = _user(request)
    form = ProgressForm(request.POST)
    try:
        if not form.is_valid():
            selectors.goal_for_client(client, goal_id)
            messages.error(request, _("Progress is a whole number from 0 to 100."))
            return _detail(goal_id)
        services.goal_set_progress(
            client=client, goal_id=goal_id, progress=form.cleaned_data["progress"]
        )
    except NotFound:
        raise Http404 from None
    except (DomainError, ValidationError) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Progress saved."))
    return _detail(goal_id)


@client_required
@require_POST
def milestone_add(request: HttpRequest, goal_id: int) -> HttpResponse:
    client = _user(request)
    form = MilestoneForm(request.POST)
    try:
        if not form.is_valid():
            selectors.goal_for_client(client, goal_id)
            for errors in form.errors.values():
                for text in errors:
                    messages.error(request, str(text))
            return _detail(goal_id)
        services.milestone_add(client=client, goal_id=goal_id, **form.cleaned_data)
    except NotFound:
        raise Http404 from None
    except (DomainError, ValidationError) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Milestone added."))
    return _detail(goal_id)


def _milestone_goal(client: User, milestone_id: int) -> int:
    try:
        return selectors.milestone_for_client(client, milestone_id).goal_id
    except NotFound:
        raise Http404 from None


@client_required
@require_POST
def milestone_toggle(request: HttpRequest, milestone_id: int) -> HttpResponse:
    client = _user(request)
    goal_id = _milestone_goal(client, milestone_id)
    try:
        result = services.milestone_toggle(
            client=client, milestone_id=milestone_id, done=request.POST.get("done") == "1"
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        _refused(request, exc)
        return _detail(goal_id)
    if result.celebrate:
        _celebrate(request, "milestone", result.milestone.pk)
    return redirect(reverse("wellbeing_goals:detail", args=[goal_id]) + "#milestones")


@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def milestone_edit(request: HttpRequest, milestone_id: int) -> HttpResponse:
    client = _user(request)
    try:
        milestone = selectors.milestone_for_client(client, milestone_id)
    except NotFound:
        raise Http404 from None
    form = MilestoneForm(
        form_data(request), initial={"title": milestone.title, "due_on": milestone.due_on}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_update(client=client, milestone_id=milestone.pk, **form.cleaned_data)
        except NotFound:
            raise Http404 from None
        except (DomainError, ValidationError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Milestone saved."))
            return _detail(milestone.goal_id)
    return TemplateResponse(
        request,
        "wellbeing/goal_milestone_form.html",
        {"form": form, "milestone": milestone, "goal": milestone.goal},
        status=400 if form.errors else 200,
    )


@client_required
@require_POST
def milestone_delete(request: HttpRequest, milestone_id: int) -> HttpResponse:
    client = _user(request)
    goal_id = _milestone_goal(client, milestone_id)
    try:
        services.milestone_delete(client=client, milestone_id=milestone_id)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Milestone removed."))
    return _detail(goal_id)


@client_required
@require_POST
def milestone_move(request: HttpRequest, milestone_id: int) -> HttpResponse:
    client = _user(request)
    goal_id = _milestone_goal(client, milestone_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        services.milestone_move(client=client, milestone_id=milestone_id, offset=offset)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        _refused(request, exc)
    return redirect(reverse("wellbeing_goals:detail", args=[goal_id]) + "#milestones")


@client_required
@require_POST
def action_item_link(request: HttpRequest, goal_id: int) -> HttpResponse:
    client = _user(request)
    form = LinkActionItemForm(request.POST)
    try:
        goal = selectors.goal_for_client(client, goal_id)
        if not form.is_valid():
            messages.error(request, _("Choose an action item to link."))
            return _detail(goal.pk)
        services.goal_link_action_item(
            client=client, goal_id=goal.pk, action_item_id=form.cleaned_data["action_item"]
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Action item linked."))
    return _detail(goal_id)


@client_required
@require_POST
def action_item_unlink(request: HttpRequest, goal_id: int, item_id: int) -> HttpResponse:
    client = _user(request)
    try:
        services.goal_unlink_action_item(client=client, goal_id=goal_id, action_item_id=item_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Action item unlinked."))
    return _detail(goal_id)


# --- Coach pages -------------------------------------------------------------------------------


def _client_progress_url(client_id: int) -> str:
    return reverse("coach:client_tab", args=[client_id, "progress"])


@coach_required
@require_http_methods(["GET", "HEAD", "POST"])
def goal_propose(request: HttpRequest, client_id: int) -> HttpResponse:
    coach = _user(request)
    try:
        client = selectors.active_client_of(coach, client_id)
    except NotFound:
        raise Http404 from None
    form = GoalForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_propose(
                coach=coach,
                client_id=client.pk,
                title=form.cleaned_data["title"],
                why=form.cleaned_data["why"],
                measure=form.cleaned_data["measure"],
                target_date=form.cleaned_data["target_date"],
                milestones=form.cleaned_data["milestones"],
            )
        except NotFound:
            raise Http404 from None
        except (DomainError, ValidationError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Goal proposed to %(client)s. They can accept or decline it.")
                % {"client": client.display_name},
            )
            return redirect(_client_progress_url(client.pk))
    return TemplateResponse(
        request,
        "wellbeing/goal_form.html",
        {
            "form": form,
            "mode": "propose",
            "client": client,
            "back_url": _client_progress_url(client.pk),
            "today": local_today(client),
        },
        status=400 if form.errors else 200,
    )


@coach_required
@require_http_methods(["GET", "HEAD", "POST"])
def goal_withdraw(request: HttpRequest, goal_id: int) -> HttpResponse:
    coach = _user(request)
    try:
        goal = selectors.proposal_for_coach(coach, goal_id)
    except NotFound:
        raise Http404 from None
    back = _client_progress_url(goal.client_id)
    if goal.status != Status.PROPOSED:
        messages.error(request, _("The client has already answered this proposal."))
        return redirect(back)
    if request.method == "POST":
        try:
            services.goal_withdraw_proposal(coach=coach, goal_id=goal.pk)
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Proposal withdrawn."))
        return redirect(back)
    return TemplateResponse(
        request, "wellbeing/goal_withdraw.html", {"goal": goal, "back_url": back}
    )

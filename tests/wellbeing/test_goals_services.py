"""Goal services: every transition and refusal (which changes nothing), progress from
milestones, the celebrate flag, proposals, action-item links and the notices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from loom.accounts.models import CoachClient
from loom.core.errors import Conflict, DomainError, Forbidden, NotFound
from loom.journal.days import local_today
from loom.wellbeing import goals as services
from loom.wellbeing import selectors_goals as selectors
from loom.wellbeing.models import (
    GOAL_TITLE_MAX,
    TEXT_MAX,
    Goal,
    GoalActionItem,
    Milestone,
    SharingPreference,
)
from tests.wellbeing.goals_support import SECRET, action_item, notices
from tests.world import World

Status = Goal.Status


def make(world: World, *, milestones: tuple[str, ...] = (), **kw) -> Goal:
    return services.goal_create(
        client=world.avi, title=kw.pop("title", "Run a 5k"), milestones=milestones, **kw
    )


def snapshot(goal: Goal) -> tuple:
    goal.refresh_from_db()
    return (
        goal.status,
        goal.progress,
        goal.title,
        goal.completed_at,
        list(goal.milestones.values_list("title", "completed_at", "position")),
    )


# --- Creating and changing -------------------------------------------------------------------


def test_create_stores_an_active_goal_with_its_milestones_in_order(world: World) -> None:
    target = local_today(world.avi) + timedelta(days=30)
    goal = services.goal_create(
        client=world.avi,
        title="  Run a 5k  ",
        why="Energy for my kids",
        measure="A timed run",
        target_date=target,
        milestones=["Run 1k", ("Run 3k", target), "  "],
    )
    goal.refresh_from_db()
    assert (goal.status, goal.title, goal.progress, goal.target_date) == (
        Status.ACTIVE,
        "Run a 5k",
        0,
        target,
    )
    assert goal.proposed_by is None
    assert list(goal.milestones.values_list("title", "position", "due_on")) == [
        ("Run 1k", 0, None),
        ("Run 3k", 1, target),
    ]


def test_texts_are_encrypted_at_rest(world: World) -> None:
    from django.db import connection

    goal = make(world, title=SECRET, why=SECRET, milestones=(SECRET,))
    with connection.cursor() as cursor:
        cursor.execute("SELECT title, why FROM wellbeing_goal WHERE id = %s", [goal.pk])
        row = cursor.fetchone()
        cursor.execute("SELECT title FROM wellbeing_milestone WHERE goal_id = %s", [goal.pk])
        milestone_row = cursor.fetchone()
    assert SECRET not in str(row) and SECRET not in str(milestone_row)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("title", {"title": ""}),
        ("title", {"title": "   "}),
        ("title", {"title": "x" * (GOAL_TITLE_MAX + 1)}),
        ("why", {"why": "x" * (TEXT_MAX + 1)}),
        ("measure", {"measure": "x" * (TEXT_MAX + 1)}),
        ("title", {"title": "bad\x00byte"}),
        ("why", {"why": 12}),
        ("target_date", {"target_date": "2030-01-01"}),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_written(world: World, field, kwargs) -> None:
    values = {"title": "Fine", **kwargs}
    with pytest.raises(ValidationError) as caught:
        services.goal_create(client=world.avi, **values)
    assert field in caught.value.message_dict
    assert not Goal.objects.exists()


def test_a_target_date_before_the_clients_today_is_refused(world: World) -> None:
    # Avi lives in Jerusalem: his yesterday, whatever the server's day is.
    yesterday = local_today(world.avi) - timedelta(days=1)
    with pytest.raises(ValidationError, match="today or a later date"):
        make(world, target_date=yesterday)
    assert make(world, target_date=local_today(world.avi)).target_date == local_today(world.avi)


def test_more_than_twenty_milestones_are_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        make(world, milestones=tuple(f"Step {n}" for n in range(services.MILESTONES_MAX + 1)))
    assert "milestones" in caught.value.message_dict
    assert not Goal.objects.exists() and not Milestone.objects.exists()
    assert make(world, milestones=tuple(f"S{n}" for n in range(20))).milestones.count() == 20


def test_hostile_markup_is_stored_as_text(world: World) -> None:
    goal = make(world, title="<script>alert(1)</script>")
    assert Goal.objects.get(pk=goal.pk).title == "<script>alert(1)</script>"


def test_only_clients_keep_goals(world: World) -> None:
    with pytest.raises(Forbidden):
        services.goal_create(client=world.dana, title="Mine")
    assert not Goal.objects.exists()


def test_update_changes_texts_and_keeps_a_past_target_date(world: World) -> None:
    goal = make(world, target_date=local_today(world.avi))
    Goal.objects.filter(pk=goal.pk).update(target_date=local_today(world.avi) - timedelta(days=9))
    goal.refresh_from_db()
    services.goal_update(
        client=world.avi,
        goal_id=goal.pk,
        title="Run a 10k",
        why="More",
        measure="",
        target_date=goal.target_date,
    )
    goal.refresh_from_db()
    assert goal.title == "Run a 10k" and goal.why == "More"
    with pytest.raises(ValidationError):
        services.goal_update(
            client=world.avi,
            goal_id=goal.pk,
            title="Run a 10k",
            target_date=local_today(world.avi) - timedelta(days=1),
        )


def test_someone_elses_goal_is_not_found_for_every_write(world: World) -> None:
    goal = make(world, milestones=("One",))
    milestone = goal.milestones.get()
    before = snapshot(goal)
    attempts = [
        lambda: services.goal_update(client=world.noa, goal_id=goal.pk, title="Mine"),
        lambda: services.goal_set_status(client=world.noa, goal_id=goal.pk, status="paused"),
        lambda: services.goal_set_progress(client=world.noa, goal_id=goal.pk, progress=5),
        lambda: services.goal_delete(client=world.maya, goal_id=goal.pk),
        lambda: services.goal_answer_proposal(client=world.noa, goal_id=goal.pk, accept=True),
        lambda: services.milestone_add(client=world.noa, goal_id=goal.pk, title="x"),
        lambda: services.milestone_toggle(client=world.noa, milestone_id=milestone.pk, done=True),
        lambda: services.milestone_update(client=world.noa, milestone_id=milestone.pk, title="x"),
        lambda: services.milestone_delete(client=world.noa, milestone_id=milestone.pk),
        lambda: services.goal_set_status(client=world.avi, goal_id=10**9, status="paused"),
        lambda: services.goal_set_status(client=world.avi, goal_id="nope", status="paused"),
        lambda: services.goal_set_status(client=world.avi, goal_id=2**70, status="paused"),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()
    assert snapshot(goal) == before


# --- Statuses --------------------------------------------------------------------------------


def test_pause_resume_complete_and_reopen(world: World) -> None:
    goal = make(world, milestones=("One", "Two"))
    services.milestone_toggle(client=world.avi, milestone_id=goal.milestones.first().pk, done=True)
    assert services.goal_set_status(client=world.avi, goal_id=goal.pk, status="paused").status == (
        Status.PAUSED
    )
    assert services.goal_set_status(client=world.avi, goal_id=goal.pk, status="active").status == (
        Status.ACTIVE
    )
    done = services.goal_set_status(client=world.avi, goal_id=goal.pk, status="completed")
    assert done.status == Status.COMPLETED and done.progress == 100 and done.completed_at
    reopened = services.goal_set_status(client=world.avi, goal_id=goal.pk, status="active")
    reopened.refresh_from_db()
    assert reopened.completed_at is None and reopened.progress == 50


def test_paused_goal_can_be_completed_or_abandoned(world: World) -> None:
    first, second = make(world), make(world)
    for goal in (first, second):
        services.goal_set_status(client=world.avi, goal_id=goal.pk, status="paused")
    services.goal_set_status(client=world.avi, goal_id=first.pk, status="completed")
    services.goal_set_status(client=world.avi, goal_id=second.pk, status="abandoned")
    assert Goal.objects.get(pk=first.pk).status == Status.COMPLETED
    assert Goal.objects.get(pk=second.pk).status == Status.ABANDONED


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("active", "active"),
        ("active", "proposed"),
        ("active", "declined"),
        ("paused", "paused"),
        ("completed", "paused"),
        ("completed", "abandoned"),
        ("completed", "completed"),
        ("abandoned", "active"),
        ("abandoned", "completed"),
        ("proposed", "active"),
        ("proposed", "completed"),
        ("declined", "active"),
    ],
)
def test_transitions_not_allowed_are_refused(world: World, start: str, target: str) -> None:
    goal = make(world)
    Goal.objects.filter(pk=goal.pk).update(status=start)
    before = snapshot(goal)
    with pytest.raises(Conflict) as caught:
        services.goal_set_status(client=world.avi, goal_id=goal.pk, status=target)
    assert caught.value.code == "invalid_transition"
    assert snapshot(goal) == before


def test_an_unknown_status_is_refused(world: World) -> None:
    goal = make(world)
    with pytest.raises(DomainError, match="Unknown status"):
        services.goal_set_status(client=world.avi, goal_id=goal.pk, status="done!")
    assert Goal.objects.get(pk=goal.pk).status == Status.ACTIVE


def test_delete_removes_the_goal_its_milestones_and_links_but_not_the_action_item(
    world: World,
) -> None:
    goal = make(world, milestones=("One",))
    item = action_item(world.dana, world.avi)
    services.goal_link_action_item(client=world.avi, goal_id=goal.pk, action_item_id=item.pk)
    services.goal_delete(client=world.avi, goal_id=goal.pk)
    assert not Goal.objects.exists() and not Milestone.objects.exists()
    assert not GoalActionItem.objects.exists()
    item.refresh_from_db()


# --- Progress and milestones -----------------------------------------------------------------


def test_progress_follows_the_milestones(world: World) -> None:
    goal = make(world, milestones=("One", "Two", "Three"))
    one, two, three = goal.milestones.all()
    services.milestone_toggle(client=world.avi, milestone_id=one.pk, done=True)
    assert Goal.objects.get(pk=goal.pk).progress == 33
    services.milestone_toggle(client=world.avi, milestone_id=two.pk, done=True)
    assert Goal.objects.get(pk=goal.pk).progress == 67
    services.milestone_add(client=world.avi, goal_id=goal.pk, title="Four")
    assert Goal.objects.get(pk=goal.pk).progress == 50
    services.milestone_delete(client=world.avi, milestone_id=three.pk)
    assert Goal.objects.get(pk=goal.pk).progress == 67
    services.milestone_toggle(client=world.avi, milestone_id=one.pk, done=False)
    assert Goal.objects.get(pk=goal.pk).progress == 33


def test_progress_by_hand_only_without_milestones(world: World) -> None:
    plain = make(world)
    assert (
        services.goal_set_progress(client=world.avi, goal_id=plain.pk, progress=40).progress == 40
    )
    for bad in (-1, 101, 4.5, "50", True, None):
        with pytest.raises(ValidationError):
            services.goal_set_progress(client=world.avi, goal_id=plain.pk, progress=bad)
    assert Goal.objects.get(pk=plain.pk).progress == 40
    stepped = make(world, milestones=("One",))
    with pytest.raises(Conflict):
        services.goal_set_progress(client=world.avi, goal_id=stepped.pk, progress=80)
    assert Goal.objects.get(pk=stepped.pk).progress == 0


def test_celebrate_only_when_a_milestone_becomes_done(world: World) -> None:
    goal = make(world, milestones=("One", "Two"))
    one, two = goal.milestones.all()
    first = services.milestone_toggle(client=world.avi, milestone_id=one.pk, done=True)
    assert first.celebrate and not first.goal_completed_hint
    replay = services.milestone_toggle(client=world.avi, milestone_id=one.pk, done=True)
    assert not replay.celebrate
    undone = services.milestone_toggle(client=world.avi, milestone_id=one.pk, done=False)
    assert not undone.celebrate and undone.milestone.completed_at is None
    services.milestone_toggle(client=world.avi, milestone_id=one.pk, done=True)
    last = services.milestone_toggle(client=world.avi, milestone_id=two.pk, done=True)
    assert last.celebrate and last.goal_completed_hint
    # The hint is only an offer: the goal stays active until the client completes it.
    assert Goal.objects.get(pk=goal.pk).status == Status.ACTIVE


def test_milestones_change_only_while_the_goal_is_worked_on(world: World) -> None:
    goal = make(world, milestones=("One",))
    milestone = goal.milestones.get()
    services.goal_set_status(client=world.avi, goal_id=goal.pk, status="completed")
    before = snapshot(goal)
    for attempt in (
        lambda: services.milestone_toggle(client=world.avi, milestone_id=milestone.pk, done=True),
        lambda: services.milestone_add(client=world.avi, goal_id=goal.pk, title="More"),
        lambda: services.milestone_delete(client=world.avi, milestone_id=milestone.pk),
        lambda: services.goal_set_progress(client=world.avi, goal_id=goal.pk, progress=3),
    ):
        with pytest.raises(Conflict):
            attempt()
    assert snapshot(goal) == before


def test_milestone_add_update_and_limits(world: World) -> None:
    goal = make(world, milestones=tuple(f"S{n}" for n in range(19)))
    added = services.milestone_add(
        client=world.avi, goal_id=goal.pk, title="Last", due_on=local_today(world.avi)
    )
    assert added.position == 19
    with pytest.raises(ValidationError):
        services.milestone_add(client=world.avi, goal_id=goal.pk, title="One too many")
    with pytest.raises(ValidationError):
        services.milestone_update(client=world.avi, milestone_id=added.pk, title="")
    with pytest.raises(ValidationError):
        services.milestone_update(
            client=world.avi,
            milestone_id=added.pk,
            title="Late",
            due_on=local_today(world.avi) - timedelta(days=2),
        )
    services.milestone_update(client=world.avi, milestone_id=added.pk, title="Renamed")
    assert Milestone.objects.get(pk=added.pk).title == "Renamed"
    assert goal.milestones.count() == 20


def test_reorder_and_move(world: World) -> None:
    goal = make(world, milestones=("A", "B", "C"))
    a, b, c = goal.milestones.all()
    services.milestones_reorder(client=world.avi, goal_id=goal.pk, milestone_ids=[c.pk, a.pk, b.pk])
    assert list(goal.milestones.values_list("title", flat=True)) == ["C", "A", "B"]
    services.milestone_move(client=world.avi, milestone_id=b.pk, offset=-1)
    assert list(goal.milestones.values_list("title", flat=True)) == ["C", "B", "A"]
    services.milestone_move(client=world.avi, milestone_id=c.pk, offset=-1)  # already first
    assert list(goal.milestones.values_list("title", flat=True)) == ["C", "B", "A"]
    for bad in ([a.pk, b.pk], [a.pk, b.pk, c.pk, c.pk], [a.pk, b.pk, 10**9], ["x", a.pk, b.pk]):
        with pytest.raises(DomainError):
            services.milestones_reorder(client=world.avi, goal_id=goal.pk, milestone_ids=bad)
    assert list(goal.milestones.values_list("title", flat=True)) == ["C", "B", "A"]


# --- Action items ----------------------------------------------------------------------------


def test_link_only_the_clients_own_action_items(world: World) -> None:
    goal = make(world)
    mine = action_item(world.dana, world.avi)
    noas = action_item(world.dana, world.noa, title="Noa's homework")
    mayas = action_item(world.eli, world.maya, title="Maya's homework")
    link = services.goal_link_action_item(client=world.avi, goal_id=goal.pk, action_item_id=mine.pk)
    again = services.goal_link_action_item(
        client=world.avi, goal_id=goal.pk, action_item_id=mine.pk
    )
    assert link.pk == again.pk
    for foreign in (noas.pk, mayas.pk, 10**9, "abc"):
        with pytest.raises(NotFound):
            services.goal_link_action_item(
                client=world.avi, goal_id=goal.pk, action_item_id=foreign
            )
    assert list(GoalActionItem.objects.values_list("action_item_id", flat=True)) == [mine.pk]
    services.goal_unlink_action_item(client=world.avi, goal_id=goal.pk, action_item_id=mine.pk)
    assert not GoalActionItem.objects.exists()
    with pytest.raises(NotFound):
        services.goal_unlink_action_item(client=world.avi, goal_id=goal.pk, action_item_id=mine.pk)


def test_open_action_items_for_linking_are_the_clients_open_unlinked_ones(world: World) -> None:
    goal = make(world)
    first = action_item(world.dana, world.avi, title="First")
    second = action_item(world.dana, world.avi, title="Second")
    action_item(world.dana, world.avi, title="Done", completed_at=timezone.now())
    action_item(world.dana, world.noa, title="Noa's")
    services.goal_link_action_item(client=world.avi, goal_id=goal.pk, action_item_id=first.pk)
    assert {i.title for i in selectors.open_action_items_for_linking(world.avi)} == {
        "First",
        "Second",
    }
    assert [i.pk for i in selectors.open_action_items_for_linking(world.avi, goal=goal)] == [
        second.pk
    ]


# --- Proposals -------------------------------------------------------------------------------


def test_a_coach_proposes_and_the_client_accepts(world: World) -> None:
    goal = services.goal_propose(
        coach=world.dana, client_id=world.noa.pk, title=SECRET, milestones=["Step"]
    )
    assert (goal.status, goal.proposed_by_id, goal.client_id) == (
        Status.PROPOSED,
        world.dana.pk,
        world.noa.pk,
    )
    assert goal.milestones.count() == 1
    accepted = services.goal_answer_proposal(client=world.noa, goal_id=goal.pk, accept=True)
    assert accepted.status == Status.ACTIVE and accepted.accepted_at
    with pytest.raises(Conflict):
        services.goal_answer_proposal(client=world.noa, goal_id=goal.pk, accept=False)
    assert Goal.objects.get(pk=goal.pk).status == Status.ACTIVE


def test_a_client_declines_and_the_proposal_stays_declined(world: World) -> None:
    goal = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="Sleep by 11")
    declined = services.goal_answer_proposal(client=world.avi, goal_id=goal.pk, accept=False)
    assert declined.status == Status.DECLINED and declined.accepted_at is None
    with pytest.raises(Conflict):
        services.goal_set_status(client=world.avi, goal_id=goal.pk, status="active")
    with pytest.raises(Conflict):
        services.goal_update(client=world.avi, goal_id=goal.pk, title="Mine now")


def test_answering_a_goal_that_is_not_a_proposal_is_refused(world: World) -> None:
    goal = make(world)
    with pytest.raises(Conflict):
        services.goal_answer_proposal(client=world.avi, goal_id=goal.pk, accept=True)


def test_proposals_only_to_the_coachs_active_clients(world: World) -> None:
    for client_id in (world.maya.pk, world.eli.pk, world.dana.pk, 10**9, "x"):
        with pytest.raises(NotFound):
            services.goal_propose(coach=world.dana, client_id=client_id, title="Try")
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(status="archived")
    with pytest.raises(NotFound):
        services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="Try")
    with pytest.raises(Forbidden):
        services.goal_propose(coach=world.avi, client_id=world.noa.pk, title="Try")
    assert not Goal.objects.exists()


def test_a_proposal_checks_the_clients_today(world: World) -> None:
    with pytest.raises(ValidationError):
        services.goal_propose(
            coach=world.dana,
            client_id=world.avi.pk,
            title="Try",
            target_date=local_today(world.avi) - timedelta(days=1),
        )


def test_withdraw_only_own_unanswered_proposals(world: World) -> None:
    goal = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="Try")
    with pytest.raises(NotFound):
        services.goal_withdraw_proposal(coach=world.eli, goal_id=goal.pk)
    own = make(world)
    with pytest.raises(NotFound):
        services.goal_withdraw_proposal(coach=world.dana, goal_id=own.pk)
    assert services.goal_withdraw_proposal(coach=world.dana, goal_id=goal.pk) == world.avi.pk
    assert not Goal.objects.filter(pk=goal.pk).exists()
    answered = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="Again")
    services.goal_answer_proposal(client=world.avi, goal_id=answered.pk, accept=True)
    with pytest.raises(Conflict):
        services.goal_withdraw_proposal(coach=world.dana, goal_id=answered.pk)
    assert Goal.objects.filter(pk=answered.pk).exists()


def test_an_archived_coach_cannot_withdraw(world: World) -> None:
    goal = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="Try")
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(status="archived")
    with pytest.raises(NotFound):
        services.goal_withdraw_proposal(coach=world.dana, goal_id=goal.pk)


# --- What coaches see ------------------------------------------------------------------------


def test_coach_sees_proposed_and_shared_goals_only(world: World) -> None:
    own = make(world, title="Own goal")
    proposed = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="Proposed")
    assert {g.pk for g in selectors.goals_visible_to_coach(world.dana, world.avi.pk)} == {
        own.pk,
        proposed.pk,
    }
    SharingPreference.objects.create(client=world.avi, share_goals=False)
    assert [g.pk for g in selectors.goals_visible_to_coach(world.dana, world.avi.pk)] == [
        proposed.pk
    ]
    with pytest.raises(NotFound):
        selectors.goals_visible_to_coach(world.eli, world.avi.pk)
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(status="archived")
    with pytest.raises(NotFound):
        selectors.goals_visible_to_coach(world.dana, world.avi.pk)


def test_goals_for_client_filters_and_counts(world: World) -> None:
    active = make(world)
    paused = make(world)
    services.goal_set_status(client=world.avi, goal_id=paused.pk, status="paused")
    done = make(world)
    services.goal_set_status(client=world.avi, goal_id=done.pk, status="completed")
    proposed = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="P")
    make_noa = services.goal_create(client=world.noa, title="Noa's")
    assert {g.pk for g in selectors.goals_for_client(world.avi, "active")} == {active.pk, paused.pk}
    assert [g.pk for g in selectors.goals_for_client(world.avi, "completed")] == [done.pk]
    assert [g.pk for g in selectors.goals_for_client(world.avi, "proposed")] == [proposed.pk]
    assert make_noa.pk not in {g.pk for g in selectors.goals_for_client(world.avi, "all")}
    assert selectors.goal_counts(world.avi) == {
        "active": 2,
        "proposed": 1,
        "completed": 1,
        "all": 4,
    }
    assert {g.pk for g in selectors.goals_for_client(world.avi, "nonsense")} == {
        active.pk,
        paused.pk,
    }


# --- Notices ---------------------------------------------------------------------------------


def test_a_proposal_tells_the_client_in_their_language_without_the_text(world: World) -> None:
    goal = services.goal_propose(
        coach=world.dana, client_id=world.noa.pk, title=SECRET, why=SECRET, milestones=[SECRET]
    )
    [notice] = notices("goal_proposed")
    assert notice["user_id"] == world.noa.pk
    assert notice["title"] == "Dana Levi הציע/ה לך מטרה"  # in Noa's language (Hebrew)
    assert notice["url"] == "/goals/?show=proposed"
    assert 'lang="he"' in notice["email"]["html"]
    assert SECRET not in str(notice)
    assert str(goal.pk) in notice["source"]


def test_completing_tells_every_coach_who_sees_the_goal_without_the_text(world: World) -> None:
    CoachClient.objects.create(coach=world.eli, client=world.avi)
    goal = make(world, title=SECRET, milestones=(SECRET, "Two"))
    first = goal.milestones.first()
    services.milestone_toggle(client=world.avi, milestone_id=first.pk, done=True)
    services.milestone_toggle(client=world.avi, milestone_id=first.pk, done=True)  # replay
    sent = notices("goal_completed")
    assert sorted(n["user_id"] for n in sent) == sorted([world.dana.pk, world.eli.pk])
    by_coach = {n["user_id"]: n for n in sent}
    assert by_coach[world.dana.pk]["title"] == "Avi Mizrahi completed a milestone"
    assert 'lang="en"' in by_coach[world.dana.pk]["email"]["html"]
    assert 'lang="he"' in by_coach[world.eli.pk]["email"]["html"]
    assert by_coach[world.dana.pk]["url"] == f"/coach/clients/{world.avi.pk}/progress/"
    services.goal_set_status(client=world.avi, goal_id=goal.pk, status="completed")
    completed = [n for n in notices("goal_completed") if "goal-completed" in n["source"]]
    assert {n["user_id"] for n in completed} == {world.dana.pk, world.eli.pk}
    assert completed[0]["title"] == "Avi Mizrahi completed a goal"
    assert SECRET not in str(notices())


def test_when_goals_are_not_shared_only_the_proposing_coach_is_told(world: World) -> None:
    CoachClient.objects.create(coach=world.eli, client=world.avi)
    SharingPreference.objects.create(client=world.avi, share_goals=False)
    own = make(world)
    services.goal_set_status(client=world.avi, goal_id=own.pk, status="completed")
    assert notices("goal_completed") == []
    proposed = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="P")
    services.goal_answer_proposal(client=world.avi, goal_id=proposed.pk, accept=True)
    services.goal_set_status(client=world.avi, goal_id=proposed.pk, status="completed")
    assert [n["user_id"] for n in notices("goal_completed")] == [world.dana.pk]


def test_an_archived_coach_is_not_told(world: World) -> None:
    proposed = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="P")
    services.goal_answer_proposal(client=world.avi, goal_id=proposed.pk, accept=True)
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(status="archived")
    services.goal_set_status(client=world.avi, goal_id=proposed.pk, status="completed")
    assert notices("goal_completed") == []


def test_completing_again_after_reopening_tells_again(world: World) -> None:
    goal = make(world)
    services.goal_set_status(client=world.avi, goal_id=goal.pk, status="completed")
    services.goal_set_status(client=world.avi, goal_id=goal.pk, status="active")
    services.goal_set_status(client=world.avi, goal_id=goal.pk, status="completed")
    assert len(notices("goal_completed")) == 2


def test_a_refused_change_sends_nothing(world: World) -> None:
    goal = make(world)
    Goal.objects.filter(pk=goal.pk).update(status="abandoned")
    with pytest.raises(Conflict):
        services.goal_set_status(client=world.avi, goal_id=goal.pk, status="completed")
    assert notices() == []

"""Goal pages: the list (constant queries), forms, the checklist and celebrations,
status actions, proposals, action-item links; English and Hebrew."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loom.journal.days import local_today
from loom.wellbeing import goals as services
from loom.wellbeing.models import Goal, GoalActionItem, Milestone
from tests.conftest import signed_in
from tests.wellbeing.goals_support import action_item, notices
from tests.world import World

Status = Goal.Status


def _goal(world: World, title: str = "Run a 5k", milestones=("Run 1k", "Run 3k")) -> Goal:
    return services.goal_create(client=world.avi, title=title, milestones=milestones)


def _html(response) -> str:
    return response.content.decode()


def test_the_list_shows_cards_tabs_and_proposals_first(world: World) -> None:
    goal = _goal(world, title="Run a 5k")
    services.milestone_toggle(client=world.avi, milestone_id=goal.milestones.first().pk, done=True)
    services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="Sleep by eleven")
    response = signed_in(world.avi).get(reverse("wellbeing_goals:list"))
    html = _html(response)
    assert response.status_code == 200
    assert html.count("<h1") == 1 and ">Goals</h1>" in html
    assert html.index("Sleep by eleven") < html.index("Run a 5k")
    assert "Accept goal" in html and "Decline" in html
    assert "1 of 2 milestones done" in html and "50% done" in html
    assert 'value="50"' in html and "<progress" in html
    for label in ("Active", "Proposed", "Completed", "All"):
        assert label in html
    assert reverse("wellbeing_goals:new") in html


def test_the_list_filters_by_tab(world: World) -> None:
    active = _goal(world, title="Active one")
    done = _goal(world, title="Finished one")
    services.goal_set_status(client=world.avi, goal_id=done.pk, status="completed")
    browser = signed_in(world.avi)
    html = _html(browser.get(reverse("wellbeing_goals:list")))
    assert "Active one" in html and "Finished one" not in html
    html = _html(browser.get(reverse("wellbeing_goals:list") + "?show=completed"))
    assert "Finished one" in html and "Active one" not in html
    html = _html(browser.get(reverse("wellbeing_goals:list") + "?show=<script>"))
    assert "Active one" in html
    assert active.pk


def test_the_list_runs_the_same_queries_for_one_goal_or_many(world: World) -> None:
    browser = signed_in(world.avi)
    url = reverse("wellbeing_goals:list") + "?show=all"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(url).status_code == 200
        return len(queries)

    _goal(world)
    services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="P")
    browser.get(url)  # warm the session
    one = count()
    for n in range(6):
        goal = _goal(world, title=f"Goal {n}", milestones=("a", "b", "c"))
        item = action_item(world.dana, world.avi, title=f"Item {n}")
        services.goal_link_action_item(client=world.avi, goal_id=goal.pk, action_item_id=item.pk)
        services.goal_propose(coach=world.dana, client_id=world.avi.pk, title=f"P{n}")
    assert count() == one


def test_the_list_is_a_client_page_in_hebrew(world: World) -> None:
    services.goal_create(client=world.noa, title="לרוץ 5 ק״מ")
    response = signed_in(world.noa).get(reverse("wellbeing_goals:list"))
    html = _html(response)
    assert response.status_code == 200
    assert 'lang="he"' in html and 'dir="rtl"' in html
    assert "לרוץ 5 ק״מ" in html


def test_the_new_goal_form_has_labelled_fields(world: World) -> None:
    html = _html(signed_in(world.avi).get(reverse("wellbeing_goals:new")))
    assert ">New goal</h1>" in html
    for label in ("Goal", "Why it matters", "How will you know?", "Target date"):
        assert f"{label}" in html
    for n in (1, 2, 3):
        assert f'for="goal-milestone-{n}">Milestone {n}</label>' in html
    assert "Add another milestone" in html and "js/goals.js" in html


def test_a_new_goal_is_saved_with_its_milestones(world: World) -> None:
    target = local_today(world.avi) + timedelta(days=10)
    response = signed_in(world.avi).post(
        reverse("wellbeing_goals:new"),
        {
            "title": "Run a 5k",
            "why": "Energy",
            "measure": "A timed run",
            "target_date": target.isoformat(),
            "milestones": ["Run 1k", "", "Run 3k", "Run 4k"],
        },
    )
    goal = Goal.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "wellbeing_goals:detail", args=[goal.pk]
    )
    assert goal.target_date == target and goal.status == Status.ACTIVE
    assert list(goal.milestones.values_list("title", flat=True)) == ["Run 1k", "Run 3k", "Run 4k"]


@pytest.mark.parametrize(
    "data",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"title": "Fine", "why": "x" * 2001},
        {"title": "Fine", "target_date": "2001-01-01"},
        {"title": "Fine", "target_date": "not a date"},
        {"title": "Fine", "milestones": [f"m{n}" for n in range(21)]},
        {"title": "Fine", "milestones": ["x" * 201]},
    ],
)
def test_bad_input_shows_errors_and_saves_nothing(world: World, data) -> None:
    response = signed_in(world.avi).post(reverse("wellbeing_goals:new"), data)
    assert response.status_code == 400
    assert 'class="field-errors"' in _html(response) or "form-errors" in _html(response)
    assert not Goal.objects.exists() and not Milestone.objects.exists()


def test_markup_in_goal_texts_is_shown_as_text(world: World) -> None:
    goal = _goal(world, title='<img src=x onerror="alert(1)">', milestones=("<b>bold</b>",))
    html = _html(signed_in(world.avi).get(reverse("wellbeing_goals:detail", args=[goal.pk])))
    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<b>bold</b>" not in html


def test_detail_shows_the_checklist_and_status_actions(world: World) -> None:
    goal = _goal(world)
    action_item(world.dana, world.avi)
    html = _html(signed_in(world.avi).get(reverse("wellbeing_goals:detail", args=[goal.pk])))
    assert html.count("<h1") == 1
    assert "Mark Run 1k done" in html and "Mark Run 3k done" in html
    for label in ("Pause", "Mark complete", "Abandon", "Link an action item", "Edit goal"):
        assert label in html
    assert "Resume" not in html


def test_ticking_a_milestone_celebrates_once_on_the_next_page(world: World) -> None:
    goal = _goal(world)
    first = goal.milestones.first()
    browser = signed_in(world.avi)
    response = browser.post(
        reverse("wellbeing_goals:milestone_toggle", args=[first.pk]), {"done": "1"}
    )
    assert response.status_code == 302
    detail = reverse("wellbeing_goals:detail", args=[goal.pk])
    assert response["Location"].startswith(detail)
    html = _html(browser.get(detail))
    assert 'role="status"' in html and "Milestone reached: Run 1k!" in html
    assert "Mark Run 1k not done" in html and "50% done" in html
    assert "Milestone reached" not in _html(browser.get(detail))
    # Un-ticking does not celebrate.
    browser.post(reverse("wellbeing_goals:milestone_toggle", args=[first.pk]), {"done": "0"})
    assert "Milestone reached" not in _html(browser.get(detail))


def test_all_milestones_done_offers_to_complete_and_completing_celebrates(world: World) -> None:
    goal = _goal(world)
    browser = signed_in(world.avi)
    for milestone in goal.milestones.all():
        browser.post(
            reverse("wellbeing_goals:milestone_toggle", args=[milestone.pk]), {"done": "1"}
        )
    detail = reverse("wellbeing_goals:detail", args=[goal.pk])
    html = _html(browser.get(detail))
    assert "All milestones are done. Mark the goal complete?" in html
    response = browser.post(
        reverse("wellbeing_goals:status", args=[goal.pk]), {"status": "completed"}
    )
    assert response["Location"] == detail
    html = _html(browser.get(detail))
    assert "Goal complete!" in html and 'role="status"' in html
    assert "Reopen" in html and "Pause" not in html
    assert Goal.objects.get(pk=goal.pk).status == Status.COMPLETED
    assert len(notices("goal_completed")) == 3  # two milestones and the goal, to Dana


def test_a_refused_transition_is_a_message_and_changes_nothing(world: World) -> None:
    goal = _goal(world)
    browser = signed_in(world.avi)
    browser.post(reverse("wellbeing_goals:status", args=[goal.pk]), {"status": "abandoned"})
    response = browser.post(
        reverse("wellbeing_goals:status", args=[goal.pk]), {"status": "completed"}, follow=True
    )
    assert "cannot become" in _html(response)
    assert Goal.objects.get(pk=goal.pk).status == Status.ABANDONED


def test_pause_and_resume_from_the_page(world: World) -> None:
    goal = _goal(world)
    browser = signed_in(world.avi)
    browser.post(reverse("wellbeing_goals:status", args=[goal.pk]), {"status": "paused"})
    html = _html(browser.get(reverse("wellbeing_goals:detail", args=[goal.pk])))
    assert "Resume" in html
    browser.post(reverse("wellbeing_goals:status", args=[goal.pk]), {"status": "active"})
    assert Goal.objects.get(pk=goal.pk).status == Status.ACTIVE


def test_manual_progress_without_milestones(world: World) -> None:
    goal = _goal(world, milestones=())
    browser = signed_in(world.avi)
    browser.post(reverse("wellbeing_goals:progress", args=[goal.pk]), {"progress": "35"})
    assert Goal.objects.get(pk=goal.pk).progress == 35
    browser.post(reverse("wellbeing_goals:progress", args=[goal.pk]), {"progress": "135"})
    browser.post(reverse("wellbeing_goals:progress", args=[goal.pk]), {"progress": "abc"})
    assert Goal.objects.get(pk=goal.pk).progress == 35


def test_milestones_add_edit_move_and_remove_from_the_page(world: World) -> None:
    goal = _goal(world, milestones=("A", "B"))
    a, b = goal.milestones.all()
    browser = signed_in(world.avi)
    browser.post(reverse("wellbeing_goals:milestone_add", args=[goal.pk]), {"title": "C"})
    browser.post(reverse("wellbeing_goals:milestone_add", args=[goal.pk]), {"title": ""})
    assert list(goal.milestones.values_list("title", flat=True)) == ["A", "B", "C"]
    browser.post(reverse("wellbeing_goals:milestone_move", args=[b.pk]), {"direction": "up"})
    assert list(goal.milestones.values_list("title", flat=True)) == ["B", "A", "C"]
    page = browser.get(reverse("wellbeing_goals:milestone_edit", args=[a.pk]))
    assert page.status_code == 200 and ">Edit milestone</h1>" in _html(page)
    browser.post(reverse("wellbeing_goals:milestone_edit", args=[a.pk]), {"title": "A2"})
    bad = browser.post(reverse("wellbeing_goals:milestone_edit", args=[a.pk]), {"title": ""})
    assert bad.status_code == 400
    browser.post(reverse("wellbeing_goals:milestone_delete", args=[b.pk]))
    assert list(goal.milestones.values_list("title", flat=True)) == ["A2", "C"]


def test_linking_an_action_item_from_the_page(world: World) -> None:
    goal = _goal(world)
    mine = action_item(world.dana, world.avi, title="Breathing practice")
    noas = action_item(world.dana, world.noa, title="Noa's practice")
    browser = signed_in(world.avi)
    html = _html(browser.get(reverse("wellbeing_goals:detail", args=[goal.pk])))
    assert "Breathing practice" in html and "Noa&#x27;s practice" not in html
    browser.post(reverse("wellbeing_goals:link", args=[goal.pk]), {"action_item": mine.pk})
    response = browser.post(
        reverse("wellbeing_goals:link", args=[goal.pk]), {"action_item": noas.pk}
    )
    assert response.status_code == 404
    assert list(GoalActionItem.objects.values_list("action_item_id", flat=True)) == [mine.pk]
    html = _html(browser.get(reverse("wellbeing_goals:detail", args=[goal.pk])))
    assert "Unlink Breathing practice" in html
    browser.post(reverse("wellbeing_goals:unlink", args=[goal.pk, mine.pk]))
    assert not GoalActionItem.objects.exists()


def test_edit_and_delete_pages(world: World) -> None:
    goal = _goal(world)
    browser = signed_in(world.avi)
    page = browser.get(reverse("wellbeing_goals:edit", args=[goal.pk]))
    assert ">Edit goal</h1>" in _html(page) and 'value="Run a 5k"' in _html(page)
    browser.post(reverse("wellbeing_goals:edit", args=[goal.pk]), {"title": "Run a 10k"})
    assert Goal.objects.get(pk=goal.pk).title == "Run a 10k"
    page = browser.get(reverse("wellbeing_goals:delete", args=[goal.pk]))
    assert "Delete this goal?" in _html(page)
    browser.post(reverse("wellbeing_goals:delete", args=[goal.pk]))
    assert not Goal.objects.exists()


def test_accept_and_decline_from_the_list(world: World) -> None:
    first = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="First")
    second = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="Second")
    browser = signed_in(world.avi)
    response = browser.post(
        reverse("wellbeing_goals:answer", args=[first.pk]), {"answer": "accept"}
    )
    assert response["Location"] == reverse("wellbeing_goals:detail", args=[first.pk])
    browser.post(reverse("wellbeing_goals:answer", args=[second.pk]), {"answer": "decline"})
    browser.post(reverse("wellbeing_goals:answer", args=[second.pk]), {"answer": "accept"})
    assert Goal.objects.get(pk=first.pk).status == Status.ACTIVE
    assert Goal.objects.get(pk=second.pk).status == Status.DECLINED


def test_a_proposal_page_shows_accept_and_decline(world: World) -> None:
    goal = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="First")
    html = _html(signed_in(world.avi).get(reverse("wellbeing_goals:detail", args=[goal.pk])))
    assert "Accept goal" in html and "Mark complete" not in html
    assert "Proposed by Dana Levi" in html


# --- Coach pages -----------------------------------------------------------------------------


def test_coach_proposes_a_goal_from_the_page(world: World) -> None:
    url = reverse("wellbeing_goals:propose", args=[world.noa.pk])
    browser = signed_in(world.dana)
    html = _html(browser.get(url))
    assert "Propose a goal" in html and "Noa Peretz" in html and html.count("<h1") == 1
    response = browser.post(url, {"title": "Journal weekly", "milestones": ["Week 1"]})
    assert response.status_code == 302
    assert response["Location"] == reverse("coach:client_tab", args=[world.noa.pk, "progress"])
    goal = Goal.objects.get()
    assert (goal.status, goal.proposed_by_id, goal.client_id) == (
        Status.PROPOSED,
        world.dana.pk,
        world.noa.pk,
    )
    assert [n["user_id"] for n in notices("goal_proposed")] == [world.noa.pk]
    bad = browser.post(url, {"title": ""})
    assert bad.status_code == 400 and Goal.objects.count() == 1


def test_coach_withdraws_a_proposal(world: World) -> None:
    goal = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="Try this")
    url = reverse("wellbeing_goals:withdraw", args=[goal.pk])
    browser = signed_in(world.dana)
    assert "Withdraw this proposal?" in _html(browser.get(url))
    browser.post(url)
    assert not Goal.objects.exists()


def test_withdrawing_an_answered_proposal_is_refused(world: World) -> None:
    goal = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="Try this")
    services.goal_answer_proposal(client=world.avi, goal_id=goal.pk, accept=True)
    response = signed_in(world.dana).post(reverse("wellbeing_goals:withdraw", args=[goal.pk]))
    assert response.status_code == 302
    assert Goal.objects.get(pk=goal.pk).status == Status.ACTIVE


def test_the_propose_page_in_hebrew(world: World) -> None:
    html = _html(signed_in(world.eli).get(reverse("wellbeing_goals:propose", args=[world.maya.pk])))
    assert 'lang="he"' in html and "Maya Friedman" in html


def test_the_detail_page_in_hebrew(world: World) -> None:
    goal = services.goal_create(client=world.noa, title="לישון מוקדם", milestones=["שבוע ראשון"])
    services.milestone_toggle(client=world.noa, milestone_id=goal.milestones.get().pk, done=True)
    response = signed_in(world.noa).get(reverse("wellbeing_goals:detail", args=[goal.pk]))
    html = _html(response)
    assert response.status_code == 200
    assert 'lang="he"' in html and 'dir="rtl"' in html
    assert "לישון מוקדם" in html and "שבוע ראשון" in html

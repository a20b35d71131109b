"""The goals API: the same services as the pages, problem documents for refusals,
constant queries on the list."""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from loom.journal.days import local_today
from loom.wellbeing import goals as services
from loom.wellbeing.models import Goal
from tests.conftest import signed_in
from tests.wellbeing.goals_support import action_item, notices
from tests.world import World

A = "/api/v1/wellbeing"


def call(browser, method: str, path: str, body: dict | None = None):
    response = browser.generic(
        method, f"{A}{path}", json.dumps(body or {}), content_type="application/json"
    )
    return response, (response.json() if response.content else None)


def test_create_read_and_list(world: World) -> None:
    browser = signed_in(world.avi)
    target = local_today(world.avi) + timedelta(days=5)
    response, body = call(
        browser,
        "POST",
        "/goals",
        {
            "title": "Run a 5k",
            "why": "Energy",
            "target_date": target.isoformat(),
            "milestones": [{"title": "Run 1k"}, {"title": "Run 3k", "due_on": target.isoformat()}],
        },
    )
    assert response.status_code == 201
    assert body["status"] == "active" and body["progress"] == 0
    assert [m["title"] for m in body["milestones"]] == ["Run 1k", "Run 3k"]
    assert body["url"] == f"/goals/{body['id']}/"
    response, read = call(browser, "GET", f"/goals/{body['id']}")
    assert read == body
    response, listed = call(browser, "GET", "/goals")
    assert [g["id"] for g in listed] == [body["id"]]
    response, listed = call(browser, "GET", "/goals?status=completed")
    assert listed == []
    response, _ = call(browser, "GET", "/goals?status=bogus")
    assert response.status_code == 422


def test_the_list_runs_the_same_queries_for_one_goal_or_many(world: World) -> None:
    browser = signed_in(world.avi)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response, _ = call(browser, "GET", "/goals?status=all")
            assert response.status_code == 200
        return len(queries)

    services.goal_create(client=world.avi, title="One", milestones=["a"])
    call(browser, "GET", "/goals")
    one = count()
    for n in range(5):
        goal = services.goal_create(client=world.avi, title=f"G{n}", milestones=["a", "b"])
        item = action_item(world.dana, world.avi, title=f"I{n}")
        services.goal_link_action_item(client=world.avi, goal_id=goal.pk, action_item_id=item.pk)
    assert count() == one


def test_bad_input_is_a_problem_and_writes_nothing(world: World) -> None:
    browser = signed_in(world.avi)
    for body in (
        {},
        {"title": ""},
        {"title": "x" * 201},
        {"title": "ok", "target_date": "2001-01-01"},
        {"title": "ok", "target_date": "31/12/2030"},
        {"title": "ok", "milestones": [{"title": f"m{n}"} for n in range(21)]},
        {"title": "ok", "milestones": ["not an object"]},
        {"title": ["list"]},
    ):
        response, _problem = call(browser, "POST", "/goals", body)
        assert response.status_code == 422, body
        assert response["Content-Type"] == "application/problem+json"
    assert not Goal.objects.exists()


def test_coaches_cannot_use_the_client_endpoints(world: World) -> None:
    response, problem = call(signed_in(world.dana), "POST", "/goals", {"title": "Mine"})
    assert response.status_code == 403 and problem["code"] == "not_a_client"
    assert not Goal.objects.exists()


def test_patch_changes_only_what_is_sent_and_all_or_nothing(world: World) -> None:
    goal = services.goal_create(client=world.avi, title="Run", why="Energy", milestones=["a"])
    browser = signed_in(world.avi)
    response, body = call(browser, "PATCH", f"/goals/{goal.pk}", {"measure": "A timed run"})
    assert response.status_code == 200
    assert (body["title"], body["why"], body["measure"]) == ("Run", "Energy", "A timed run")
    # Progress comes from the milestone: the whole PATCH is refused, the title too.
    response, problem = call(
        browser, "PATCH", f"/goals/{goal.pk}", {"title": "Walk", "progress": 40}
    )
    assert response.status_code == 409 and problem["code"] == "progress_from_milestones"
    assert Goal.objects.get(pk=goal.pk).title == "Run"
    plain = services.goal_create(client=world.avi, title="Plain")
    response, body = call(browser, "PATCH", f"/goals/{plain.pk}", {"progress": 40})
    assert body["progress"] == 40
    response, _ = call(browser, "PATCH", f"/goals/{plain.pk}", {"progress": 400})
    assert response.status_code == 422
    response, _ = call(browser, "PATCH", f"/goals/{plain.pk}", {"title": None})
    assert response.status_code == 422


def test_status_transitions_and_refusals(world: World) -> None:
    goal = services.goal_create(client=world.avi, title="Run")
    browser = signed_in(world.avi)
    response, body = call(browser, "POST", f"/goals/{goal.pk}/status", {"status": "completed"})
    assert body["status"] == "completed" and body["progress"] == 100 and body["completed_at"]
    response, problem = call(browser, "POST", f"/goals/{goal.pk}/status", {"status": "paused"})
    assert response.status_code == 409 and problem["code"] == "invalid_transition"
    response, _ = call(browser, "POST", f"/goals/{goal.pk}/status", {"status": "finished"})
    assert response.status_code == 422
    response, body = call(browser, "POST", f"/goals/{goal.pk}/status", {"status": "active"})
    assert body["status"] == "active" and body["completed_at"] is None


def test_milestones_celebrate_and_hint(world: World) -> None:
    goal = services.goal_create(client=world.avi, title="Run", milestones=["a"])
    browser = signed_in(world.avi)
    response, added = call(browser, "POST", f"/goals/{goal.pk}/milestones", {"title": "b"})
    assert response.status_code == 201 and added["position"] == 1
    first = goal.milestones.first().pk
    response, body = call(browser, "PATCH", f"/milestones/{first}", {"done": True})
    assert body["celebrate"] and not body["goal_completed_hint"] and body["goal"]["progress"] == 50
    response, body = call(browser, "PATCH", f"/milestones/{first}", {"done": True})
    assert not body["celebrate"]
    response, body = call(
        browser, "PATCH", f"/milestones/{added['id']}", {"done": True, "title": "b2"}
    )
    assert body["celebrate"] and body["goal_completed_hint"]
    assert body["milestone"]["title"] == "b2" and body["goal"]["progress"] == 100
    response, _ = call(browser, "DELETE", f"/milestones/{added['id']}")
    assert response.status_code == 204
    assert len(notices("goal_completed")) == 2


def test_action_items_link_and_unlink(world: World) -> None:
    goal = services.goal_create(client=world.avi, title="Run")
    mine = action_item(world.dana, world.avi)
    noas = action_item(world.dana, world.noa)
    browser = signed_in(world.avi)
    response, body = call(
        browser, "POST", f"/goals/{goal.pk}/action-items", {"action_item": mine.pk}
    )
    assert [i["id"] for i in body["action_items"]] == [mine.pk]
    response, _ = call(browser, "POST", f"/goals/{goal.pk}/action-items", {"action_item": noas.pk})
    assert response.status_code == 404
    response, _ = call(browser, "DELETE", f"/goals/{goal.pk}/action-items/{mine.pk}")
    assert response.status_code == 204
    response, _ = call(browser, "DELETE", f"/goals/{goal.pk}/action-items/{mine.pk}")
    assert response.status_code == 404


def test_proposals_answer_and_withdraw(world: World) -> None:
    dana = signed_in(world.dana)
    response, body = call(dana, "POST", f"/clients/{world.avi.pk}/goals", {"title": "Sleep"})
    assert response.status_code == 201 and body["status"] == "proposed"
    assert body["proposed_by"] == world.dana.pk
    response, _ = call(
        signed_in(world.eli), "POST", f"/clients/{world.avi.pk}/goals", {"title": "x"}
    )
    assert response.status_code == 404
    response, _ = call(signed_in(world.eli), "DELETE", f"/goals/{body['id']}/proposal")
    assert response.status_code == 404
    avi = signed_in(world.avi)
    response, answered = call(avi, "POST", f"/goals/{body['id']}/answer", {"accept": True})
    assert answered["status"] == "active" and answered["accepted_at"]
    response, problem = call(avi, "POST", f"/goals/{body['id']}/answer", {"accept": False})
    assert response.status_code == 409
    response, problem = call(dana, "DELETE", f"/goals/{body['id']}/proposal")
    assert response.status_code == 409 and problem["code"] == "already_answered"
    response, second = call(dana, "POST", f"/clients/{world.avi.pk}/goals", {"title": "Again"})
    response, _ = call(dana, "DELETE", f"/goals/{second['id']}/proposal")
    assert response.status_code == 204
    assert not Goal.objects.filter(pk=second["id"]).exists()


def test_delete_is_for_good(world: World) -> None:
    goal = services.goal_create(client=world.avi, title="Run", milestones=["a"])
    response, _ = call(signed_in(world.maya), "DELETE", f"/goals/{goal.pk}")
    assert response.status_code == 404
    response, _ = call(signed_in(world.avi), "DELETE", f"/goals/{goal.pk}")
    assert response.status_code == 204 and not Goal.objects.exists()


def test_openapi_documents_the_goal_operations(world: World) -> None:
    paths = signed_in(world.avi).get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths[f"{A}/goals"])
    assert {"get", "patch", "delete"} <= set(paths[f"{A}/goals/{{goal_id}}"])
    assert {"patch", "delete"} <= set(paths[f"{A}/milestones/{{milestone_id}}"])
    assert "post" in paths[f"{A}/clients/{{client_id}}/goals"]
    assert "delete" in paths[f"{A}/goals/{{goal_id}}/proposal"]

"""The progress API: dashboard, trends, insights, sharing, and the coach's view."""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from loom.core.models import AuditLog
from loom.journal.days import local_today
from loom.wellbeing.models import SharingPreference
from tests.conftest import signed_in
from tests.wellbeing.progress_factories import action_item, checkin, goal, share

API = "/api/v1/wellbeing"


def _moods(client, values) -> None:
    today = local_today(client)
    for offset, mood in enumerate(values):
        checkin(client, today - timedelta(days=offset), mood=mood, sleep=8 if offset % 2 else 5)


def test_dashboard_numbers(world) -> None:
    _moods(world.avi, [6, 7, 8])
    goal(world.avi, "Swim", progress=30, milestones=(True, False))
    body = signed_in(world.avi).get(f"{API}/progress").json()
    assert body["range"] == 30
    assert [day["average"] for day in body["mood"]] == [8.0, 7.0, 6.0]
    assert body["mood"][-1]["moving_average"] == 7.0
    assert body["checkin_streak"] == {"current": 3, "longest": 3}
    assert body["journal_streak"] == {"current": 0, "longest": 0}
    assert body["goals"][0]["title"] == "Swim"
    assert body["goals"][0]["milestones_done"] == 1


def test_dashboard_range_is_validated(world) -> None:
    browser = signed_in(world.avi)
    assert browser.get(f"{API}/progress", {"range": 90}).json()["range"] == 90
    refused = browser.get(f"{API}/progress", {"range": 7})
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"


def test_trends_and_insights(world) -> None:
    _moods(world.avi, [8, 4] * 5)
    browser = signed_in(world.avi)
    trends = browser.get(f"{API}/progress/trends", {"range": 365}).json()
    assert trends["range"] == 365
    assert len(trends["weekdays"]) == 7 and len(trends["parts_of_day"]) == 4
    assert [part["key"] for part in trends["parts_of_day"]] == [
        "morning",
        "afternoon",
        "evening",
        "night",
    ]
    insights = browser.get(f"{API}/progress/insights").json()
    assert insights["insights"][0]["factor"] == "sleep"
    assert insights["insights"][0]["days_with"] == 5
    assert "not what causes what" in insights["note"]
    assert browser.get(f"{API}/progress/trends", {"range": "x"}).status_code == 422


def test_insights_empty_text(world) -> None:
    body = signed_in(world.avi).get(f"{API}/progress/insights").json()
    assert body == {
        "insights": [],
        "note": "Insights appear once you have at least 3 days with and 3 days without a factor.",
    }


def test_client_endpoints_refuse_coaches(world) -> None:
    for path in ("/progress", "/progress/trends", "/progress/insights", "/sharing"):
        assert signed_in(world.dana).get(f"{API}{path}").status_code == 403
        assert signed_in(world.admin).get(f"{API}{path}").status_code == 403


def test_sharing_get_and_put(world) -> None:
    browser = signed_in(world.avi)
    assert browser.get(f"{API}/sharing").json() == {"share_checkins": False, "share_goals": True}
    response = browser.put(
        f"{API}/sharing",
        json.dumps({"share_checkins": True, "share_goals": False}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"share_checkins": True, "share_goals": False}
    assert AuditLog.objects.filter(action="wellbeing.sharing_changed", actor=world.avi).count() == 1


def test_sharing_put_refuses_bad_input_and_changes_nothing(world) -> None:
    browser = signed_in(world.avi)
    for body in (
        {"share_checkins": "yes", "share_goals": True},
        {"share_checkins": 1, "share_goals": True},
        {"share_checkins": True},
        {"share_checkins": True, "share_goals": True, "share_journal": True},
    ):
        response = browser.put(f"{API}/sharing", json.dumps(body), content_type="application/json")
        assert response.status_code == 422, body
    assert not SharingPreference.objects.filter(client=world.avi).exists()
    assert not AuditLog.objects.filter(action="wellbeing.sharing_changed").exists()


def test_coach_view_only_shared(world) -> None:
    _moods(world.noa, [5, 6, 7])
    goal(world.noa, "Private goal")
    action_item(world.dana, world.noa, "Write three lines")
    share(world.noa, checkins=False, goals=False)
    dana = signed_in(world.dana)
    body = dana.get(f"{API}/clients/{world.noa.pk}/progress").json()
    assert body["shares_checkins"] is False and body["mood"] is None
    assert body["goals"] == [] and body["last_checkin_at"] is None
    assert [item["title"] for item in body["open_action_items"]] == ["Write three lines"]
    share(world.noa, checkins=True, goals=True)
    body = dana.get(f"{API}/clients/{world.noa.pk}/progress").json()
    assert len(body["mood"]) == 3 and body["goals"][0]["title"] == "Private goal"
    assert "note" not in json.dumps(body["mood"])


def test_coach_view_is_404_for_anyone_elses_client(world) -> None:
    eli = signed_in(world.eli)
    assert eli.get(f"{API}/clients/{world.noa.pk}/progress").status_code == 404
    assert eli.get(f"{API}/clients/999999/progress").status_code == 404
    assert signed_in(world.dana).get(f"{API}/clients/{world.dana.pk}/progress").status_code == 404
    assert signed_in(world.avi).get(f"{API}/clients/{world.noa.pk}/progress").status_code == 403
    assert signed_in(world.dana).get(
        f"{API}/clients/99999999999999999999/progress"
    ).status_code in (404, 422)


def test_api_needs_sign_in(client) -> None:
    assert client.get(f"{API}/progress").status_code == 401


def test_dashboard_api_query_count_is_constant(world) -> None:
    browser = signed_in(world.avi)
    browser.get(f"{API}/progress")
    with CaptureQueriesContext(connection) as few:
        browser.get(f"{API}/progress")
    _moods(world.avi, [5, 6, 7] * 20)
    for index in range(4):
        goal(world.avi, f"Goal {index}", milestones=(True, False))
    with CaptureQueriesContext(connection) as many:
        browser.get(f"{API}/progress")
    assert len(many) == len(few)

"""The check-ins API: create (201 + crisis), list with a cursor, get, patch, delete,
daily aggregates and the vocabulary — clients only, own check-ins only."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loom.wellbeing.models import CheckIn
from tests.conftest import signed_in
from tests.wellbeing.checkins_factory import at, record
from tests.world import World

A = "/api/v1/wellbeing"


def call(client: Client, method: str, path: str, body: Any = None, **headers: Any) -> Any:
    return client.generic(
        method,
        f"{A}{path}",
        "" if body is None else json.dumps(body),
        content_type="application/json",
        **headers,
    )


def test_create_returns_201_with_the_check_in(world: World) -> None:
    body = {
        "pleasantness": 8,
        "energy": 7,
        "emotions": [{"emotion": "excited", "intensity": 9}],
        "sensations": ["tingling"],
        "coping_strategy": "music",
        "coping_helped": 5,
        "sleep_hours": 7.5,
        "note": "<b>bold</b>",
    }
    response = call(signed_in(world.avi), "POST", "/checkins", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["pleasantness"] == 8
    assert data["emotions"] == [{"emotion": "excited", "intensity": 9}]
    assert data["timezone"] == "Asia/Jerusalem"
    assert data["sleep_hours"] == 7.5
    assert data["note"] == "<b>bold</b>"
    assert data["crisis"] is None
    assert data["url"] == f"/checkins/{data['id']}/"
    assert CheckIn.objects.get().client_id == world.avi.pk


def test_create_with_crisis_words_returns_the_helplines(world: World) -> None:
    response = call(
        signed_in(world.avi),
        "POST",
        "/checkins",
        {"pleasantness": 1, "energy": 1, "thoughts": "I want to kill myself"},
    )
    assert response.status_code == 201
    crisis = response.json()["crisis"]
    assert crisis["severity"] == "high"
    assert crisis["lines"] and {"name", "phone", "url"} <= set(crisis["lines"][0])
    assert "kill" not in json.dumps(crisis)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pleasantness": 0, "energy": 5}, "pleasantness"),
        ({"pleasantness": 5, "energy": 11}, "energy"),
        (
            {"pleasantness": 5, "energy": 5, "emotions": [{"emotion": "x", "intensity": 5}]},
            "emotions",
        ),
        (
            {"pleasantness": 5, "energy": 5, "emotions": [{"emotion": "sad", "intensity": 0}]},
            "emotions",
        ),
        ({"pleasantness": 5, "energy": 5, "note": "x" * 2001}, "note"),
        ({"pleasantness": 5, "energy": 5, "occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"pleasantness": 5, "energy": 5, "sleep_hours": 30}, "sleep_hours"),
    ],
)
def test_refused_values_are_422_naming_the_field(
    world: World, body: dict[str, Any], field: str
) -> None:
    response = call(signed_in(world.avi), "POST", "/checkins", body)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"pleasantness": "a lot", "energy": 5}, 422),
        ({"pleasantness": 5}, 422),
        ([], 400),
        ("text", 400),
    ],
)
def test_malformed_bodies_are_refused(world: World, body: Any, status: int) -> None:
    response = call(signed_in(world.avi), "POST", "/checkins", body)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert not CheckIn.objects.exists()


def test_list_pages_with_a_cursor_in_one_query(world: World) -> None:
    now = timezone.now()
    made = [at(world.avi, now - dt.timedelta(hours=h)) for h in range(5)]
    record(world.noa)
    client = signed_in(world.avi)
    call(client, "GET", "/checkins?limit=2")
    with CaptureQueriesContext(connection) as queries:
        first = call(client, "GET", "/checkins?limit=2").json()
    # Session, user, and the page: the page itself is one query.
    page_queries = [q for q in queries if "wellbeing_checkin" in q["sql"]]
    assert len(page_queries) == 1
    second = call(client, "GET", f"/checkins?limit=2&cursor={first['next_cursor']}").json()
    third = call(client, "GET", f"/checkins?limit=2&cursor={second['next_cursor']}").json()
    ids = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert ids == [c.pk for c in made]
    assert third["next_cursor"] is None
    assert call(client, "GET", "/checkins?limit=500").status_code == 422


def test_get_patch_and_delete_own_check_in(world: World) -> None:
    checkin = record(world.avi, pleasantness=3, energy=3, note="before")
    client = signed_in(world.avi)
    assert call(client, "GET", f"/checkins/{checkin.pk}").json()["note"] == "before"
    response = call(
        client,
        "PATCH",
        f"/checkins/{checkin.pk}",
        {"energy": 9, "emotions": [{"emotion": "restless", "intensity": 4}]},
    )
    assert response.status_code == 200
    data = response.json()
    assert (data["pleasantness"], data["energy"], data["note"]) == (3, 9, "before")
    assert data["emotions"] == [{"emotion": "restless", "intensity": 4}]
    refused = call(client, "PATCH", f"/checkins/{checkin.pk}", {"energy": 0})
    assert refused.status_code == 422
    assert call(client, "DELETE", f"/checkins/{checkin.pk}").status_code == 204
    assert call(client, "GET", f"/checkins/{checkin.pk}").status_code == 404


def test_someone_elses_check_in_is_404_and_coaches_are_403(world: World) -> None:
    checkin = record(world.avi, energy=4)
    maya = signed_in(world.maya)
    for method, body in (("GET", None), ("PATCH", {"energy": 9}), ("DELETE", None)):
        assert call(maya, method, f"/checkins/{checkin.pk}", body).status_code == 404
    dana = signed_in(world.dana)
    assert call(dana, "GET", "/checkins").status_code == 403
    assert call(dana, "GET", f"/checkins/{checkin.pk}").status_code == 403
    assert call(dana, "POST", "/checkins", {"pleasantness": 5, "energy": 5}).status_code == 403
    assert call(Client(), "GET", "/checkins").status_code == 401
    checkin.refresh_from_db()
    assert checkin.energy == 4


def test_daily_aggregates_by_local_day(world: World) -> None:
    now = timezone.now()
    at(world.avi, now - dt.timedelta(minutes=5), pleasantness=8, energy=2)
    at(world.avi, now - dt.timedelta(minutes=4), pleasantness=5, energy=5)
    client = signed_in(world.avi)
    days = call(client, "GET", "/checkins/daily").json()
    assert len(days) == 1
    assert days[0]["avg_pleasantness"] == 6.5
    assert days[0]["avg_energy"] == 3.5
    assert days[0]["count"] == 2
    assert call(client, "GET", "/checkins/daily?start=2026-01-01&end=2025-01-01").status_code == 422
    assert call(client, "GET", "/checkins/daily?start=2020-01-01&end=2026-01-01").status_code == 422
    assert call(client, "GET", "/checkins/daily?start=nonsense").status_code == 422
    assert call(client, "GET", "/checkins/daily?start=2025-01-01&end=2025-12-31").json() == []


def test_the_vocabulary_speaks_the_request_language(world: World) -> None:
    english = call(signed_in(world.avi), "GET", "/emotions").json()
    assert {"key": "calm", "label": "Calm", "quadrant": "low-pleasant"} in english["emotions"]
    assert {"key": "breathing", "label": "Breathing"} in english["coping_strategies"]
    assert len(english["sensations"]) >= 10
    hebrew = call(signed_in(world.noa), "GET", "/emotions", HTTP_ACCEPT_LANGUAGE="he")
    assert hebrew.status_code == 200
    assert [e["key"] for e in hebrew.json()["emotions"]] == [e["key"] for e in english["emotions"]]

"""The journal API (/api/v1/journal/…)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from loom.journal.days import local_today
from loom.journal.models import Entry, Intention, Prompt
from tests.conftest import signed_in
from tests.journal.journal_helpers import entry
from tests.world import World

A = "/api/v1/journal"


def _send(browser: Client, method: str, path: str, body: dict[str, Any]) -> Any:
    return browser.generic(method, f"{A}{path}", json.dumps(body), content_type="application/json")


def test_create_read_update_delete(world: World) -> None:
    browser = signed_in(world.avi)
    created = _send(
        browser,
        "POST",
        "/entries",
        {
            "title": "API",
            "body": "**Calm** chest",
            "mood": 7,
            "emotions": ["calm"],
            "body_areas": ["chest"],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["crisis"] is None
    item = body["entry"]
    assert item["body_html"] == "<p><strong>Calm</strong> chest</p>"
    assert item["written_on"] == local_today(world.avi).isoformat()
    assert item["has_audio"] is False and item["audio_url"] is None
    pk = item["id"]
    assert browser.get(f"{A}/entries/{pk}").json()["title"] == "API"
    patched = _send(browser, "PATCH", f"/entries/{pk}", {"mood": None, "title": "Changed"})
    assert patched.status_code == 200
    assert (
        patched.json()["entry"]["mood"] is None
        and patched.json()["entry"]["body"] == "**Calm** chest"
    )
    assert browser.delete(f"{A}/entries/{pk}").status_code == 204
    assert not Entry.objects.exists()


def test_bad_input_is_422_and_saves_nothing(world: World) -> None:
    browser = signed_in(world.avi)
    tomorrow = (local_today(world.avi) + timedelta(days=1)).isoformat()
    for payload in (
        {"body": "x", "mood": 11},
        {"body": "x", "emotions": ["nope"]},
        {"body": "x", "written_on": tomorrow},
        {"body": "x", "prompt_id": 123456},
        {"body": "x" * 20_001},
        {"body": ""},
        {"body": "x", "mood": "high"},
    ):
        response = _send(browser, "POST", "/entries", payload)
        assert response.status_code == 422, payload
        assert response["Content-Type"] == "application/problem+json"
    assert not Entry.objects.exists()


def test_foreign_entries_are_404_and_coaches_403(world: World) -> None:
    noas = entry(world.noa, body="Noa's")
    avi = signed_in(world.avi)
    assert avi.get(f"{A}/entries/{noas.pk}").status_code == 404
    assert _send(avi, "PATCH", f"/entries/{noas.pk}", {"body": "mine"}).status_code == 404
    assert avi.delete(f"{A}/entries/{noas.pk}").status_code == 404
    dana = signed_in(world.dana)
    assert dana.get(f"{A}/entries").status_code == 403
    assert _send(dana, "POST", "/entries", {"body": "x"}).status_code == 403
    assert Client().get(f"{A}/entries").status_code == 401
    noas.refresh_from_db()
    assert noas.body == "Noa's"


def test_list_pages_with_cursor_in_constant_queries(world: World) -> None:
    today = local_today(world.avi)
    prompt = Prompt.objects.create(coach=world.dana, text="Coach prompt")
    for n in range(7):
        entry(world.avi, title=f"t{n}", written_on=today - timedelta(days=n), prompt_id=prompt.pk)
    browser = signed_in(world.avi)
    browser.get(f"{A}/entries?limit=3")
    with CaptureQueriesContext(connection) as queries:
        first = browser.get(f"{A}/entries?limit=3").json()
    titles = [item["title"] for item in first["items"]]
    assert titles == ["t0", "t1", "t2"] and first["items"][0]["prompt_text"] == "Coach prompt"
    second = browser.get(f"{A}/entries?limit=3&cursor={first['next_cursor']}").json()
    third = browser.get(f"{A}/entries?limit=3&cursor={second['next_cursor']}").json()
    assert [i["title"] for i in third["items"]] == ["t6"] and third["next_cursor"] is None
    for n in range(10):
        entry(world.avi, title=f"more{n}", prompt_id=prompt.pk)
    with CaptureQueriesContext(connection) as more:
        browser.get(f"{A}/entries?limit=20")
    assert len(more) == len(queries)
    bad = browser.get(f"{A}/entries?cursor=!!bad")
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    assert browser.get(f"{A}/entries?limit=1000").status_code == 422


def test_stats_prompts_and_intention(world: World) -> None:
    entry(world.avi, mood=8, emotions=["calm"])
    Prompt.objects.create(coach=world.dana, text="From Dana")
    Prompt.objects.create(coach=world.eli, text="From Eli")
    browser = signed_in(world.avi)
    stats = browser.get(f"{A}/stats").json()
    assert stats["current_streak"] == 1 and stats["average_mood"] == 8.0
    prompts = browser.get(f"{A}/prompts").json()
    texts = [p["text"] for p in prompts["prompts"]]
    assert "From Dana" in texts and "From Eli" not in texts
    assert {z["key"] for z in prompts["body_zones"]} >= {"chest", "throat"}
    put = _send(browser, "PUT", "/intention", {"text": "Slow down"})
    assert put.status_code == 200 and put.json()["text"] == "Slow down"
    assert Intention.objects.get().text == "Slow down"
    assert _send(browser, "PUT", "/intention", {"text": "x" * 301}).status_code == 422
    assert _send(browser, "PUT", "/intention", {"text": ""}).json()["text"] == ""
    assert not Intention.objects.exists()


def test_crisis_is_returned_on_create(world: World) -> None:
    response = _send(signed_in(world.avi), "POST", "/entries", {"body": "I want to kill myself"})
    assert response.status_code == 201
    crisis = response.json()["crisis"]
    assert crisis is not None and crisis["lines"]


def test_openapi_documents_the_journal(world: World) -> None:
    schema = signed_in(world.avi).get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert "/api/v1/journal/entries" in paths and "/api/v1/journal/entries/{entry_id}" in paths
    assert paths["/api/v1/journal/entries"]["post"]["summary"] == "Write a journal entry"

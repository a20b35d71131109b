"""The journal sharing API: sharing, comments, the coach's shared list and entry (audited),
coach prompts. Same rules as the pages; problem documents; constant query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from loom.journal import sharing
from loom.journal.models import Comment, Prompt
from tests.conftest import signed_in
from tests.journal.sharing_world import SECRET, archive, audits, make_entry
from tests.world import World

pytestmark = pytest.mark.django_db

API = "/api/v1/journal"


def _post(browser: Client, path: str, data: Any = None) -> Any:
    return browser.post(f"{API}{path}", data or {}, content_type="application/json")


def _patch(browser: Client, path: str, data: Any) -> Any:
    return browser.patch(f"{API}{path}", data, content_type="application/json")


def test_share_and_unshare(world: World) -> None:
    entry = make_entry(world.avi)
    browser = signed_in(world.avi)
    response = _post(browser, f"/entries/{entry.pk}/share", {"coach_id": world.dana.pk})
    assert response.status_code == 200
    body = response.json()
    assert body["shared_with"] == {"id": world.dana.pk, "name": "Dana Levi"} and body["shared_at"]
    response = _post(browser, f"/entries/{entry.pk}/unshare")
    assert response.json() == {"id": entry.pk, "shared_with": None, "shared_at": None}
    assert _post(browser, f"/entries/{entry.pk}/unshare").status_code == 200


def test_share_refusals(world: World) -> None:
    entry = make_entry(world.avi)
    avi = signed_in(world.avi)
    foreign = _post(avi, f"/entries/{entry.pk}/share", {"coach_id": world.eli.pk})
    assert foreign.status_code == 404
    assert foreign["Content-Type"] == "application/problem+json"
    assert _post(avi, f"/entries/{entry.pk}/share", {}).status_code == 422
    assert _post(avi, f"/entries/{entry.pk}/share", {"coach_id": "x"}).status_code == 422
    assert (
        _post(
            signed_in(world.noa), f"/entries/{entry.pk}/share", {"coach_id": world.dana.pk}
        ).status_code
        == 404
    )
    assert (
        _post(
            signed_in(world.dana), f"/entries/{entry.pk}/share", {"coach_id": world.dana.pk}
        ).status_code
        == 403
    )
    assert (
        _post(Client(), f"/entries/{entry.pk}/share", {"coach_id": world.dana.pk}).status_code
        == 401
    )
    entry.refresh_from_db()
    assert entry.shared_with_id is None


def test_comments_both_ways(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    dana, avi = signed_in(world.dana), signed_in(world.avi)
    created = _post(dana, f"/entries/{entry.pk}/comments", {"body": "Nice **work**"})
    assert created.status_code == 201
    body = created.json()
    assert body["crisis"] is None
    assert body["comment"]["body_html"] == "<p>Nice <strong>work</strong></p>"
    assert body["comment"]["author"]["id"] == world.dana.pk and body["comment"]["mine"]
    _post(avi, f"/entries/{entry.pk}/comments", {"body": "Thanks"})
    listed = avi.get(f"{API}/entries/{entry.pk}/comments").json()
    assert [(c["body"], c["mine"]) for c in listed] == [("Nice **work**", False), ("Thanks", True)]
    # The coach's reading of the thread is an opening of the entry: audited.
    before = len(audits("journal.entry_viewed"))
    assert len(dana.get(f"{API}/entries/{entry.pk}/comments").json()) == 2
    assert len(audits("journal.entry_viewed")) == before + 1
    # Deleting: own only.
    theirs = listed[0]["id"]
    assert avi.delete(f"{API}/comments/{theirs}").status_code == 404
    assert dana.delete(f"{API}/comments/{theirs}").status_code == 204
    assert Comment.objects.count() == 1


def test_comment_refusals(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    private = make_entry(world.avi)
    dana = signed_in(world.dana)
    assert _post(dana, f"/entries/{entry.pk}/comments", {"body": "   "}).status_code == 400
    assert _post(dana, f"/entries/{entry.pk}/comments", {"body": "x" * 4001}).status_code == 422
    assert _post(dana, f"/entries/{private.pk}/comments", {"body": "hi"}).status_code == 404
    refused = _post(signed_in(world.avi), f"/entries/{private.pk}/comments", {"body": "hi"})
    assert refused.status_code == 400 and refused.json()["code"] == "not_shared"
    assert (
        _post(signed_in(world.eli), f"/entries/{entry.pk}/comments", {"body": "hi"}).status_code
        == 404
    )
    assert signed_in(world.eli).get(f"{API}/entries/{entry.pk}/comments").status_code == 404
    assert not Comment.objects.exists()


def test_client_comment_with_crisis_words_returns_support_lines(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    response = _post(
        signed_in(world.avi), f"/entries/{entry.pk}/comments", {"body": "I want to kill myself"}
    )
    assert response.status_code == 201
    crisis = response.json()["crisis"]
    assert crisis["severity"] and crisis["lines"]


def test_coach_lists_and_opens_shared_entries_audited(world: World) -> None:
    start = dt.date(2026, 3, 1)
    for i in range(5):
        make_entry(
            world.avi,
            shared_with=world.dana,
            title=f"Day {i}",
            written_on=start + dt.timedelta(days=i),
        )
    make_entry(world.avi, title="Private")
    dana = signed_in(world.dana)
    first = dana.get(f"{API}/shared", {"client_id": world.avi.pk, "limit": 3}).json()
    assert [item["excerpt"] for item in first["items"]] == ["Day 4", "Day 3", "Day 2"]
    second = dana.get(
        f"{API}/shared", {"client_id": world.avi.pk, "limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [item["excerpt"] for item in second["items"]] == ["Day 1", "Day 0"]
    assert second["next_cursor"] is None
    assert len(audits("journal.shared_list_viewed")) == 2
    entry_id = first["items"][0]["id"]
    opened = dana.get(f"{API}/shared/{entry_id}")
    assert opened.status_code == 200
    body = opened.json()
    assert SECRET in body["body"] and "<strong>tension</strong>" in body["body_html"]
    assert body["emotions"] == ["calm", "anxious"] and body["author"]["name"] == "Avi Mizrahi"
    [row] = audits("journal.entry_viewed")
    assert row.actor_id == world.dana.pk and row.target_id == str(entry_id)


def test_shared_list_refusals(world: World) -> None:
    make_entry(world.avi, shared_with=world.dana)
    dana = signed_in(world.dana)
    assert (
        dana.get(f"{API}/shared", {"client_id": world.avi.pk, "cursor": "garbage!"}).status_code
        == 400
    )
    assert dana.get(f"{API}/shared").status_code == 422
    assert dana.get(f"{API}/shared", {"client_id": world.avi.pk, "limit": 500}).status_code == 422
    assert dana.get(f"{API}/shared", {"client_id": world.maya.pk}).json()["items"] == []
    assert (
        signed_in(world.eli).get(f"{API}/shared", {"client_id": world.avi.pk}).json()["items"] == []
    )
    assert signed_in(world.avi).get(f"{API}/shared", {"client_id": world.avi.pk}).status_code == 403
    archive(world, world.dana, world.avi)
    assert dana.get(f"{API}/shared", {"client_id": world.avi.pk}).json()["items"] == []


def test_shared_entry_404_after_unshare_and_archive(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    other = make_entry(world.noa, shared_with=world.dana)
    dana = signed_in(world.dana)
    sharing.entry_unshare(author=world.avi, entry_id=entry.pk)
    assert dana.get(f"{API}/shared/{entry.pk}").status_code == 404
    archive(world, world.dana, world.noa)
    assert dana.get(f"{API}/shared/{other.pk}").status_code == 404
    assert signed_in(world.eli).get(f"{API}/shared/{other.pk}").status_code == 404
    assert audits("journal.entry_viewed") == []


def test_shared_list_query_count_is_constant(world: World) -> None:
    dana = signed_in(world.dana)
    make_entry(world.avi, shared_with=world.dana)
    dana.get(f"{API}/shared", {"client_id": world.avi.pk})
    with CaptureQueriesContext(connection) as few:
        dana.get(f"{API}/shared", {"client_id": world.avi.pk})
    for i in range(30):
        entry = make_entry(world.avi, shared_with=world.dana, title=f"e{i}")
        Comment.objects.create(entry=entry, author=world.dana, body="c")
    with CaptureQueriesContext(connection) as many:
        response = dana.get(f"{API}/shared", {"client_id": world.avi.pk})
    assert len(response.json()["items"]) == 20
    assert len(few) == len(many)


def test_comment_list_query_count_is_constant(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    avi = signed_in(world.avi)
    avi.get(f"{API}/entries/{entry.pk}/comments")
    with CaptureQueriesContext(connection) as few:
        avi.get(f"{API}/entries/{entry.pk}/comments")
    for i in range(10):
        sharing.comment_add(author=world.dana, entry_id=entry.pk, body=f"c{i}")
    with CaptureQueriesContext(connection) as many:
        avi.get(f"{API}/entries/{entry.pk}/comments")
    assert len(few) == len(many)


def test_prompts_api(world: World) -> None:
    dana = signed_in(world.dana)
    created = _post(dana, "/prompts/mine", {"text": "What softened today?"})
    assert created.status_code == 201
    prompt_id = created.json()["id"]
    assert (
        _patch(dana, f"/prompts/mine/{prompt_id}", {"is_active": False}).json()["is_active"]
        is False
    )
    assert [p["text"] for p in dana.get(f"{API}/prompts/mine").json()] == ["What softened today?"]
    assert _post(dana, "/prompts/mine", {"text": ""}).status_code == 400
    assert _post(dana, "/prompts/mine", {"text": "x" * 501}).status_code == 422
    eli = signed_in(world.eli)
    assert _patch(eli, f"/prompts/mine/{prompt_id}", {"text": "mine"}).status_code == 404
    assert eli.delete(f"{API}/prompts/mine/{prompt_id}").status_code == 404
    assert eli.get(f"{API}/prompts/mine").json() == []
    assert signed_in(world.avi).get(f"{API}/prompts/mine").status_code == 403
    assert dana.delete(f"{API}/prompts/mine/{prompt_id}").status_code == 204
    assert not Prompt.objects.exists()


def test_openapi_documents_the_sharing_operations(world: World) -> None:
    schema = signed_in(world.dana).get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/journal/entries/{entry_id}/share",
        "/api/v1/journal/entries/{entry_id}/comments",
        "/api/v1/journal/shared",
        "/api/v1/journal/shared/{entry_id}",
        "/api/v1/journal/prompts/mine/{prompt_id}",
    ):
        assert path in paths, path

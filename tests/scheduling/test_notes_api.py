"""The notes API: who gets what, bad input, one query per list."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from loom.scheduling import note_services as services
from loom.scheduling.models import ActionItem, SessionPrivateNote, SessionSummary
from tests.conftest import signed_in
from tests.scheduling.notes_support import MARKER, group, one_to_one, pdf_bytes, upload
from tests.world import World

BASE = "/api/v1/scheduling/sessions/{}"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def call(client: Client, method: str, path: str, data: Any = None) -> Any:
    body = "" if data is None else json.dumps(data)
    return client.generic(method, path, body, content_type="application/json")


def test_private_note_is_the_coachs_alone(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    path = BASE.format(session.pk) + "/private-note"
    dana, avi = signed_in(world.dana), signed_in(world.avi)
    response = call(dana, "PUT", path, {"body": MARKER})
    assert response.status_code == 200
    assert response.json() == {"body": MARKER}
    assert call(dana, "GET", path).json() == {"body": MARKER}
    for method, data in (("GET", None), ("PUT", {"body": "mine"})):
        response = call(avi, method, path, data)
        assert response.status_code == 403
        assert MARKER not in response.content.decode()
    assert call(signed_in(world.eli), "GET", path).status_code == 404
    assert call(Client(), "GET", path).status_code == 401
    assert SessionPrivateNote.objects.get().body == MARKER


def test_private_note_too_long_is_422(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    path = BASE.format(session.pk) + "/private-note"
    response = call(
        signed_in(world.dana), "PUT", path, {"body": "x" * (services.PRIVATE_NOTE_MAX + 1)}
    )
    assert response.status_code == 422
    assert not SessionPrivateNote.objects.exists()


def test_summary_draft_hidden_from_client_until_shared(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    path = BASE.format(session.pk) + "/summary"
    dana, avi = signed_in(world.dana), signed_in(world.avi)
    call(dana, "PUT", path, {"body": "draft words", "share": False})
    assert call(avi, "GET", path).json() == {"body": "", "shared_at": None}
    assert call(dana, "GET", path).json()["body"] == "draft words"
    shared = call(dana, "PUT", path, {"body": "<script>x</script>", "share": True}).json()
    assert shared["shared_at"] is not None
    assert call(avi, "GET", path).json()["body"] == "<script>x</script>"
    assert call(avi, "PUT", path, {"body": "mine"}).status_code == 403
    assert SessionSummary.objects.get().body == "<script>x</script>"


def test_action_items_flow(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    items = BASE.format(session.pk) + "/action-items"
    dana, avi = signed_in(world.dana), signed_in(world.avi)
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    created = call(dana, "POST", items, {"title": "Read", "due_on": due})
    assert created.status_code == 201
    (item,) = created.json()
    assert item["client_id"] == world.avi.pk
    assert call(avi, "POST", items, {"title": "mine"}).status_code == 403
    one = f"{items}/{item['id']}"
    assert call(avi, "PUT", one, {"title": "x"}).status_code == 403
    assert call(dana, "PUT", one, {"title": "Read more", "details": "ch. 2"}).json()["title"] == (
        "Read more"
    )
    done = call(avi, "POST", one + "/done", {"done": True}).json()
    assert done["completed_at"] is not None
    assert call(dana, "POST", one + "/done", {"done": True}).status_code == 404
    assert [i["title"] for i in call(avi, "GET", items).json()] == ["Read more"]
    assert call(avi, "DELETE", one).status_code == 403
    assert call(dana, "DELETE", one).status_code == 204
    assert not ActionItem.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "x" * 201},
        {"title": ""},
        {"title": "ok", "due_on": "2001-01-01"},
        {"title": "ok", "due_on": "not a date"},
        {"title": "ok", "client_ids": [999_999]},
        {"title": "ok", "details": "d" * 4001},
        {"title": None},
        {},
    ],
)
def test_action_item_bad_input_is_422(world: World, payload: dict[str, Any]) -> None:
    session = one_to_one(world.dana, world.avi)
    response = call(
        signed_in(world.dana), "POST", BASE.format(session.pk) + "/action-items", payload
    )
    assert response.status_code == 422, response.content
    assert not ActionItem.objects.exists()


def test_foreign_item_in_my_session_path_is_404(world: World) -> None:
    mine = one_to_one(world.dana, world.avi)
    other = one_to_one(world.eli, world.maya)
    (foreign,) = services.action_item_create(actor=world.eli, session=other, title="Maya's")
    path = BASE.format(mine.pk) + f"/action-items/{foreign.pk}"
    assert call(signed_in(world.dana), "PUT", path, {"title": "x"}).status_code == 404
    assert call(signed_in(world.dana), "DELETE", path).status_code == 404
    foreign.refresh_from_db()
    assert foreign.title == "Maya's"


def test_reflections_and_preparation(world: World) -> None:
    future = one_to_one(world.dana, world.avi, starts_at=timezone.now() + timedelta(days=2))
    avi, dana = signed_in(world.avi), signed_in(world.dana)
    prep = BASE.format(future.pk) + "/preparation"
    assert call(avi, "PUT", prep, {"body": "topics"}).status_code == 200
    assert call(dana, "PUT", prep, {"body": "x"}).status_code == 403
    refl = BASE.format(future.pk) + "/reflection"
    assert call(avi, "PUT", refl, {"body": "early"}).status_code == 409
    rows = call(dana, "GET", BASE.format(future.pk) + "/reflections").json()
    assert rows == [{"client_id": world.avi.pk, "preparation": "topics", "reflection": ""}]


def test_group_reflections_are_private_between_attendees(world: World) -> None:
    session = group(world.dana, [world.avi, world.noa])
    services.reflection_save(actor=world.avi, session=session, body="avi's")
    services.reflection_save(actor=world.noa, session=session, body="noa's")
    path = BASE.format(session.pk) + "/reflections"
    assert [r["reflection"] for r in call(signed_in(world.noa), "GET", path).json()] == ["noa's"]
    assert len(call(signed_in(world.dana), "GET", path).json()) == 2


def test_attachments_list(world: World, django_assert_max_num_queries: Any) -> None:
    session = one_to_one(world.dana, world.avi)
    for _ in range(3):
        services.attachment_add(
            actor=world.avi, session=session, upload=upload("a.pdf", pdf_bytes())
        )
    dana = signed_in(world.dana)
    path = BASE.format(session.pk) + "/attachments"
    dana.get("/api/v1/scheduling/sessions")  # warm the session
    with django_assert_max_num_queries(6):
        files = call(dana, "GET", path).json()
    assert len(files) == 3
    assert files[0]["download_url"].endswith(f"/notes/files/{files[0]['id']}/")
    assert call(signed_in(world.maya), "GET", path).status_code == 404


def test_lists_do_not_grow_with_rows(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    session = one_to_one(world.dana, world.avi)
    dana = signed_in(world.dana)
    path = BASE.format(session.pk) + "/action-items"
    services.action_item_create(actor=world.dana, session=session, title="one")
    call(dana, "GET", path)  # the first request of a session touches the session store
    with CaptureQueriesContext(connection) as few:
        call(dana, "GET", path)
    for index in range(5):
        services.action_item_create(actor=world.dana, session=session, title=f"t{index}")
    with CaptureQueriesContext(connection) as many:
        assert len(call(dana, "GET", path).json()) == 6
    assert len(many) == len(few) <= 4

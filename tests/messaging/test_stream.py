"""The polling fallback: GET /stream/events/ and POST /stream/command/."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loom.core.realtime import stream_position
from loom.messaging.models import Message
from tests.conftest import signed_in
from tests.messaging.factories import Talks, send, talks
from tests.world import World

EVENTS = "/stream/events/"
COMMAND = "/stream/command/"


@pytest.fixture
def t(world: World) -> Talks:
    return talks(world)


def _post(client: Client, frame: Any, **extra: Any) -> Any:
    body = frame if isinstance(frame, (str, bytes)) else json.dumps(frame)
    return client.post(COMMAND, body, content_type="application/json", **extra)


def _send_frame(
    conversation: int, client_id: str | None = None, body: str = "Hi"
) -> dict[str, Any]:
    return {
        "type": "message.send",
        "ref": "r1",
        "conversation": conversation,
        "client_id": client_id or str(uuid.uuid4()),
        "body": body,
    }


def test_urls_are_named() -> None:
    assert reverse("stream_events") == EVENTS
    assert reverse("stream_command") == COMMAND


def test_anonymous_gets_401_problem_json(db: None) -> None:
    for response in (Client().get(EVENTS), _post(Client(), {"type": "typing"})):
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"


def test_polling_returns_events_after_a_number(world: World, t: Talks) -> None:
    first = send(world.avi, t.dana_avi, "One")
    second = send(world.avi, t.dana_avi, "Two")
    dana = signed_in(world.dana)
    body = dana.get(EVENTS, {"after": 0}).json()
    created = [f for f in body["frames"] if f.get("kind") == "message.created"]
    assert [f["data"]["id"] for f in created] == [first.pk, second.pk]
    assert body["seq"] == stream_position(world.dana.pk) == body["frames"][-1]["seq"]
    assert dana.get(EVENTS, {"after": body["seq"]}).json() == {"frames": [], "seq": body["seq"]}
    later = dana.get(EVENTS, {"after": created[0]["seq"]}).json()
    assert [f["data"]["id"] for f in later["frames"] if f.get("kind") == "message.created"] == [
        second.pk
    ]
    resync = dana.get(EVENTS, {"after": 10_000}).json()
    assert resync == {"frames": [{"type": "resync", "seq": body["seq"]}], "seq": body["seq"]}
    # Only the person's own stream, whoever asks.
    maya = signed_in(world.maya).get(EVENTS, {"after": 0}).json()
    assert maya == {"frames": [], "seq": 0}


@pytest.mark.parametrize("after", ["x", "-1", "1e3", "1.5", "99999999999999999999999", "١٢"])
def test_bad_after_is_400(world: World, after: str) -> None:
    response = signed_in(world.dana).get(EVENTS, {"after": after})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_polling_query_count_does_not_grow_with_events(world: World, t: Talks) -> None:
    dana = signed_in(world.dana)
    send(world.avi, t.dana_avi, "warm up")
    dana.get(EVENTS, {"after": 0})
    with CaptureQueriesContext(connection) as few:
        dana.get(EVENTS, {"after": 0})
    for i in range(20):
        send(world.avi, t.dana_avi, f"more {i}")
    with CaptureQueriesContext(connection) as many:
        response = dana.get(EVENTS, {"after": 0})
    assert len(response.json()["frames"]) >= 21
    assert len(many) == len(few)


def test_command_sends_once_and_replies_like_the_socket(world: World, t: Talks) -> None:
    avi = signed_in(world.avi)
    frame = _send_frame(t.dana_avi.pk, body="Over **HTTP**")
    response = _post(avi, frame)
    assert response.status_code == 200
    reply = response.json()
    assert reply["type"] == "reply" and reply["ref"] == "r1" and reply["ok"] is True
    assert reply["data"]["created"] is True
    assert reply["data"]["message"]["body_html"] == "<p>Over <strong>HTTP</strong></p>"
    again = _post(avi, frame).json()
    assert again["data"]["created"] is False
    assert again["data"]["message"]["id"] == reply["data"]["message"]["id"]
    assert Message.objects.count() == 1


def test_command_refusal_is_a_reply_frame(world: World, t: Talks) -> None:
    response = _post(signed_in(world.avi), _send_frame(t.dana_avi.pk, body="x" * 10_001))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_long"
    unknown = _post(signed_in(world.avi), {"type": "no.such", "ref": "z"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "unknown_command"
    assert not Message.objects.exists()


@pytest.mark.parametrize("frame", ["not json", "[1, 2]", '{"type": 5}', "\xff", '"typing"'])
def test_malformed_command_is_400(world: World, frame: str) -> None:
    response = _post(signed_in(world.avi), frame)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_foreign_conversation_is_a_404(world: World, t: Talks) -> None:
    for user in (world.eli, world.maya, world.noa, world.admin):
        response = _post(signed_in(user), _send_frame(t.dana_avi.pk))
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
    message = send(world.dana, t.dana_avi, "Dana's")
    response = _post(signed_in(world.eli), {"type": "message.delete", "message": message.pk})
    assert response.status_code == 404
    assert Message.objects.count() == 1
    assert not Message.objects.get().is_deleted


@pytest.mark.parametrize("size", [65_537, 10 * 1024 * 1024])
def test_oversized_command_is_413(world: World, t: Talks, size: int) -> None:
    frame = _send_frame(t.dana_avi.pk, body="x" * size)
    response = _post(signed_in(world.avi), frame)
    assert response.status_code == 413
    assert not Message.objects.exists()


def test_command_needs_the_csrf_token(world: World, t: Talks) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.avi)
    browser.get("/home/", follow=True)
    refused = _post(browser, _send_frame(t.dana_avi.pk))
    assert refused.status_code == 403
    token = browser.cookies["csrftoken"].value if "csrftoken" in browser.cookies else None
    if token is None:
        from django.conf import settings

        token = browser.cookies[settings.CSRF_COOKIE_NAME].value
    accepted = _post(browser, _send_frame(t.dana_avi.pk), HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200
    assert Message.objects.count() == 1


def test_commands_are_rate_limited(world: World, t: Talks) -> None:
    avi = signed_in(world.avi)
    with override_settings(LOOM_SOCKET_RATE_BURST=3):
        statuses = [_post(avi, _send_frame(t.dana_avi.pk)).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert Message.objects.count() == 3


def test_methods_are_checked(world: World) -> None:
    dana = signed_in(world.dana)
    assert dana.post(EVENTS).status_code == 405
    assert dana.get(COMMAND).status_code == 405

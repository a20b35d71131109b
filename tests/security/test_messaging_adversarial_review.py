"""Adversarial review of messaging and the realtime stream (issue 5).

Each test names a way in that once hurt: text that cannot be stored or sent, an echo
that crashed the socket, a deleted message whose words stayed replayable.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from loom.core.context import acting_as
from loom.core.models import UserEvent
from loom.core.realtime import events_after
from loom.messaging import services
from loom.messaging.models import Message
from tests.conftest import signed_in
from tests.messaging.factories import send, talks
from tests.world import World

ORIGIN = "http://localhost"
# A JSON escape for half of a UTF-16 pair: valid JSON, but no UTF-8 text can hold it.
LONE_SURROGATE = "\\ud800"
SURROGATE_MARK = "@SURROGATE@"


def _frame(**fields: Any) -> str:
    """A JSON frame as a browser could send it, with ``SURROGATE_MARK`` as a lone surrogate."""
    return json.dumps(fields).replace(SURROGATE_MARK, LONE_SURROGATE)


def _cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


async def _connect(user: Any) -> WebsocketCommunicator:
    cookie = await sync_to_async(_cookie)(user)
    communicator = WebsocketCommunicator(
        application,
        "/ws/stream/",
        headers=[(b"origin", ORIGIN.encode()), (b"cookie", cookie.encode())],
    )
    connected, code = await communicator.connect()
    assert connected, code
    await communicator.send_json_to({"type": "hello", "last_seq": 0})
    while (await communicator.receive_json_from(timeout=30))["type"] not in {"ready", "resync"}:
        pass
    return communicator


async def _reply(communicator: WebsocketCommunicator) -> dict[str, Any]:
    while True:
        output = await communicator.receive_output(timeout=30)
        assert output["type"] != "websocket.close", output
        frame = json.loads(output["text"])
        if frame.get("type") == "reply":
            return dict(frame)


@pytest.mark.django_db
def test_a_body_with_a_lone_surrogate_is_refused_not_a_server_error(world: World) -> None:
    t = talks(world)
    raw = _frame(
        type="message.send",
        ref="r1",
        conversation=t.dana_avi.pk,
        client_id=str(uuid.uuid4()),
        body=f"hi {SURROGATE_MARK}",
    )
    response = signed_in(world.avi).post(
        "/stream/command/", data=raw, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_an_edit_to_a_lone_surrogate_is_refused_and_keeps_the_text(world: World) -> None:
    t = talks(world)
    message = send(world.avi, t.dana_avi, "Before")
    with acting_as(world.avi.pk), pytest.raises(services.Invalid):
        services.message_edit(user=world.avi, message_id=message.pk, body="after \ud800")
    message.refresh_from_db()
    assert message.body == "Before" and message.edited_at is None


@pytest.mark.django_db(transaction=True)
def test_a_lone_surrogate_over_the_socket_gets_an_answer_and_the_socket_stays_open() -> None:
    world = World.build()
    t = talks(world)

    async def run() -> None:
        avi = await _connect(world.avi)
        # The body: a clear refusal, not a crash that makes the browser resend forever.
        await avi.send_to(
            text_data=_frame(
                type="message.send",
                ref="a",
                conversation=t.dana_avi.pk,
                client_id=str(uuid.uuid4()),
                body=f"x{SURROGATE_MARK}",
            )
        )
        reply = await _reply(avi)
        assert reply["ok"] is False and reply["error"]["code"] == "invalid"
        # The ref is echoed back: one that cannot be sent as text is not echoed.
        await avi.send_to(text_data=_frame(type="ping.nothing", ref=SURROGATE_MARK))
        reply = await _reply(avi)
        assert reply["ref"] is None and reply["error"]["code"] == "unknown_command"
        await avi.send_json_to({"type": "ping"})
        assert (await avi.receive_json_from(timeout=30))["type"] == "pong"
        await avi.disconnect()

    async_to_sync(run)()
    assert not Message.objects.exists()


def _stored_text(user: Any) -> str:
    return json.dumps(
        list(UserEvent.objects.filter(user=user).values_list("data", flat=True)),
        ensure_ascii=False,
    )


@pytest.mark.django_db
def test_a_deleted_message_cannot_be_read_back_from_the_stream(world: World) -> None:
    t = talks(world)
    secret = send(world.avi, t.dana_avi, "My secret diagnosis")
    services.message_edit(user=world.avi, message_id=secret.pk, body="My secret diagnosis, again")
    send(world.dana, t.dana_avi, "Thanks for telling me", reply_to_id=secret.pk)
    services.reaction_set(user=world.dana, message_id=secret.pk, emoji="🙏", on=True)
    assert "secret diagnosis" in _stored_text(world.dana)

    services.message_delete(user=world.avi, message_id=secret.pk)

    for person in (world.dana, world.avi):
        # What a reconnecting screen replays (and what the table still holds).
        assert "secret diagnosis" not in json.dumps(
            events_after(user_id=person.pk, after=0).frames(), ensure_ascii=False
        )
        assert "secret diagnosis" not in _stored_text(person)
    # The events keep their order and kinds; the deleted message shows as deleted.
    created = UserEvent.objects.get(user=world.dana, kind="message.created", data__id=secret.pk)
    assert created.data["deleted"] is True and created.data["body_html"] == ""
    reply = UserEvent.objects.get(
        user=world.dana, kind="message.created", data__reply_to__id=secret.pk
    )
    assert reply.data["body"] == "Thanks for telling me"
    assert reply.data["reply_to"]["excerpt"] == ""


@pytest.mark.django_db(transaction=True)
def test_a_socket_stops_streaming_once_its_session_is_signed_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.contrib.sessions.backends.cached_db import SessionStore

    from loom.core import consumers

    monkeypatch.setattr(consumers, "SESSION_CHECK_SECONDS", 0.0)
    world = World.build()
    t = talks(world)

    async def run() -> None:
        cookie = await sync_to_async(_cookie)(world.avi)
        communicator = WebsocketCommunicator(
            application,
            "/ws/stream/",
            headers=[(b"origin", ORIGIN.encode()), (b"cookie", cookie.encode())],
        )
        connected, _code = await communicator.connect()
        assert connected
        await communicator.send_json_to({"type": "hello", "last_seq": 0})
        assert (await communicator.receive_json_from(timeout=30))["type"] == "ready"
        # Avi signs out in another tab (the session is flushed) ...
        session_key = cookie.split("=", 1)[1]
        await sync_to_async(SessionStore(session_key).delete)()
        # ... and Dana writes: the open socket must not carry it any more.
        await sync_to_async(send)(world.dana, t.dana_avi, "Private after sign-out")
        while True:
            output = await communicator.receive_output(timeout=30)
            if output["type"] == "websocket.close":
                assert output["code"] == consumers.CLOSE_UNAUTHENTICATED
                return
            assert "Private after sign-out" not in output.get("text", "")

    async_to_sync(run)()

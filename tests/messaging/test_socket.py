"""Messaging over the real socket stack: config.asgi (Origin check, session auth) → commands.

People connect with their session cookie, as a browser does; what one sends reaches
the other live, and anything naming a conversation or message that is not theirs
closes the socket with 4403.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from config.asgi import application
from loom.messaging.models import BODY_MAX, Message, Reaction
from tests.messaging.factories import Talks, send, talks
from tests.world import World

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "http://localhost"


def _cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


async def _connect(
    user: Any = None, *, origin: str = ORIGIN, last_seq: int = 0, hello: bool = True
) -> tuple[WebsocketCommunicator, list[dict[str, Any]]]:
    headers = [(b"origin", origin.encode())]
    if user is not None:
        cookie = await sync_to_async(_cookie)(user)
        headers.append((b"cookie", cookie.encode()))
    communicator = WebsocketCommunicator(application, "/ws/stream/", headers=headers)
    connected, code = await communicator.connect()
    if not connected:
        raise ConnectionRefusedError(code)
    frames: list[dict[str, Any]] = []
    if hello:
        await communicator.send_json_to({"type": "hello", "last_seq": last_seq})
        while True:
            frame = await communicator.receive_json_from(timeout=30)
            frames.append(frame)
            if frame["type"] in {"ready", "resync"}:
                break
    return communicator, frames


async def _command(communicator: WebsocketCommunicator, frame: dict[str, Any]) -> dict[str, Any]:
    """Send a command and return its reply (events that arrive first are skipped)."""
    ref = uuid.uuid4().hex[:12]
    await communicator.send_json_to({**frame, "ref": ref})
    while True:
        out = await communicator.receive_json_from(timeout=30)
        if out.get("type") == "reply" and out.get("ref") == ref:
            return out


async def _next_event(
    communicator: WebsocketCommunicator, kind: str, where: Any = None
) -> dict[str, Any]:
    """The next event of ``kind`` (whose data passes ``where``); others are skipped."""
    while True:
        out = await communicator.receive_json_from(timeout=30)
        wanted = out.get("type") == "event" and out.get("kind") == kind
        if wanted and (where is None or where(out["data"])):
            return out


async def _drain(communicator: WebsocketCommunicator, quiet: float = 0.5) -> list[dict[str, Any]]:
    frames = []
    while not await communicator.receive_nothing(timeout=quiet):
        frames.append(await communicator.receive_json_from(timeout=30))
    return frames


async def _closed_with(communicator: WebsocketCommunicator) -> int:
    while True:
        out = await communicator.receive_output(timeout=30)
        if out["type"] == "websocket.close":
            return int(out["code"])


def _world() -> tuple[World, Talks]:
    world = World.build()
    return world, talks(world)


def test_send_reaches_the_other_person_live_and_a_retry_is_stored_once() -> None:
    world, t = _world()

    async def run() -> None:
        dana, _ = await _connect(world.dana)
        avi, _ = await _connect(world.avi)
        client_id = str(uuid.uuid4())
        frame = {
            "type": "message.send",
            "conversation": t.dana_avi.pk,
            "client_id": client_id,
            "body": "Hello **Dana**",
        }
        reply = await _command(avi, frame)
        assert reply["ok"] is True and reply["data"]["created"] is True
        sent = reply["data"]["message"]
        assert sent["body_html"] == "<p>Hello <strong>Dana</strong></p>"
        event = await _next_event(dana, "message.created")
        assert event["data"] == sent
        own = await _next_event(avi, "message.created")
        assert own["data"]["id"] == sent["id"]
        again = await _command(avi, frame)
        assert again["ok"] is True and again["data"]["created"] is False
        assert again["data"]["message"]["id"] == sent["id"]
        # Dana may still hear about the notification of the first send; nothing more.
        late = await _drain(dana)
        assert [f["data"]["id"] for f in late if f.get("kind") == "message.created"] == []
        await dana.disconnect()
        await avi.disconnect()

    async_to_sync(run)()
    assert Message.objects.count() == 1


def test_edit_react_read_typing_and_delete_commands() -> None:
    world, t = _world()
    message = send(world.dana, t.dana_avi, "First")

    async def run() -> None:
        dana, _ = await _connect(world.dana, last_seq=1)
        avi, frames = await _connect(world.avi, last_seq=0)
        assert [f["kind"] for f in frames if f.get("kind", "").startswith("message.")] == [
            "message.created"
        ]
        edited = await _command(
            dana, {"type": "message.edit", "message": message.pk, "body": "First!"}
        )
        assert edited["ok"] and edited["data"]["message"]["body"] == "First!"
        assert (await _next_event(avi, "message.updated"))["data"]["edited_at"]
        reacted = await _command(
            avi, {"type": "message.react", "message": message.pk, "emoji": "👍", "on": True}
        )
        assert reacted["data"]["message"]["reactions"] == [{"emoji": "👍", "users": [world.avi.pk]}]
        await _next_event(dana, "message.updated", lambda data: data["reactions"])
        read = await _command(
            avi, {"type": "conversation.read", "conversation": t.dana_avi.pk, "message": message.pk}
        )
        assert read["data"]["read"]["message"] == message.pk
        receipt = await _next_event(dana, "conversation.read")
        assert receipt["data"]["user"] == world.avi.pk
        typing = await _command(avi, {"type": "typing", "conversation": t.dana_avi.pk})
        assert typing["ok"]
        signal = await dana.receive_json_from(timeout=30)
        while signal.get("type") != "typing":
            signal = await dana.receive_json_from(timeout=30)
        assert signal["conversation"] == t.dana_avi.pk and signal["user"] == world.avi.pk
        assert signal["expires_in"] == 6
        deleted = await _command(dana, {"type": "message.delete", "message": message.pk})
        assert deleted["data"]["message"]["deleted"] is True
        gone = await _next_event(avi, "message.updated", lambda data: data["deleted"])
        assert gone["data"]["body"] == "" and gone["data"]["reactions"] == []
        await dana.disconnect()
        await avi.disconnect()

    async_to_sync(run)()
    assert not Reaction.objects.exists()


def test_refusals_keep_the_socket_open_with_a_code() -> None:
    world, t = _world()
    dana_message = send(world.dana, t.dana_avi, "Dana's")
    old = send(world.avi, t.dana_avi, "Old")
    Message.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timezone.timedelta(hours=1)
    )
    deleted = send(world.avi, t.dana_avi, "Deleted")
    Message.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now(), body="")
    conv = t.dana_avi.pk
    cases = [
        ({"type": "message.send", "conversation": conv, "client_id": "x", "body": "Hi"}, "invalid"),
        (
            {
                "type": "message.send",
                "conversation": "1",
                "client_id": str(uuid.uuid4()),
                "body": "Hi",
            },
            "invalid",
        ),
        (
            {
                "type": "message.send",
                "conversation": True,
                "client_id": str(uuid.uuid4()),
                "body": "Hi",
            },
            "invalid",
        ),
        (
            {
                "type": "message.send",
                "conversation": conv,
                "client_id": str(uuid.uuid4()),
                "body": 5,
            },
            "invalid",
        ),
        (
            {
                "type": "message.send",
                "conversation": conv,
                "client_id": str(uuid.uuid4()),
                "body": "  ",
            },
            "invalid",
        ),
        (
            {
                "type": "message.send",
                "conversation": conv,
                "client_id": str(uuid.uuid4()),
                "body": "x" * (BODY_MAX + 1),
            },
            "too_long",
        ),
        (
            {
                "type": "message.send",
                "conversation": conv,
                "client_id": str(uuid.uuid4()),
                "body": "Hi",
                "attachments": "1",
            },
            "invalid",
        ),
        ({"type": "message.edit", "message": old.pk, "body": "Late"}, "edit_window"),
        ({"type": "message.edit", "message": dana_message.pk, "body": "Mine now"}, "not_yours"),
        ({"type": "message.delete", "message": dana_message.pk}, "not_yours"),
        ({"type": "message.react", "message": deleted.pk, "emoji": "👍", "on": True}, "deleted"),
        (
            {"type": "message.react", "message": dana_message.pk, "emoji": "💩", "on": True},
            "invalid",
        ),
        (
            {"type": "message.react", "message": dana_message.pk, "emoji": "👍", "on": "yes"},
            "invalid",
        ),
        ({"type": "conversation.read", "conversation": conv}, "invalid"),
        ({"type": "no.such.command"}, "unknown_command"),
    ]

    async def run() -> None:
        avi, _ = await _connect(world.avi)
        for frame, code in cases:
            reply = await _command(avi, frame)
            assert reply["ok"] is False, frame
            assert reply["error"]["code"] == code, (frame, reply)
            assert reply["error"]["detail"]
        await avi.send_json_to({"type": "ping"})
        assert (await avi.receive_json_from(timeout=30))["type"] == "pong"
        await avi.disconnect()

    before = Message.objects.count()
    async_to_sync(run)()
    assert Message.objects.count() == before
    assert Message.objects.get(pk=dana_message.pk).body == "Dana's"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "message.send", "conversation": "ELI", "client_id": "", "body": "Hi"},
        {"type": "message.send", "conversation": 999_999, "client_id": "", "body": "Hi"},
        {"type": "message.edit", "message": "ELI", "body": "Hi"},
        {"type": "message.delete", "message": "ELI"},
        {"type": "message.react", "message": "ELI", "emoji": "👍", "on": True},
        {"type": "conversation.read", "conversation": "ELI", "message": "ELI"},
        {"type": "typing", "conversation": "ELI"},
    ],
)
def test_a_foreign_conversation_or_message_closes_the_socket_with_4403(
    frame: dict[str, Any],
) -> None:
    world, t = _world()
    elis = send(world.eli, t.eli_maya, "Eli's")
    filled = {
        key: (t.eli_maya.pk if key == "conversation" else elis.pk) if value == "ELI" else value
        for key, value in frame.items()
    }
    if filled.get("client_id") == "":
        filled["client_id"] = str(uuid.uuid4())

    async def run() -> None:
        dana, _ = await _connect(world.dana)
        await dana.send_json_to({**filled, "ref": "r1"})
        assert await _closed_with(dana) == 4403

    async_to_sync(run)()
    assert Message.objects.count() == 1
    assert Message.objects.get().body == "Eli's"


def test_anonymous_socket_is_closed_with_4401() -> None:
    async def run() -> None:
        with pytest.raises(ConnectionRefusedError) as refused:
            await _connect(None, hello=False)
        assert refused.value.args[0] == 4401

    async_to_sync(run)()


def test_a_foreign_origin_is_refused_before_anything_else() -> None:
    world, _t = _world()

    async def run() -> None:
        with pytest.raises(ConnectionRefusedError):
            await _connect(world.dana, origin="https://evil.example", hello=False)

    async_to_sync(run)()


def test_malformed_frames_get_an_error_then_close_4400() -> None:
    world, _t = _world()

    async def run() -> None:
        dana, _ = await _connect(world.dana)
        await dana.send_to(text_data="{not json")
        error = await dana.receive_json_from(timeout=30)
        assert error == {"type": "error", "code": "malformed", "detail": "Frames are JSON objects."}
        for _ in range(6):
            await dana.send_to(text_data="[1, 2]")
        assert await _closed_with(dana) == 4400

    async_to_sync(run)()


def test_a_ten_megabyte_frame_closes_with_4413_and_stores_nothing() -> None:
    world, t = _world()

    async def run() -> None:
        dana, _ = await _connect(world.dana)
        frame = {
            "type": "message.send",
            "conversation": t.dana_avi.pk,
            "client_id": str(uuid.uuid4()),
            "body": "x" * (10 * 1024 * 1024),
        }
        await dana.send_to(text_data=json.dumps(frame))
        assert await _closed_with(dana) == 4413

    async_to_sync(run)()
    assert not Message.objects.exists()


def test_a_flood_of_sends_closes_with_4429() -> None:
    world, t = _world()

    async def run() -> None:
        with override_settings(LOOM_SOCKET_RATE_BURST=5, LOOM_SOCKET_RATE_PER_SECOND=1):
            avi, _ = await _connect(world.avi)
            for _ in range(10):
                await avi.send_json_to(
                    {
                        "type": "message.send",
                        "conversation": t.dana_avi.pk,
                        "client_id": str(uuid.uuid4()),
                        "body": "spam",
                    }
                )
            assert await _closed_with(avi) == 4429

    async_to_sync(run)()
    assert Message.objects.count() < 10


def test_reconnect_replays_missed_messages_in_order_or_resyncs() -> None:
    world, t = _world()
    sent = [send(world.avi, t.dana_avi, f"while away {i}").pk for i in range(5)]

    def created(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [f for f in frames if f.get("kind") == "message.created"]

    async def run() -> None:
        dana, frames = await _connect(world.dana, last_seq=0)
        everything = created(frames)
        assert [f["data"]["id"] for f in everything] == sent
        seqs = [f["seq"] for f in frames if f["type"] == "event"]
        assert seqs == list(range(1, len(seqs) + 1))
        last = frames[-1]
        assert last == {"type": "ready", "seq": seqs[-1]}
        await dana.disconnect()
        again, frames = await _connect(world.dana, last_seq=everything[1]["seq"])
        assert [f["data"]["id"] for f in created(frames)] == sent[2:]
        assert frames[-1] == last
        await again.disconnect()
        with override_settings(LOOM_REALTIME_REPLAY_LIMIT=2):
            behind, frames = await _connect(world.dana, last_seq=0)
            assert frames == [{"type": "resync", "seq": last["seq"]}]
            await behind.disconnect()

    async_to_sync(run)()

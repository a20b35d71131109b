"""The stream socket's protocol: hello and replay, live events, commands, limits, close codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

from loom.core import consumers
from loom.core.consumers import (
    CommandError,
    CommandForbidden,
    StreamConsumer,
    realtime_register_command,
)
from loom.core.context import acting_user_var
from loom.core.realtime import event_append
from tests.world import World

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def test_commands() -> Iterator[None]:
    def echo(user: Any, frame: dict[str, Any]) -> dict[str, Any]:
        if frame.get("fail"):
            raise CommandError("invalid", "Refused.")
        if frame.get("foreign"):
            raise CommandForbidden
        return {"echo": frame.get("value"), "acting": acting_user_var.get()}

    def announce(user: Any, frame: dict[str, Any]) -> dict[str, Any]:
        event_append(user.pk, "note", {"text": "from a command"})
        return {}

    realtime_register_command("test.echo", echo)
    realtime_register_command("test.announce", announce)
    yield
    consumers._COMMANDS.pop("test.echo", None)
    consumers._COMMANDS.pop("test.announce", None)


def _communicator(user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(StreamConsumer.as_asgi(), "/ws/stream/")
    communicator.scope["user"] = user
    return communicator


async def _open(user: Any, last_seq: int = 0) -> tuple[WebsocketCommunicator, list[dict]]:
    communicator = _communicator(user)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data=json.dumps({"type": "hello", "last_seq": last_seq}))
    frames = []
    while True:
        frame = await communicator.receive_json_from(timeout=3)
        frames.append(frame)
        if frame["type"] in {"ready", "resync"}:
            return communicator, frames


def test_an_anonymous_socket_is_closed_with_4401() -> None:
    async def run() -> None:
        communicator = _communicator(AnonymousUser())
        connected, code = await communicator.connect()
        assert not connected and code == 4401

    async_to_sync(run)()


def test_hello_replays_what_was_missed_then_ready() -> None:
    world = World.build()
    for index in range(3):
        event_append(world.dana.pk, "note", {"i": index})

    async def run() -> None:
        communicator, frames = await _open(world.dana, last_seq=1)
        assert [(f["type"], f.get("seq")) for f in frames] == [
            ("event", 2),
            ("event", 3),
            ("ready", 3),
        ]
        await communicator.disconnect()

    async_to_sync(run)()


def test_a_stale_number_gets_a_resync() -> None:
    world = World.build()

    async def run() -> None:
        communicator, frames = await _open(world.dana, last_seq=50)
        assert frames == [{"type": "resync", "seq": 0}]
        await communicator.disconnect()

    async_to_sync(run)()


def test_events_committed_later_arrive_live_in_order_once() -> None:
    world = World.build()

    async def run() -> None:
        communicator, _ = await _open(world.dana)
        await sync_to_async(event_append)(world.dana.pk, "note", {"i": 1})
        await sync_to_async(event_append)(world.dana.pk, "note", {"i": 2})
        first = await communicator.receive_json_from(timeout=3)
        second = await communicator.receive_json_from(timeout=3)
        assert (first["seq"], second["seq"]) == (1, 2)
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()

    async_to_sync(run)()


def test_another_persons_events_never_reach_this_socket() -> None:
    world = World.build()

    async def run() -> None:
        communicator, _ = await _open(world.avi)
        await sync_to_async(event_append)(world.dana.pk, "note", {"secret": True})
        assert await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()

    async_to_sync(run)()


def test_commands_run_as_the_sockets_person_and_reply_by_ref(test_commands: None) -> None:
    world = World.build()

    async def run() -> None:
        communicator, _ = await _open(world.dana)
        await communicator.send_json_to({"type": "test.echo", "ref": "r1", "value": 5})
        reply = await communicator.receive_json_from(timeout=3)
        assert reply == {
            "type": "reply",
            "ref": "r1",
            "ok": True,
            "data": {"echo": 5, "acting": str(world.dana.pk)},
        }
        await communicator.send_json_to({"type": "test.echo", "ref": "r2", "fail": True})
        refused = await communicator.receive_json_from(timeout=3)
        assert refused["ok"] is False and refused["error"]["code"] == "invalid"
        await communicator.send_json_to({"type": "no.such", "ref": "r3"})
        unknown = await communicator.receive_json_from(timeout=3)
        assert unknown["error"]["code"] == "unknown_command"
        await communicator.disconnect()

    async_to_sync(run)()


def test_a_commands_own_events_follow_its_reply(test_commands: None) -> None:
    world = World.build()

    async def run() -> None:
        communicator, _ = await _open(world.dana)
        await communicator.send_json_to({"type": "test.announce", "ref": "a"})
        frames = [await communicator.receive_json_from(timeout=3) for _ in range(2)]
        assert {f["type"] for f in frames} == {"reply", "event"}
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()

    async_to_sync(run)()


def test_a_forbidden_command_closes_the_socket_with_4403(test_commands: None) -> None:
    world = World.build()

    async def run() -> None:
        communicator, _ = await _open(world.dana)
        await communicator.send_json_to({"type": "test.echo", "foreign": True})
        closed = await communicator.receive_output(timeout=3)
        assert closed == {"type": "websocket.close", "code": 4403}

    async_to_sync(run)()


def test_malformed_frames_are_answered_then_the_socket_closes_with_4400() -> None:
    world = World.build()

    async def run() -> None:
        communicator, _ = await _open(world.dana)
        for text in ["not json", "[1, 2]", '{"type": 5}', "{}", "null", '"hello"']:
            await communicator.send_to(text_data=text)
        frames = []
        while True:
            output = await communicator.receive_output(timeout=3)
            if output["type"] == "websocket.close":
                assert output["code"] == 4400
                break
            frames.append(json.loads(output["text"]))
        assert len(frames) == consumers.MALFORMED_ALLOWED
        assert all(
            f == {"type": "error", "code": "malformed", "detail": frames[0]["detail"]}
            for f in frames
        )

    async_to_sync(run)()


@override_settings(LOOM_SOCKET_MAX_FRAME_BYTES=1024)
def test_an_oversized_frame_closes_the_socket_with_4413() -> None:
    world = World.build()

    async def run() -> None:
        communicator, _ = await _open(world.dana)
        await communicator.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 2000}))
        closed = await communicator.receive_output(timeout=3)
        assert closed["code"] == 4413

    async_to_sync(run)()


@override_settings(LOOM_SOCKET_RATE_PER_SECOND=1, LOOM_SOCKET_RATE_BURST=5)
def test_a_flood_of_frames_closes_the_socket_with_4429() -> None:
    world = World.build()

    async def run() -> None:
        communicator, _ = await _open(world.dana)
        for _ in range(10):
            await communicator.send_json_to({"type": "ping"})
        outputs = []
        while True:
            output = await communicator.receive_output(timeout=3)
            outputs.append(output)
            if output["type"] == "websocket.close":
                break
        assert outputs[-1]["code"] == 4429
        # The hello used one token; four pings were answered before the limit.
        assert len(outputs) == 5

    async_to_sync(run)()


def test_a_bad_last_seq_is_refused_without_replaying() -> None:
    world = World.build()

    async def run() -> None:
        communicator = _communicator(world.dana)
        await communicator.connect()
        for bad in [-1, "3", True, 1.5, None]:
            await communicator.send_json_to({"type": "hello", "last_seq": bad})
            frame = await communicator.receive_json_from(timeout=3)
            assert frame["type"] == "error"
        await communicator.disconnect()

    async_to_sync(run)()


def test_a_lost_bell_is_healed_by_the_periodic_check(monkeypatch: pytest.MonkeyPatch) -> None:
    world = World.build()
    monkeypatch.setattr(consumers, "HEAL_SECONDS", 0.2)
    monkeypatch.setattr("loom.core.realtime.ring", lambda last_numbers: None)

    async def run() -> None:
        communicator, _ = await _open(world.dana)
        await sync_to_async(event_append)(world.dana.pk, "note", {})
        frame = await communicator.receive_json_from(timeout=3)
        assert frame["seq"] == 1
        await communicator.disconnect()

    async_to_sync(run)()

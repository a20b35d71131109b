"""A socket that comes back gets exactly what it missed, across a server's SIGKILL and
a Redis restart; one too far behind is told to resync (loom.core.realtime over real
processes: a uvicorn server, PostgreSQL, Redis)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from loom.core.context import system_context
from loom.core.realtime import StreamEvent, events_append
from tests.realtime.harness import AppServer, RedisServer, hello, open_socket

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _append(user_id: int, count: int, label: str) -> list[int]:
    with system_context():
        numbers = events_append(
            [StreamEvent(user_id, "test.event", {"label": label, "i": i}) for i in range(count)]
        )
    return numbers[user_id]


def _layer(redis: RedisServer) -> Any:
    """This process rings the servers' sockets through the test's own Redis."""
    return override_settings(
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [redis.url]},
            }
        }
    )


async def _next_event(ws: Any, timeout: float) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "event":
                return dict(frame)


@pytest.mark.django_db(transaction=True)
def test_replay_after_the_server_is_killed(
    app_servers: Callable[..., AppServer], make_pair: Callable[..., Any], cookie_for: Any
) -> None:
    coach, client, _ = make_pair()
    server = app_servers("a")
    cookie = cookie_for(client)
    first = _append(client.pk, 3, "before")

    async def scenario() -> None:
        ws = await open_socket(server, cookie)
        replay = await hello(ws, 0)
        assert [e["seq"] for e in replay["events"]] == first
        assert replay["end"] == {"type": "ready", "seq": first[-1]}

        await asyncio.to_thread(server.kill)
        with pytest.raises(Exception):  # noqa: B017,PT011 - whatever the broken socket raises
            async with asyncio.timeout(10):
                await ws.recv()
        missed = await sync_to_async(_append, thread_sensitive=False)(client.pk, 5, "while down")
        await asyncio.to_thread(server.start)

        ws = await open_socket(server, cookie)
        replay = await hello(ws, first[-1])
        assert [e["seq"] for e in replay["events"]] == missed
        assert [e["data"]["label"] for e in replay["events"]] == ["while down"] * 5
        assert replay["end"]["type"] == "ready"
        await ws.close()

    asyncio.run(scenario())


@pytest.mark.django_db(transaction=True)
def test_a_bell_crosses_processes_and_a_lost_one_only_delays(
    app_servers: Callable[..., AppServer],
    own_redis: RedisServer,
    make_pair: Callable[..., Any],
    cookie_for: Any,
) -> None:
    _, client, _ = make_pair()
    server = app_servers("a")
    cookie = cookie_for(client)

    async def scenario() -> None:
        ws = await open_socket(server, cookie)
        assert (await hello(ws, 0))["end"]["type"] == "ready"
        with _layer(own_redis):
            loop = asyncio.get_running_loop()
            start = loop.time()
            (seq,) = await sync_to_async(_append, thread_sensitive=False)(client.pk, 1, "rung")
            event = await _next_event(ws, 3)
            # Rung through Redis: well inside the socket's own periodic check.
            assert event["seq"] == seq
            assert loop.time() - start < 2

            # Redis restarts: the socket's group membership is gone with it, so the next
            # bell reaches nobody; the socket's periodic check still brings the event.
            await asyncio.to_thread(own_redis.restart)
            (seq,) = await sync_to_async(_append, thread_sensitive=False)(client.pk, 1, "no bell")
            event = await _next_event(ws, 15)
            assert event["seq"] == seq
            assert event["data"]["label"] == "no bell"
        await ws.close()

    asyncio.run(scenario())


@pytest.mark.django_db(transaction=True)
def test_too_far_behind_is_told_to_resync(
    app_servers: Callable[..., AppServer], make_pair: Callable[..., Any], cookie_for: Any
) -> None:
    _, client, _ = make_pair()
    server = app_servers("a", LOOM_REALTIME_REPLAY_LIMIT="10")
    cookie = cookie_for(client)
    numbers = _append(client.pk, 25, "many")

    async def scenario() -> None:
        ws = await open_socket(server, cookie)
        behind = await hello(ws, 2)
        assert behind["events"] == []
        assert behind["end"] == {"type": "resync", "seq": numbers[-1]}
        await ws.close()

        ws = await open_socket(server, cookie)
        close_enough = await hello(ws, numbers[-1] - 10)
        assert [e["seq"] for e in close_enough["events"]] == numbers[-10:]
        assert close_enough["end"]["type"] == "ready"
        await ws.close()

    asyncio.run(scenario())

"""A socket that comes back gets exactly what it missed, across a server's SIGKILL and
a Redis restart; one too far behind is told to resync (loom.core.realtime over real
processes: a uvicorn server, PostgreSQL, Redis)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings
from websockets.exceptions import ConnectionClosed, InvalidStatus

from loom.core.context import system_context
from loom.core.realtime import StreamEvent, events_append
from tests.realtime.harness import AppServer, RedisServer, hello, in_thread, open_socket

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
    _, client, _ = make_pair()
    server = app_servers("a")
    cookie = cookie_for(client)
    first = _append(client.pk, 3, "before")

    async def scenario() -> None:
        ws = await open_socket(server, cookie)
        replay = await hello(ws, 0)
        assert [e["seq"] for e in replay["events"]] == first
        assert replay["end"] == {"type": "ready", "seq": first[-1]}

        await asyncio.to_thread(server.kill)
        with pytest.raises(Exception):  # noqa: B017 - whatever the broken socket raises
            async with asyncio.timeout(10):
                await ws.recv()
        missed = await in_thread(_append, client.pk, 5, "while down")
        await asyncio.to_thread(server.start)

        ws = await open_socket(server, cookie)
        replay = await hello(ws, first[-1])
        assert [e["seq"] for e in replay["events"]] == missed
        assert [e["data"]["label"] for e in replay["events"]] == ["while down"] * 5
        assert replay["end"]["type"] == "ready"
        await ws.close()

    asyncio.run(scenario())


@pytest.mark.django_db(transaction=True)
def test_a_bell_crosses_processes_and_a_redis_restart_loses_nothing(
    app_servers: Callable[..., AppServer],
    own_redis: RedisServer,
    make_pair: Callable[..., Any],
    cookie_for: Any,
) -> None:
    _, client, _ = make_pair()
    server = app_servers("a")
    cookie = cookie_for(client)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        ws = await open_socket(server, cookie)
        assert (await hello(ws, 0))["end"]["type"] == "ready"
        with _layer(own_redis):
            start = loop.time()
            (seq,) = await in_thread(_append, client.pk, 1, "rung")
            event = await _next_event(ws, 3)
            # Rung through Redis: well inside the socket's own periodic check (5 s).
            assert event["seq"] == seq
            assert loop.time() - start < 2

            # Redis restarts: group memberships go with it, so the next bell reaches
            # nobody. Either the socket survives and its periodic check brings the
            # event, or the socket is dropped and a hello with the last number does.
            await asyncio.to_thread(own_redis.restart)
            (missed,) = await in_thread(_append, client.pk, 1, "no bell")
            try:
                event = await _next_event(ws, 15)
            except (ConnectionClosed, TimeoutError):
                ws = await _reconnect(server, cookie)
                replay = await hello(ws, seq)
                assert replay["end"]["type"] == "ready"
                (event,) = replay["events"]
            assert (event["seq"], event["data"]["label"]) == (missed, "no bell")

            # Sockets that join after the restart are rung live again.
            ws2 = await open_socket(server, cookie)
            assert (await hello(ws2, missed))["end"]["type"] == "ready"
            start = loop.time()
            (seq,) = await in_thread(_append, client.pk, 1, "rung again")
            event = await _next_event(ws2, 3)
            assert event["seq"] == seq
            assert loop.time() - start < 2
            await ws2.close()
        await ws.close()

    asyncio.run(scenario())


async def _reconnect(server: AppServer, cookie: str) -> Any:
    """Open a socket, retrying while the server's Redis connections recover."""
    for _ in range(50):
        try:
            return await open_socket(server, cookie)
        except (OSError, InvalidStatus, ConnectionClosed):
            await asyncio.sleep(0.2)
    raise AssertionError("could not reconnect within 10 s")


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

"""Two Loom processes are one deployment: a message sent through server B reaches a
socket on server A at once (the Redis doorbell), whichever way it was sent — B's
socket, B's JSON API, B's plain HTML form."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from django.conf import settings

from loom.core.context import system_context
from loom.messaging.models import Message
from tests.realtime.harness import AppServer, hello, open_socket

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

CSRF_SECRET = "r" * 32
# Well inside the socket's own periodic check (5 s), so an arrival this soon was rung.
LIVE_SECONDS = 3.0


async def _message_event(ws: Any, message_id: int, timeout: float) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if (
                frame["type"] == "event"
                and frame["kind"] == "message.created"
                and frame["data"]["id"] == message_id
            ):
                return dict(frame)


async def _reply(ws: Any, ref: str, timeout: float = 15) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "reply" and frame["ref"] == ref:
                return dict(frame)


def _http(server: AppServer, cookie: str) -> httpx.AsyncClient:
    csrf = f"{settings.CSRF_COOKIE_NAME}={CSRF_SECRET}"
    return httpx.AsyncClient(
        base_url=server.base_url,
        headers={"Cookie": f"{cookie}; {csrf}", "Origin": server.base_url},
        timeout=20,
    )


@pytest.mark.django_db(transaction=True)
def test_a_message_sent_through_b_reaches_a_socket_on_a(
    app_servers: Callable[..., AppServer], make_pair: Callable[..., Any], cookie_for: Any
) -> None:
    coach, client, conversation = make_pair()
    # Both servers boot at once: each start is mostly Django's import, one core apiece.
    with ThreadPoolExecutor(2) as pool:
        server_a, server_b = pool.map(app_servers, ["a", "b"])
    coach_cookie, client_cookie = cookie_for(coach), cookie_for(client)
    latencies: dict[str, float] = {}

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        on_a = await open_socket(server_a, client_cookie)
        assert (await hello(on_a, 0))["end"]["type"] == "ready"
        on_b = await open_socket(server_b, coach_cookie)
        assert (await hello(on_b, 0))["end"]["type"] == "ready"

        # 1. B's socket.
        client_id = str(uuid.uuid4())
        start = loop.time()
        await on_b.send(
            json.dumps(
                {
                    "type": "message.send",
                    "ref": "s1",
                    "conversation": conversation.pk,
                    "client_id": client_id,
                    "body": "Sent on **B**",
                }
            )
        )
        reply = await _reply(on_b, "s1")
        assert reply["ok"], reply
        sent = reply["data"]["message"]
        event = await _message_event(on_a, sent["id"], LIVE_SECONDS)
        latencies["socket"] = loop.time() - start
        assert event["data"]["body"] == "Sent on **B**"
        assert event["data"]["client_id"] == client_id
        assert event["data"]["sender"] == coach.pk
        assert "<strong>B</strong>" in event["data"]["body_html"]

        async with _http(server_b, coach_cookie) as http:
            # 2. B's JSON API.
            start = loop.time()
            response = await http.post(
                f"/api/v1/messaging/conversations/{conversation.pk}/messages",
                json={"client_id": str(uuid.uuid4()), "body": "Sent through the API"},
                headers={"X-CSRFToken": CSRF_SECRET},
            )
            assert response.status_code == 201, response.text
            event = await _message_event(on_a, response.json()["id"], LIVE_SECONDS)
            latencies["api"] = loop.time() - start
            assert event["data"]["body"] == "Sent through the API"

            # 3. B's form for browsers without JavaScript.
            start = loop.time()
            response = await http.post(
                f"/messages/{conversation.pk}/send/",
                data={
                    "body": "Sent with the plain form",
                    "client_id": str(uuid.uuid4()),
                    "csrfmiddlewaretoken": CSRF_SECRET,
                },
            )
            assert response.status_code == 302, response.text
            message_id = int(response.headers["Location"].rsplit("#message-", 1)[1])
            event = await _message_event(on_a, message_id, LIVE_SECONDS)
            latencies["form"] = loop.time() - start
            assert event["data"]["body"] == "Sent with the plain form"

        await on_a.close()
        await on_b.close()

    asyncio.run(scenario())

    def stored() -> list[str]:
        with system_context():
            return list(
                Message.objects.filter(conversation=conversation)
                .order_by("id")
                .values_list("body", flat=True)
            )

    assert stored() == [
        "Sent on **B**",
        "Sent through the API",
        "Sent with the plain form",
    ]
    sys.stdout.write(f"\nB → A latency (s): { {k: round(v, 3) for k, v in latencies.items()} }\n")

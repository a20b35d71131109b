"""scratch"""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from loom.core.context import system_context
from loom.core.realtime import event_append
from tests.world import World

pytestmark = pytest.mark.browser


@pytest.fixture
def server_url(asgi_server_url: str) -> str:
    return asgi_server_url


@pytest.fixture
def viewport() -> str:
    return "1280"


def test_socket(open_page, server_url, asgi_server) -> None:
    world = World.build()
    page = open_page()
    client = Client()
    client.force_login(world.avi)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": server_url}])
    page.goto("/home/")
    print(page.title())
    page.evaluate("""() => new Promise((resolve) => {
        window.frames_ = [];
        const ws = new WebSocket(`ws://${location.host}/ws/stream/`);
        ws.onmessage = (e) => window.frames_.push(JSON.parse(e.data));
        ws.onopen = () => { ws.send(JSON.stringify({type: 'hello', last_seq: 0})); resolve(true); };
    })""")
    page.wait_for_function("() => window.frames_.some((f) => f.type === 'ready')")
    def add():
        with system_context():
            return event_append(world.avi.pk, "notification.created", {"id": 1})
    asgi_server.call(add)
    page.wait_for_function("() => window.frames_.some((f) => f.type === 'event')", timeout=3000)
    print(page.evaluate("() => window.frames_"))

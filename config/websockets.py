"""Websocket routes: the realtime stream every signed-in page opens, and a ping socket."""

from typing import Any

from django.urls import path

from loom.core.consumers import StreamConsumer
from loom.web.consumers import PingConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/ping/", PingConsumer.as_asgi()),  # type: ignore[arg-type]  # Channels routes ASGI apps
    path("ws/stream/", StreamConsumer.as_asgi()),  # type: ignore[arg-type]
]

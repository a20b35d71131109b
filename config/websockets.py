"""Websocket routes. Domain apps add their consumers here (messaging, notifications)."""

from typing import Any

from django.urls import path

from loom.web.consumers import PingConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/ping/", PingConsumer.as_asgi()),  # type: ignore[arg-type]  # Channels routes ASGI apps
]

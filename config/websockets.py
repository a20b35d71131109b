"""Websocket routes. Domain apps add their consumers here (messaging, notifications)."""

from django.urls import URLPattern, path

from loom.web.consumers import PingConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/ping/", PingConsumer.as_asgi()),
]

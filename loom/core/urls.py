from django.urls import path

from loom.core import views, views_stream

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("stream/events/", views_stream.stream_events, name="stream_events"),
    path("stream/command/", views_stream.stream_command, name="stream_command"),
]

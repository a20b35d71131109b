"""Scheduling pages (client): URL patterns, mounted at the site root by config/urls.py."""

from django.urls import URLPattern, path

from loom.scheduling import views_client

app_name = "scheduling_client"

urlpatterns: list[URLPattern] = [
    path("client/sessions/", views_client.session_list, name="list"),
    path("client/sessions/book/", views_client.book, name="book"),
    path("client/sessions/<int:session_id>/", views_client.session_detail, name="detail"),
    path(
        "client/sessions/<int:session_id>/reschedule/",
        views_client.session_reschedule,
        name="reschedule",
    ),
    path("client/sessions/<int:session_id>/cancel/", views_client.session_cancel, name="cancel"),
]

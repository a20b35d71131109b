"""Scheduling pages (groups): URL patterns, mounted at the site root by config/urls.py."""

from django.urls import URLPattern, path

from loom.scheduling import views_groups as views

app_name = "scheduling_groups"

urlpatterns: list[URLPattern] = [
    path("coach/groups/", views.coach_list, name="coach_list"),
    path("coach/groups/new/", views.coach_new, name="coach_new"),
    path("client/groups/", views.client_list, name="client_list"),
    path("client/groups/<int:session_id>/", views.client_detail, name="client_detail"),
    path("client/groups/<int:session_id>/seat/", views.seat_take, name="seat_take"),
    path("client/groups/<int:session_id>/waitlist/", views.waitlist_join, name="waitlist_join"),
    path(
        "client/groups/<int:session_id>/waitlist/leave/",
        views.waitlist_leave,
        name="waitlist_leave",
    ),
    path(
        "client/groups/<int:session_id>/waitlist/accept/",
        views.waitlist_accept,
        name="waitlist_accept",
    ),
    path("client/groups/seats/<int:seat_id>/release/", views.seat_release, name="seat_release"),
]

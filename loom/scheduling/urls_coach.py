"""Scheduling pages (coach): URL patterns, mounted at the site root by config/urls.py."""

from django.urls import URLPattern, path

from loom.scheduling import views_coach as views

app_name = "scheduling_coach"

urlpatterns: list[URLPattern] = [
    path("coach/sessions/", views.today, name="today"),
    path("coach/sessions/calendar/", views.calendar, name="calendar"),
    path("coach/sessions/requests/", views.requests, name="requests"),
    path("coach/sessions/new/", views.book, name="book"),
    path("coach/sessions/<int:session_id>/", views.detail, name="detail"),
    path("coach/sessions/<int:session_id>/approve/", views.approve, name="approve"),
    path("coach/sessions/<int:session_id>/decline/", views.decline, name="decline"),
    path("coach/sessions/<int:session_id>/start/", views.start, name="start"),
    path("coach/sessions/<int:session_id>/complete/", views.complete, name="complete"),
    path("coach/sessions/<int:session_id>/no-show/", views.no_show, name="no_show"),
    path("coach/sessions/<int:session_id>/reschedule/", views.reschedule, name="reschedule"),
    path("coach/sessions/<int:session_id>/cancel/", views.cancel, name="cancel"),
]

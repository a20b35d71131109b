"""Scheduling pages (calendar): URL patterns, mounted at the site root by config/urls.py.

``/sessions/<id>/`` is the role-neutral link every scheduling email carries;
``/calendar/feed/<token>.ics`` is fetched by calendar apps without a sign-in.
"""

from django.urls import URLPattern, path

from loom.scheduling import views_calendar

app_name = "scheduling_calendar"

urlpatterns: list[URLPattern] = [
    path("sessions/<int:session_id>/", views_calendar.session_link, name="session_link"),
    path(
        "sessions/<int:session_id>/calendar.ics",
        views_calendar.session_ics,
        name="session_ics",
    ),
    path("account/calendar/", views_calendar.feeds, name="feeds"),
    path("account/calendar/create/", views_calendar.feed_create, name="feed_create"),
    path("account/calendar/replace/", views_calendar.feed_replace, name="feed_replace"),
    path("account/calendar/revoke/", views_calendar.feed_revoke, name="feed_revoke"),
    path("calendar/feed/<str:token>.ics", views_calendar.feed, name="feed"),
]

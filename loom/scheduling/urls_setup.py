"""Scheduling pages (setup): URL patterns, mounted at the site root by config/urls.py."""

from django.urls import URLPattern, path

from loom.scheduling import views_setup as views

app_name = "scheduling_setup"

urlpatterns: list[URLPattern] = [
    path("coach/scheduling/types/", views.types, name="types"),
    path("coach/scheduling/types/new/", views.type_new, name="type_new"),
    path("coach/scheduling/types/<int:session_type_id>/", views.type_edit, name="type_edit"),
    path(
        "coach/scheduling/types/<int:session_type_id>/deactivate/",
        views.type_deactivate,
        name="type_deactivate",
    ),
    path(
        "coach/scheduling/types/<int:session_type_id>/reactivate/",
        views.type_reactivate,
        name="type_reactivate",
    ),
    path("coach/scheduling/availability/", views.availability, name="availability"),
    path("coach/scheduling/availability/overrides/", views.override_add, name="override_add"),
    path(
        "coach/scheduling/availability/overrides/<int:override_id>/remove/",
        views.override_remove,
        name="override_remove",
    ),
    path("coach/scheduling/settings/", views.settings, name="settings"),
]

"""URLs of the analytics_coach namespace (full paths: included at the root)."""

from django.urls import URLPattern, path

from loom.analytics import views_coach as views

app_name = "analytics_coach"

urlpatterns: list[URLPattern] = [
    path("coach/analytics/", views.dashboard, name="dashboard"),
]

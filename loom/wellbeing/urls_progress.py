"""URLs of the wellbeing_progress namespace (full paths: included at the root)."""

from django.urls import URLPattern, path

from loom.wellbeing import views_progress

app_name = "wellbeing_progress"

urlpatterns: list[URLPattern] = [
    path("progress/", views_progress.dashboard, name="dashboard"),
    path("progress/trends/", views_progress.trends, name="trends"),
    path("progress/sharing/", views_progress.sharing_page, name="sharing"),
]

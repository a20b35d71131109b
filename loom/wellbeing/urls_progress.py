"""URLs of the wellbeing_progress namespace (full paths: included at the root)."""

from django.urls import URLPattern

app_name = "wellbeing_progress"

urlpatterns: list[URLPattern] = []

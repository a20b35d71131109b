"""URLs of the wellbeing_checkins namespace (full paths: included at the root)."""

from django.urls import URLPattern

app_name = "wellbeing_checkins"

urlpatterns: list[URLPattern] = []

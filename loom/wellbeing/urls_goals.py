"""URLs of the wellbeing_goals namespace (full paths: included at the root)."""

from django.urls import URLPattern

app_name = "wellbeing_goals"

urlpatterns: list[URLPattern] = []

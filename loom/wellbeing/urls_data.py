"""URLs of the wellbeing_data namespace (full paths: included at the root)."""

from django.urls import URLPattern

app_name = "wellbeing_data"

urlpatterns: list[URLPattern] = []

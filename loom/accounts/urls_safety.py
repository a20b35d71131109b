"""URLs of the safety namespace (full paths: included at the root)."""

from django.urls import URLPattern

app_name = "safety"

urlpatterns: list[URLPattern] = []

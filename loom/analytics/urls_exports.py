"""URLs of the analytics_exports namespace (full paths: included at the root)."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "analytics_exports"

urlpatterns: list[URLPattern] = []

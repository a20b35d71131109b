"""Resources: files pages (see docs/resources.md)."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "resources_files"

urlpatterns: list[URLPattern] = []

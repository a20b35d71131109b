"""URLs of the journal namespace (full paths: included at the root)."""

from django.urls import URLPattern

app_name = "journal"

urlpatterns: list[URLPattern] = []

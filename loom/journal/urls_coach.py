"""URLs of the journal_coach namespace (full paths: included at the root)."""

from django.urls import URLPattern

app_name = "journal_coach"

urlpatterns: list[URLPattern] = []

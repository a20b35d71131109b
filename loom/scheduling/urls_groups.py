"""Scheduling pages (groups): URL patterns, mounted at the site root by config/urls.py."""

from django.urls import URLPattern

app_name = "scheduling_groups"

urlpatterns: list[URLPattern] = []

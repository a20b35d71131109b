"""Scheduling pages (calendar): URL patterns, mounted at the site root by config/urls.py."""

from django.urls import URLPattern

app_name = "scheduling_calendar"

urlpatterns: list[URLPattern] = []

"""URLs of the safety namespace (full paths: included at the root)."""

from django.urls import path

from loom.accounts import views_safety as views

app_name = "safety"

urlpatterns = [
    path("support/crisis/", views.crisis_lines, name="crisis_lines"),
    path("account/safety/", views.settings_page, name="settings"),
    path("admin-area/safety/", views.review, name="review"),
    path("admin-area/safety/<int:signal_id>/review/", views.mark_reviewed, name="mark_reviewed"),
]

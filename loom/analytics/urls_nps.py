"""URLs of the analytics_nps namespace (full paths: included at the root)."""

from django.urls import URLPattern, path

from loom.analytics import views_nps

app_name = "analytics_nps"

urlpatterns: list[URLPattern] = [
    path("nps/answer/", views_nps.answer, name="answer"),
    path("nps/dismiss/", views_nps.dismiss, name="dismiss"),
    path("admin-area/analytics/nps/", views_nps.admin_page, name="admin"),
]

"""URLs of the analytics_exports namespace (full paths: included at the root)."""

from django.urls import URLPattern, path

from loom.analytics import views_exports

app_name = "analytics_exports"

urlpatterns: list[URLPattern] = [
    path("exports/", views_exports.export_list, name="list"),
    path("exports/new/", views_exports.export_new, name="new"),
    path("exports/<uuid:export_id>/", views_exports.export_detail, name="detail"),
    path("exports/<uuid:export_id>/download/", views_exports.export_download, name="download"),
]

"""URLs of the analytics_admin namespace (full paths: included at the root)."""

from django.urls import URLPattern, path

from loom.analytics import views_admin as views

app_name = "analytics_admin"

urlpatterns: list[URLPattern] = [
    path("admin-area/analytics/", views.kpis, name="kpis"),
    path("admin-area/analytics/kpi/<slug:key>/", views.kpi, name="kpi"),
    path("admin-area/analytics/operations/", views.operations, name="operations"),
    path("admin-area/analytics/business/", views.business, name="business"),
]

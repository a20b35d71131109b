"""Resources: analytics pages (see docs/resources.md)."""

from django.urls import URLPattern, path

from loom.resources import views_analytics as views

app_name = "resources_analytics"

urlpatterns: list[URLPattern] = [
    path("coach/resources/analytics/", views.overview, name="overview"),
    path("coach/resources/analytics/clients/", views.clients, name="clients"),
    path("coach/resources/analytics/clients/<int:client_id>/", views.client, name="client"),
    path("coach/resources/analytics/export.csv", views.export, name="export"),
    path("coach/resources/<int:pk>/analytics/", views.resource, name="resource"),
]

"""Resources: client pages (see docs/resources.md)."""

from django.urls import URLPattern, path

from loom.resources import views_client

app_name = "resources_client"

urlpatterns: list[URLPattern] = [
    path("client/resources/", views_client.library, name="library"),
    path("client/resources/<int:pk>/", views_client.detail, name="detail"),
    path("client/resources/<int:pk>/progress/", views_client.progress, name="progress"),
    path("client/resources/<int:pk>/complete/", views_client.complete, name="complete"),
    path(
        "client/resources/collections/<int:pk>/",
        views_client.collection_page,
        name="collection",
    ),
]

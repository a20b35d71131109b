"""Resources: the coach's library pages (see docs/resources.md)."""

from django.urls import URLPattern, path

from loom.resources import views_library as views

app_name = "resources_library"

C = "coach/resources/collections/<int:pk>/"

urlpatterns: list[URLPattern] = [
    path("coach/resources/", views.library, name="library"),
    path("coach/resources/links/new/", views.link_new, name="link_new"),
    path("coach/resources/<int:pk>/", views.detail, name="detail"),
    path("coach/resources/<int:pk>/edit/", views.edit, name="edit"),
    path("coach/resources/<int:pk>/delete/", views.delete, name="delete"),
    path("coach/resources/categories/", views.categories, name="categories"),
    path(
        "coach/resources/categories/<int:pk>/rename/",
        views.category_rename,
        name="category_rename",
    ),
    path(
        "coach/resources/categories/<int:pk>/delete/",
        views.category_delete,
        name="category_delete",
    ),
    path("coach/resources/categories/<int:pk>/move/", views.category_move, name="category_move"),
    path("coach/resources/collections/", views.collections, name="collections"),
    path("coach/resources/collections/new/", views.collection_new, name="collection_new"),
    path(C, views.collection_detail, name="collection_detail"),
    path(f"{C}edit/", views.collection_edit, name="collection_edit"),
    path(f"{C}delete/", views.collection_delete, name="collection_delete"),
    path(f"{C}items/", views.collection_add, name="collection_add"),
    path(f"{C}items/<int:resource_id>/move/", views.collection_move, name="collection_move"),
    path(
        f"{C}items/<int:resource_id>/remove/",
        views.collection_remove,
        name="collection_remove",
    ),
]

"""Resources: sharing pages (see docs/resources.md)."""

from django.urls import URLPattern, path

from loom.resources import views_sharing as views

app_name = "resources_sharing"

urlpatterns: list[URLPattern] = [
    path("coach/resources/<int:pk>/share/", views.share_resource, name="share_resource"),
    path(
        "coach/resources/collections/<int:pk>/share/",
        views.share_collection,
        name="share_collection",
    ),
    path("coach/resources/shares/<int:share_id>/remove/", views.unshare, name="unshare"),
    path("coach/sessions/<int:session_id>/homework/", views.homework_add, name="homework_add"),
    path(
        "coach/sessions/<int:session_id>/homework/<int:homework_id>/remove/",
        views.homework_remove,
        name="homework_remove",
    ),
]

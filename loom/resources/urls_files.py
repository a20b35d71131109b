"""Resources: files pages (see docs/resources.md)."""

from django.urls import URLPattern, path

from loom.resources import views_files

app_name = "resources_files"

urlpatterns: list[URLPattern] = [
    path("coach/resources/upload/", views_files.upload, name="upload"),
    path("coach/resources/<int:pk>/replace/", views_files.replace, name="replace"),
    path("coach/resources/<int:pk>/captions/", views_files.captions, name="captions"),
    path(
        "coach/resources/<int:pk>/versions/<int:version>/file/",
        views_files.version_file,
        name="version_file",
    ),
    path("resources/<int:pk>/file/", views_files.file, name="file"),
    path("resources/<int:pk>/captions.vtt", views_files.captions_file, name="captions_file"),
    path("resources/collections/<int:pk>/cover/", views_files.cover, name="cover"),
]

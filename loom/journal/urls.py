"""URLs of the journal namespace (full paths: included at the root)."""

from django.urls import path

from loom.journal import views

app_name = "journal"

urlpatterns = [
    path("journal/", views.entry_list, name="list"),
    path("journal/new/", views.entry_new, name="new"),
    path("journal/intention/", views.intention, name="intention"),
    path("journal/<int:entry_id>/", views.entry_detail, name="entry"),
    path("journal/<int:entry_id>/edit/", views.entry_edit, name="edit"),
    path("journal/<int:entry_id>/delete/", views.entry_delete, name="delete"),
    path("journal/<int:entry_id>/audio/", views.entry_audio, name="audio"),
]

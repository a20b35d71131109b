"""Scheduling pages (notes): URL patterns, mounted at the site root by config/urls.py."""

from django.urls import URLPattern, path

from loom.scheduling import views_notes as views

app_name = "scheduling_notes"

_PREFIX = "sessions/<int:session_id>/notes/"

urlpatterns: list[URLPattern] = [
    path(_PREFIX, views.notes_page, name="page"),
    path(f"{_PREFIX}private/", views.private_note, name="private_note"),
    path(f"{_PREFIX}summary/", views.summary, name="summary"),
    path(f"{_PREFIX}items/", views.item_add, name="item_add"),
    path(f"{_PREFIX}items/<int:item_id>/", views.item_edit, name="item_edit"),
    path(f"{_PREFIX}items/<int:item_id>/delete/", views.item_delete, name="item_delete"),
    path(f"{_PREFIX}items/<int:item_id>/done/", views.item_done, name="item_done"),
    path(f"{_PREFIX}preparation/", views.preparation, name="preparation"),
    path(f"{_PREFIX}reflection/", views.reflection, name="reflection"),
    path(f"{_PREFIX}files/", views.attachment_add, name="attachment_add"),
    path(f"{_PREFIX}files/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path(
        f"{_PREFIX}files/<int:attachment_id>/delete/",
        views.attachment_delete,
        name="attachment_delete",
    ),
]

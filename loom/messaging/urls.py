"""Messaging pages (``messages/…``), included at the site root."""

from django.urls import path

from loom.messaging import views

app_name = "messaging"

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/unread/", views.unread, name="unread"),
    path("messages/settings/", views.messaging_settings, name="settings"),
    path("messages/<int:conversation_id>/", views.conversation, name="conversation"),
    path("messages/<int:conversation_id>/send/", views.send, name="send"),
    path("messages/<int:conversation_id>/history/", views.history, name="history"),
    path("messages/<int:conversation_id>/search/", views.search, name="search"),
    path(
        "messages/<int:conversation_id>/attachments/",
        views.attachment_upload,
        name="attachment_upload",
    ),
    path("messages/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("messages/message/<int:message_id>/edits/", views.edit_history, name="edit_history"),
]

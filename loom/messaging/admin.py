"""Django admin for conversations: who talks with whom and when, never what was said.

Message bodies (and their rendered HTML and earlier edits), attachments' files and
original names are hidden by ``PrivacyAwareAdmin``. On PostgreSQL an active admin may
read conversations and participants (``0006_admin_read``: operators answer "why can't
this client message their coach?"); messages, edits, reactions and attachments have
no admin policy, so those lists are empty for administrators and say why.
"""

from __future__ import annotations

from django.contrib import admin

from loom.core.admin import NOTE_OWNER, NOTE_PRIVATE, PrivacyAwareAdmin
from loom.messaging.models import (
    Attachment,
    Conversation,
    Message,
    MessageEdit,
    MessagingPreference,
    Participant,
    Reaction,
)


@admin.register(Conversation)
class ConversationAdmin(PrivacyAwareAdmin):
    # The newest message is a message like any other: not for administrators.
    private_fields = ("last_message",)
    list_display = ("id", "coach", "client", "created_at", "last_message_at")
    list_filter = ("created_at", "last_message_at")
    list_select_related = ("coach", "client")
    search_fields = ("coach__email", "client__email")
    date_hierarchy = "created_at"
    ordering = ("-last_message_at", "-id")


@admin.register(Participant)
class ParticipantAdmin(PrivacyAwareAdmin):
    list_display = ("id", "conversation", "user", "last_read_message_id", "last_read_at")
    list_filter = ("last_read_at",)
    list_select_related = ("conversation", "user")
    search_fields = ("user__email",)
    ordering = ("-id",)


@admin.register(Message)
class MessageAdmin(PrivacyAwareAdmin):
    private_fields = ("body", "body_html")
    reference_fields = ("reply_to",)
    rls_note = NOTE_PRIVATE
    list_display = ("id", "conversation", "sender", "created_at", "edited_at", "deleted_at")
    list_filter = ("created_at", "edited_at", "deleted_at")
    list_select_related = ("conversation", "sender")
    search_fields = ("sender__email",)
    ordering = ("-id",)


@admin.register(MessageEdit)
class MessageEditAdmin(PrivacyAwareAdmin):
    private_fields = ("body",)
    reference_fields = ("message",)
    rls_note = NOTE_PRIVATE
    list_display = ("id", "message_reference", "replaced_at")
    list_filter = ("replaced_at",)
    ordering = ("-replaced_at", "-id")

    @admin.display(description=Message._meta.verbose_name)
    def message_reference(self, edit: MessageEdit) -> str:
        return f"#{edit.message_id}"


@admin.register(Reaction)
class ReactionAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_PRIVATE
    reference_fields = ("message",)
    list_display = ("id", "message_reference", "user", "emoji", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    ordering = ("-created_at", "-id")

    @admin.display(description=Message._meta.verbose_name)
    def message_reference(self, reaction: Reaction) -> str:
        return f"#{reaction.message_id}"


@admin.register(Attachment)
class AttachmentAdmin(PrivacyAwareAdmin):
    # A file's original name can itself be private ("scan-results-maya.pdf").
    private_fields = ("name",)
    private_label = True
    rls_note = NOTE_PRIVATE
    list_display = ("id", "conversation", "uploader", "kind", "content_type", "size", "created_at")
    list_filter = ("kind", "created_at")
    list_select_related = ("conversation", "uploader")
    search_fields = ("uploader__email",)
    ordering = ("-created_at", "-id")


@admin.register(MessagingPreference)
class MessagingPreferenceAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_OWNER
    list_display = ("user", "send_read_receipts")
    list_filter = ("send_read_receipts",)
    list_select_related = ("user",)
    search_fields = ("user__email",)
    ordering = ("user",)

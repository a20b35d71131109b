"""Django admin for the practice journal: who wrote when, never what.

Titles, bodies, comments and intentions are encrypted and the audio note is an
encrypted file (all hidden by ``PrivacyAwareAdmin``); a coach's prompt text, the
mood and energy scores and the chosen sensations, emotions, body areas and practices
are hidden as well. On PostgreSQL administrators see no rows at all: journal tables
have no admin policy (row-level security), and the lists say so.
"""

from __future__ import annotations

from django.contrib import admin

from loom.core.admin import NOTE_PRIVATE, PrivacyAwareAdmin
from loom.journal.models import Comment, Entry, Intention, Prompt

ENTRY_PRIVATE = (
    "mood",
    "energy",
    "sensations",
    "emotions",
    "body_areas",
    "practices",
    "builtin_prompt",
    "audio_content_type",
    "audio_size",
)


@admin.register(Prompt)
class PromptAdmin(PrivacyAwareAdmin):
    private_fields = ("text",)
    rls_note = NOTE_PRIVATE
    list_display = ("id", "coach", "is_active", "created_at")
    list_filter = ("is_active", "created_at")
    list_select_related = ("coach",)
    search_fields = ("coach__email",)
    ordering = ("-created_at", "-id")


@admin.register(Entry)
class EntryAdmin(PrivacyAwareAdmin):
    private_fields = ENTRY_PRIVATE
    reference_fields = ("prompt",)
    rls_note = NOTE_PRIVATE
    list_display = ("id", "author", "written_on", "created_at", "shared_with", "shared_at")
    list_filter = ("written_on", "shared_at")
    list_select_related = ("author", "shared_with")
    search_fields = ("author__email",)
    date_hierarchy = "written_on"
    ordering = ("-written_on", "-id")


@admin.register(Comment)
class CommentAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_PRIVATE
    reference_fields = ("entry",)
    list_display = ("id", "entry_reference", "author", "created_at")
    list_filter = ("created_at",)
    list_select_related = ("author",)
    search_fields = ("author__email",)
    ordering = ("-created_at", "-id")

    @admin.display(description=Entry._meta.verbose_name)
    def entry_reference(self, comment: Comment) -> str:
        return f"#{comment.entry_id}"


@admin.register(Intention)
class IntentionAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_PRIVATE
    list_display = ("id", "client", "day", "created_at")
    list_filter = ("day",)
    list_select_related = ("client",)
    search_fields = ("client__email",)
    date_hierarchy = "day"
    ordering = ("-day", "-id")

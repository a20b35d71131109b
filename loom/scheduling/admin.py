"""Django admin for scheduling: sessions and their history, seats, waitlists, reminders.

Operators see who meets whom, when, and what state it is in. Never shown: private
notes, shared summaries, reflections and action-item details (encrypted), action
items' titles, cancellation reasons, meeting links, in-person addresses, attachments'
files and original names, and calendar-feed token hashes.

On PostgreSQL an active admin may read session types, sessions, their events, seats,
waitlist entries and reminders (``0008_admin_read``); the other tables have no admin
policy, so their lists are empty for administrators and say why.
"""

from __future__ import annotations

from django.contrib import admin

from loom.core.admin import NOTE_COACHING, NOTE_OWNER, NOTE_PRIVATE, PrivacyAwareAdmin
from loom.scheduling.models import (
    ActionItem,
    AvailabilityOverride,
    CalendarFeed,
    ClientSessionReflection,
    CoachSchedulingSettings,
    Reminder,
    ReminderPreferences,
    Session,
    SessionAttachment,
    SessionEvent,
    SessionPrivateNote,
    SessionSeat,
    SessionSummary,
    SessionType,
    WaitlistEntry,
    WeeklyAvailability,
)


@admin.register(CoachSchedulingSettings)
class CoachSchedulingSettingsAdmin(PrivacyAwareAdmin):
    private_fields = ("own_meeting_url",)
    rls_note = NOTE_COACHING
    list_display = ("coach", "cancellation_cutoff_hours", "reminder_offsets_minutes", "updated_at")
    list_select_related = ("coach",)
    search_fields = ("coach__email",)
    ordering = ("-updated_at",)


@admin.register(SessionType)
class SessionTypeAdmin(PrivacyAwareAdmin):
    private_fields = ("address",)
    list_display = (
        "name_en",
        "coach",
        "duration_minutes",
        "price",
        "currency",
        "location_kind",
        "booking_mode",
        "capacity",
        "is_active",
    )
    list_filter = ("is_active", "location_kind", "booking_mode", "currency")
    list_select_related = ("coach",)
    search_fields = ("name_en", "name_he", "coach__email")
    ordering = ("coach", "name_en", "id")


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_COACHING
    list_display = ("coach", "weekday", "start_time", "end_time")
    list_filter = ("weekday",)
    list_select_related = ("coach",)
    search_fields = ("coach__email",)
    ordering = ("coach", "weekday", "start_time")


@admin.register(AvailabilityOverride)
class AvailabilityOverrideAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_COACHING
    list_display = ("coach", "date", "kind", "start_time", "end_time")
    list_filter = ("kind", "date")
    list_select_related = ("coach",)
    search_fields = ("coach__email",)
    date_hierarchy = "date"
    ordering = ("-date", "start_time")


@admin.register(Session)
class SessionAdmin(PrivacyAwareAdmin):
    # Written by a person (reason) or a way into the call (link).
    private_fields = ("cancellation_reason", "meeting_url")
    list_display = (
        "id",
        "starts_at",
        "coach",
        "client",
        "session_type",
        "status",
        "capacity",
        "late_cancellation",
    )
    list_filter = ("status", "late_cancellation", "starts_at")
    list_select_related = ("coach", "client", "session_type")
    search_fields = ("=uid", "coach__email", "client__email")
    date_hierarchy = "starts_at"
    ordering = ("-starts_at", "-id")


@admin.register(SessionEvent)
class SessionEventAdmin(PrivacyAwareAdmin):
    private_fields = ("reason",)
    list_display = ("id", "session", "kind", "actor", "occurred_at", "new_starts_at")
    list_filter = ("kind", "occurred_at")
    list_select_related = ("session", "actor")
    search_fields = ("actor__email",)
    date_hierarchy = "occurred_at"
    ordering = ("-occurred_at", "-id")


@admin.register(SessionSeat)
class SessionSeatAdmin(PrivacyAwareAdmin):
    private_fields = ("cancellation_reason",)
    list_display = ("id", "session", "client", "status", "late_cancellation", "created_at")
    list_filter = ("status", "late_cancellation", "created_at")
    list_select_related = ("session", "client")
    search_fields = ("client__email",)
    ordering = ("-created_at", "-id")


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(PrivacyAwareAdmin):
    list_display = ("id", "session", "client", "status", "offered_at", "offer_expires_at")
    list_filter = ("status", "created_at")
    list_select_related = ("session", "client")
    search_fields = ("client__email",)
    ordering = ("-created_at", "-id")


@admin.register(SessionPrivateNote)
class SessionPrivateNoteAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_PRIVATE
    reference_fields = ("session",)
    list_display = ("id", "session_reference", "coach", "created_at", "updated_at")
    list_select_related = ("coach",)
    search_fields = ("coach__email",)
    ordering = ("-updated_at", "-id")

    @admin.display(description=Session._meta.verbose_name)
    def session_reference(self, note: SessionPrivateNote) -> str:
        return f"#{note.session_id}"


@admin.register(SessionSummary)
class SessionSummaryAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_PRIVATE
    reference_fields = ("session",)
    list_display = ("id", "session_reference", "shared_at", "updated_at")
    list_filter = ("shared_at",)
    ordering = ("-updated_at", "-id")

    @admin.display(description=Session._meta.verbose_name)
    def session_reference(self, summary: SessionSummary) -> str:
        return f"#{summary.session_id}"


@admin.register(ClientSessionReflection)
class ClientSessionReflectionAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_PRIVATE
    reference_fields = ("session",)
    list_display = ("id", "session_reference", "client", "created_at", "updated_at")
    list_select_related = ("client",)
    search_fields = ("client__email",)
    ordering = ("-updated_at", "-id")

    @admin.display(description=Session._meta.verbose_name)
    def session_reference(self, reflection: ClientSessionReflection) -> str:
        return f"#{reflection.session_id}"


@admin.register(ActionItem)
class ActionItemAdmin(PrivacyAwareAdmin):
    # Homework agreed in a session says what the client is working on.
    private_fields = ("title",)
    private_label = True
    rls_note = NOTE_PRIVATE
    reference_fields = ("session",)
    list_display = ("id", "session_reference", "coach", "client", "due_on", "completed_at")
    list_filter = ("completed_at", "due_on")
    list_select_related = ("coach", "client")
    search_fields = ("coach__email", "client__email")
    ordering = ("-created_at", "-id")

    @admin.display(description=Session._meta.verbose_name)
    def session_reference(self, item: ActionItem) -> str:
        return f"#{item.session_id}"


@admin.register(SessionAttachment)
class SessionAttachmentAdmin(PrivacyAwareAdmin):
    private_fields = ("original_name",)
    private_label = True
    rls_note = NOTE_PRIVATE
    reference_fields = ("session",)
    list_display = (
        "id",
        "session_reference",
        "uploaded_by",
        "content_type",
        "size_bytes",
        "created_at",
    )
    list_select_related = ("uploaded_by",)
    search_fields = ("uploaded_by__email",)
    ordering = ("-created_at", "-id")

    @admin.display(description=Session._meta.verbose_name)
    def session_reference(self, attachment: SessionAttachment) -> str:
        return f"#{attachment.session_id}"


@admin.register(Reminder)
class ReminderAdmin(PrivacyAwareAdmin):
    list_display = (
        "id",
        "session",
        "recipient",
        "channel",
        "offset_minutes",
        "due_at",
        "status",
        "status_reason",
        "sent_at",
    )
    list_filter = ("status", "channel", "status_reason", "due_at")
    list_select_related = ("session", "recipient")
    search_fields = ("recipient__email",)
    date_hierarchy = "due_at"
    ordering = ("-due_at", "-id")


@admin.register(ReminderPreferences)
class ReminderPreferencesAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_OWNER
    list_display = ("user", "quiet_start", "quiet_end", "email_reminders", "sms_reminders")
    list_filter = ("email_reminders", "sms_reminders")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    ordering = ("user",)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_OWNER
    list_display = ("id", "user", "created_at", "revoked_at", "last_fetched_at")
    list_filter = ("revoked_at", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    ordering = ("-created_at", "-id")

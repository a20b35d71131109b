"""Django admin for notifications: how notices went out, never what they said.

A notification's title, text and link may quote a message or name a session, so
they are hidden; so are push devices' endpoints and keys. On PostgreSQL an active
admin may read delivery states (``0006_admin_read``: "why did I not get the email?")
but not the notifications themselves, so deliveries name their notification by id.
Announcements are sent from Loom's announcements page (which tells everyone in the
audience); here they are read-only.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from loom.core.admin import NOTE_OWNER, PrivacyAwareAdmin
from loom.notifications.models import (
    Announcement,
    ChannelChoice,
    DigestItem,
    Notification,
    NotificationDelivery,
    NotificationSettings,
    PushSubscription,
)


@admin.register(Notification)
class NotificationAdmin(PrivacyAwareAdmin):
    private_fields = ("title", "body", "url", "source")
    rls_note = NOTE_OWNER
    list_display = ("id", "user", "kind", "created_at", "read_at", "listed")
    list_filter = ("kind", "listed", "created_at", "read_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "=kind")
    ordering = ("-created_at", "-id")


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(PrivacyAwareAdmin):
    # Not joined: the notification row is the recipient's alone (row-level security).
    reference_fields = ("notification",)
    list_display = (
        "id",
        "notification_reference",
        "channel",
        "state",
        "reason",
        "outbox_message",
        "updated_at",
    )
    list_filter = ("state", "channel", "reason", "updated_at")
    list_select_related = ("outbox_message",)
    ordering = ("-updated_at", "-id")

    @admin.display(description=Notification._meta.verbose_name)
    def notification_reference(self, delivery: NotificationDelivery) -> str:
        return f"#{delivery.notification_id}"


@admin.register(ChannelChoice)
class ChannelChoiceAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_OWNER
    list_display = ("user", "kind", "channel", "enabled")
    list_filter = ("channel", "enabled", "kind")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    ordering = ("user", "kind", "channel")


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_OWNER
    list_display = ("user", "messages_digest", "activity_digest", "daily_digest_hour")
    list_filter = ("messages_digest", "activity_digest")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    ordering = ("user",)


@admin.register(DigestItem)
class DigestItemAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_OWNER
    reference_fields = ("notification",)
    list_display = ("id", "user", "category", "created_at", "sent_at")
    list_filter = ("category", "created_at", "sent_at")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    ordering = ("-created_at", "-id")


@admin.register(PushSubscription)
class PushSubscriptionAdmin(PrivacyAwareAdmin):
    # The endpoint is a bearer address for the device; the keys encrypt what it receives.
    private_fields = ("endpoint", "p256dh", "auth")
    rls_note = NOTE_OWNER
    list_display = ("id", "user", "device_label", "created_at", "last_success_at", "failures")
    list_filter = ("created_at", "last_success_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "device_label")
    ordering = ("-created_at", "-id")


@admin.register(Announcement)
class AnnouncementAdmin(PrivacyAwareAdmin):
    area_link = (
        "admin_area:announcements",
        _("Write and send announcements on Loom's announcements page."),
    )
    list_display = ("title_en", "audience", "author", "created_at", "sent_at", "recipients")
    list_filter = ("audience", "created_at", "sent_at")
    list_select_related = ("author",)
    search_fields = ("title_en", "title_he")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

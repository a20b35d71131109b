"""Django admin for the two cross-cutting tables: read-only views, never message bodies."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loom.core.errors import Conflict
from loom.core.models import AuditLog, OutboxMessage
from loom.core.outbox import outbox_retry


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    # The payload is deliberately absent: it may hold sign-in links or SMS codes.
    list_display = (
        "id",
        "created_at",
        "channel",
        "recipient",
        "status",
        "attempts",
        "available_at",
        "sent_at",
    )
    list_filter = ("status", "channel")
    search_fields = ("recipient", "dedupe_key")
    ordering = ("-created_at", "-id")
    fields = (
        "channel",
        "recipient",
        "subject",
        "status",
        "dedupe_key",
        "attempts",
        "max_attempts",
        "available_at",
        "locked_until",
        "last_error",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields
    actions = ["retry_dead_letters"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboxMessage]:
        return super().get_queryset(request).defer("payload")

    @admin.display(description=_("subject"))
    def subject(self, message: OutboxMessage) -> str:
        # Emails keep a subject even after their bodies are stripped; other channels show nothing.
        if message.channel != OutboxMessage.Channel.EMAIL:
            return "—"
        return str(message.payload.get("subject", "—"))

    @admin.action(description=_("Retry the selected dead letters"))
    def retry_dead_letters(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        retried = 0
        for message_id in queryset.filter(status=OutboxMessage.Status.DEAD).values_list(
            "pk", flat=True
        ):
            try:
                outbox_retry(message_id=message_id, actor=request.user)
            except Conflict:
                continue
            retried += 1
        self.message_user(
            request,
            gettext("%(count)d message(s) will be sent again.") % {"count": retried},
            messages.SUCCESS,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin[AuditLog]):
    """Append-only: viewable and searchable, never added, changed or deleted here."""

    list_display = (
        "occurred_at",
        "action",
        "actor",
        "target_type",
        "target_id",
        "ip_address",
        "request_id",
    )
    list_filter = ("action",)
    search_fields = ("action", "target_id", "request_id", "actor__email")
    date_hierarchy = "occurred_at"
    list_select_related = ("actor",)
    ordering = ("-occurred_at", "-id")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AuditLog._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

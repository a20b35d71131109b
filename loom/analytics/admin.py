"""Django admin for the analytics tables: read-only, written only by the worker and services.

Events and daily activity can be large (millions of rows): their lists filter by date
with fixed choices rather than a date hierarchy, which would scan the table for the
years and months it offers. NPS comments (encrypted) and export files and parameters
are never shown.
"""

from __future__ import annotations

from django.contrib import admin

from loom.analytics.models import (
    DailyActivity,
    Event,
    Export,
    KpiValue,
    NpsResponse,
    RollupRun,
    RollupState,
)
from loom.core.admin import NOTE_OWNER, PrivacyAwareAdmin


@admin.register(Event)
class EventAdmin(PrivacyAwareAdmin):
    list_display = ("id", "occurred_at", "user", "role", "name", "route")
    list_filter = ("name", "role", "occurred_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "=route")
    ordering = ("-occurred_at", "-id")


@admin.register(DailyActivity)
class DailyActivityAdmin(PrivacyAwareAdmin):
    list_display = (
        "day",
        "user",
        "role",
        "events",
        "actions",
        "page_views",
        "visits",
        "visit_seconds",
    )
    list_filter = ("role", "day")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    ordering = ("-day", "-id")


@admin.register(KpiValue)
class KpiValueAdmin(PrivacyAwareAdmin):
    list_display = (
        "kpi",
        "period",
        "period_start",
        "segment",
        "value",
        "numerator",
        "denominator",
        "provisional",
        "computed_at",
    )
    list_filter = ("period", "provisional", "kpi", "segment")
    search_fields = ("kpi", "segment")
    date_hierarchy = "period_start"
    ordering = ("-period_start", "kpi", "segment")


@admin.register(RollupState)
class RollupStateAdmin(PrivacyAwareAdmin):
    list_display = ("job", "last_event_id", "watermark", "updated_at")
    search_fields = ("job",)
    ordering = ("job",)


@admin.register(RollupRun)
class RollupRunAdmin(PrivacyAwareAdmin):
    list_display = (
        "job",
        "started_at",
        "duration_ms",
        "events_read",
        "rows_written",
        "ok",
        "error",
    )
    list_filter = ("ok", "job", "started_at")
    search_fields = ("job",)
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-id")


@admin.register(NpsResponse)
class NpsResponseAdmin(PrivacyAwareAdmin):
    # The comment is encrypted (hidden by the base class); the session is a reference.
    # Who answered is hidden too: the NPS page shows role and language only, so that
    # feedback stays candid, and the Django admin must not undo that.
    reference_fields = ("session",)
    private_fields = ("user",)
    list_display = (
        "period",
        "role",
        "language",
        "trigger",
        "score",
        "answered_at",
        "dismissed_at",
    )
    list_filter = ("trigger", "role", "language", "period", "answered_at", "dismissed_at")
    search_fields = ("=period",)
    ordering = ("-created_at", "-id")


@admin.register(Export)
class ExportAdmin(PrivacyAwareAdmin):
    # The file is served only to its requester; the parameters may name a client.
    private_fields = ("params",)
    rls_note = NOTE_OWNER
    list_display = (
        "created_at",
        "requested_by",
        "table",
        "format",
        "status",
        "row_count",
        "size",
        "expires_at",
    )
    list_filter = ("status", "format", "language", "created_at")
    list_select_related = ("requested_by",)
    search_fields = ("table", "requested_by__email")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

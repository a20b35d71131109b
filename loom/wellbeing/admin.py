"""Django admin for check-ins and goals: who and when, never what they felt or wrote.

Free text is encrypted (hidden by ``PrivacyAwareAdmin``); the mood meter, emotions,
sensations, coping strategy and sleep are wellness measurements an administrator has
no reason to see, so they are hidden too. On PostgreSQL administrators see no rows:
these tables have no admin policy (row-level security), and the lists say so.
"""

from __future__ import annotations

from django.contrib import admin

from loom.core.admin import NOTE_PRIVATE, PrivacyAwareAdmin
from loom.wellbeing.models import CheckIn, Goal, GoalActionItem, Milestone, SharingPreference

CHECKIN_PRIVATE = (
    "pleasantness",
    "energy",
    "emotions",
    "sensations",
    "coping_strategy",
    "coping_helped",
    "sleep_hours",
    "local_hour",
)


@admin.register(CheckIn)
class CheckInAdmin(PrivacyAwareAdmin):
    private_fields = CHECKIN_PRIVATE
    rls_note = NOTE_PRIVATE
    list_display = ("id", "client", "occurred_at", "local_date", "timezone")
    list_filter = ("occurred_at",)
    list_select_related = ("client",)
    search_fields = ("client__email",)
    date_hierarchy = "occurred_at"
    ordering = ("-occurred_at", "-id")


@admin.register(SharingPreference)
class SharingPreferenceAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_PRIVATE
    list_display = ("client", "share_checkins", "share_goals", "updated_at")
    list_filter = ("share_checkins", "share_goals")
    list_select_related = ("client",)
    search_fields = ("client__email",)
    ordering = ("-updated_at",)


@admin.register(Goal)
class GoalAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_PRIVATE
    list_display = ("id", "client", "status", "progress", "target_date", "created_at")
    list_filter = ("status", "created_at", "completed_at")
    list_select_related = ("client",)
    search_fields = ("client__email",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")


@admin.register(Milestone)
class MilestoneAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_PRIVATE
    reference_fields = ("goal",)
    list_display = ("id", "goal_reference", "position", "due_on", "completed_at")
    list_filter = ("completed_at", "due_on")
    ordering = ("-created_at", "-id")

    @admin.display(description=Goal._meta.verbose_name)
    def goal_reference(self, milestone: Milestone) -> str:
        return f"#{milestone.goal_id}"


@admin.register(GoalActionItem)
class GoalActionItemAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_PRIVATE
    reference_fields = ("goal", "action_item")
    list_display = ("id", "goal_reference", "action_item_reference", "created_at")
    ordering = ("-created_at", "-id")

    @admin.display(description=Goal._meta.verbose_name)
    def goal_reference(self, link: GoalActionItem) -> str:
        return f"#{link.goal_id}"

    @admin.display(description=GoalActionItem._meta.get_field("action_item").verbose_name)
    def action_item_reference(self, link: GoalActionItem) -> str:
        return f"#{link.action_item_id}"

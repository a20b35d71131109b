"""Emotion check-ins, goals and milestones, and what a client lets their coaches see.

A check-in stores the moment (UTC), the client's time zone at that moment and the
local date and hour it gives, so daily figures, streaks and weekday/time-of-day
patterns use the client's own day even after they travel or the clocks change.

Free text (trigger, thoughts, behaviour, coping, note; goal and milestone texts) is
encrypted at rest. Numbers and vocabulary keys are not: they are what the trends and
insights are computed from, and they are protected by row-level security (migration
0002) like every other row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from loom.core.fields import EncryptedTextField

TEXT_MAX = 2_000
GOAL_TITLE_MAX = 200
# Emotions named in one check-in; sensations likewise.
EMOTIONS_MAX = 10
SENSATIONS_MAX = 20


class CheckIn(models.Model):
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkins"
    )
    occurred_at = models.DateTimeField(_("when"), default=dj_timezone.now)
    # The client's zone when they checked in, and the local date and hour it gave.
    timezone = models.CharField(max_length=64)
    local_date = models.DateField()
    local_hour = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(default=dj_timezone.now)
    # The mood meter: pleasantness (the "mood" of the trends) × energy, 1–10 each.
    pleasantness = models.PositiveSmallIntegerField(_("how pleasant"))
    energy = models.PositiveSmallIntegerField(_("energy"))
    # [{"emotion": <key of loom.journal.vocabulary.EMOTIONS>, "intensity": 1–10}, …]
    emotions = models.JSONField(default=list, blank=True)
    sensations = models.JSONField(default=list, blank=True)
    trigger = EncryptedTextField(_("what happened"), blank=True)
    thoughts = EncryptedTextField(_("thoughts"), blank=True)
    behaviour = EncryptedTextField(_("what you did"), blank=True)
    # A key of loom.wellbeing.vocabulary.COPING_STRATEGIES, or "" for none.
    coping_strategy = models.CharField(_("coping strategy"), max_length=40, blank=True)
    coping_helped = models.PositiveSmallIntegerField(_("how much it helped"), null=True, blank=True)
    sleep_hours = models.DecimalField(
        _("hours of sleep"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    note = EncryptedTextField(_("note"), blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["client", "-occurred_at", "-id"], name="checkin_client_time"),
            models.Index(fields=["client", "local_date"], name="checkin_client_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(pleasantness__gte=1, pleasantness__lte=10),
                name="checkin_pleasantness_range",
            ),
            models.CheckConstraint(
                condition=Q(energy__gte=1, energy__lte=10), name="checkin_energy_range"
            ),
            models.CheckConstraint(
                condition=Q(coping_helped__isnull=True)
                | Q(coping_helped__gte=1, coping_helped__lte=5),
                name="checkin_coping_helped_range",
            ),
            models.CheckConstraint(
                condition=Q(sleep_hours__isnull=True) | Q(sleep_hours__gte=0, sleep_hours__lte=24),
                name="checkin_sleep_range",
            ),
            models.CheckConstraint(
                condition=Q(local_hour__gte=0, local_hour__lte=23), name="checkin_local_hour_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.pk} of {self.client_id}"


class SharingPreference(models.Model):
    """What a client lets their coaches see beyond the entries they share one by one.

    No row means the defaults: check-ins private, goals shared.
    """

    client = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wellbeing_sharing"
    )
    # Mood, energy and named emotions (never the notes) of every check-in.
    share_checkins = models.BooleanField(_("share my check-in moods with my coach"), default=False)
    share_goals = models.BooleanField(_("share my goals with my coach"), default=True)
    updated_at = models.DateTimeField(default=dj_timezone.now)

    def __str__(self) -> str:
        return f"Wellbeing sharing of {self.client_id}"


class Goal(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        ABANDONED = "abandoned", _("Abandoned")
        DECLINED = "declined", _("Declined")

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="goals"
    )
    # The coach who proposed it (the client accepts or declines), or null.
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="goals_proposed",
    )
    title = EncryptedTextField(_("goal"))
    why = EncryptedTextField(_("why it matters"), blank=True)
    measure = EncryptedTextField(_("how you will know"), blank=True)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # 0–100; set by hand, or from the milestones when the goal has any.
    progress = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(default=dj_timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["client", "status", "-created_at"], name="goal_client_status"),
            models.Index(
                fields=["proposed_by"],
                name="goal_proposed_by",
                condition=Q(proposed_by__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="goal_progress_range"
            )
        ]

    def __str__(self) -> str:
        return f"Goal {self.pk} of {self.client_id}"


class Milestone(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="milestones")
    title = EncryptedTextField(_("milestone"))
    due_on = models.DateField(_("due"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ("position", "id")
        indexes = [models.Index(fields=["goal", "position"], name="milestone_goal_position")]

    def __str__(self) -> str:
        return f"Milestone {self.pk} of goal {self.goal_id}"


class GoalActionItem(models.Model):
    """An action item from a session, linked to a goal it serves."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="action_links")
    action_item = models.ForeignKey(
        "scheduling.ActionItem", on_delete=models.CASCADE, related_name="goal_links"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["goal", "action_item"], name="goal_action_item_once")
        ]
        indexes = [models.Index(fields=["action_item"], name="goal_action_item_item")]

    def __str__(self) -> str:
        return f"Goal {self.goal_id} ← action item {self.action_item_id}"

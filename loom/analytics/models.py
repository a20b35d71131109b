"""Analytics: product events, their daily rollup, KPI values, NPS answers and exports.

``analytics`` reads the other apps and is written by no one else (DESIGN.md layout):
events arrive through its own receivers and middleware, rollups are computed by the
worker, and the dashboards read only the rollup tables so they stay fast as data grows.
No table here holds what anyone wrote, except the NPS comment, which is encrypted.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from loom.core.fields import EncryptedTextField


class EventName(models.TextChoices):
    """What a person did. Never the content: no text, no titles, no ids of the thing."""

    SIGN_IN = "sign_in", pgettext_lazy("product event", "Signed in")
    PAGE_VIEW = "page_view", pgettext_lazy("product event", "Viewed a page")
    BOOKING = "booking", pgettext_lazy("product event", "Booked a session")
    MESSAGE_SENT = "message_sent", pgettext_lazy("product event", "Sent a message")
    RESOURCE_UPLOADED = "resource_uploaded", pgettext_lazy("product event", "Uploaded a resource")
    RESOURCE_SHARED = "resource_shared", pgettext_lazy("product event", "Shared a resource")
    RESOURCE_OPENED = "resource_opened", pgettext_lazy("product event", "Opened a resource")
    JOURNAL_ENTRY = "journal_entry", pgettext_lazy("product event", "Wrote a journal entry")
    JOURNAL_SHARED = "journal_shared", pgettext_lazy("product event", "Shared a journal entry")
    CHECKIN = "checkin", pgettext_lazy("product event", "Checked in")
    GOAL_CREATED = "goal_created", pgettext_lazy("product event", "Set a goal")
    NPS_ANSWERED = "nps_answered", pgettext_lazy("product event", "Answered the survey")


# "Performed an action" (Appendix A, active client): every event but looking around.
PASSIVE_EVENTS = frozenset({EventName.SIGN_IN, EventName.PAGE_VIEW})


class Event(models.Model):
    """One product event. Lean on purpose: who (and in which role), what, when, and for
    page views the route's name (``journal:entry``), never the path with its ids.

    Written in batches by the worker (``loom.analytics.events``), kept for
    ``ANALYTICS_EVENT_RETENTION_DAYS`` and deleted with the person — by the database
    (``DB_CASCADE``): Django need not load a person's thousands of events to delete them,
    and an event written while the account is being deleted cannot block the deletion.
    """

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="+",
        verbose_name=_("user"),
        db_index=False,  # covered by the (user, occurred_at) index
    )
    role = models.CharField(_("role"), max_length=8)
    name = models.CharField(_("event"), max_length=24, choices=EventName.choices)
    route = models.CharField(_("route"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("product event")
        verbose_name_plural = _("product events")
        indexes = [
            models.Index(fields=["occurred_at"], name="analytics_event_time"),
            models.Index(fields=["user", "occurred_at"], name="analytics_event_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.name} by {self.user_id} at {self.occurred_at:%Y-%m-%d %H:%M}"


class DailyActivity(models.Model):
    """One person's activity on one day of the reporting zone (``ANALYTICS_TIME_ZONE``),
    rolled up from events by the worker. Feeds active users, DAU/WAU, visit length and
    return visits, and each client's "last activity" on the coach's analytics.

    A visit is a run of events with no gap longer than ``ANALYTICS_VISIT_TIMEOUT_MINUTES``;
    its length is from its first event to its last. Visits are cut at midnight.
    """

    day = models.DateField(_("day"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="+",
        verbose_name=_("user"),
        db_index=False,  # covered by the (user, day) constraint
    )
    role = models.CharField(_("role"), max_length=8)
    events = models.PositiveIntegerField(_("events"), default=0)
    actions = models.PositiveIntegerField(_("actions"), default=0)
    page_views = models.PositiveIntegerField(_("page views"), default=0)
    visits = models.PositiveIntegerField(_("visits"), default=0)
    visit_seconds = models.PositiveIntegerField(_("time in visits (seconds)"), default=0)
    first_at = models.DateTimeField(_("first event"))
    last_at = models.DateTimeField(_("last event"))

    class Meta:
        verbose_name = _("daily activity")
        verbose_name_plural = _("daily activity")
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="analytics_activity_user_day"),
        ]
        indexes = [models.Index(fields=["day", "role"], name="analytics_activity_day_role")]

    def __str__(self) -> str:
        return f"Activity of {self.user_id} on {self.day}"


class Period(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")


class KpiValue(models.Model):
    """One KPI for one period and segment, computed by the worker (``loom.analytics.kpis``).

    ``value`` is numerator ÷ denominator in the KPI's unit (a share as a percentage, an
    average as its figure), or NULL when the denominator is 0. ``provisional`` while
    the period's look-ahead window (7 days for onboarding, …) has not fully passed.
    """

    kpi = models.CharField(_("KPI"), max_length=48)
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    period_start = models.DateField(_("period start"))
    segment = models.CharField(_("segment"), max_length=32, default="all")
    numerator = models.FloatField(_("numerator"), default=0)
    denominator = models.FloatField(_("denominator"), default=0)
    value = models.FloatField(_("value"), null=True, blank=True)
    provisional = models.BooleanField(_("provisional"), default=False)
    computed_at = models.DateTimeField(_("computed at"), default=dj_timezone.now)

    class Meta:
        verbose_name = _("KPI value")
        verbose_name_plural = _("KPI values")
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "period", "period_start", "segment"], name="analytics_kpi_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["period", "-period_start"], name="analytics_kpi_period"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.period} {self.period_start} {self.segment}"


class RollupState(models.Model):
    """Where an incremental job got to (its watermark), so a run does only new work."""

    job = models.CharField(_("job"), max_length=48, primary_key=True)
    last_event_id = models.BigIntegerField(_("last event id"), default=0)
    watermark = models.DateTimeField(_("watermark"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=dj_timezone.now)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return self.job


class RollupRun(models.Model):
    """One run of a rollup job: how long it took and how much it did (operations
    dashboard, ``make bench``). Pruned with the events."""

    job = models.CharField(_("job"), max_length=48)
    started_at = models.DateTimeField(_("started at"), default=dj_timezone.now)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    events_read = models.PositiveIntegerField(_("events read"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    ok = models.BooleanField(_("succeeded"), default=True)
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("rollup run")
        verbose_name_plural = _("rollup runs")
        indexes = [models.Index(fields=["job", "-started_at"], name="analytics_run_job_time")]

    def __str__(self) -> str:
        return f"{self.job} at {self.started_at:%Y-%m-%d %H:%M}"


class NpsTrigger(models.TextChoices):
    SESSION = "session", _("After a session")
    MONTHLY = "monthly", _("Monthly")


class NpsResponse(models.Model):
    """A survey shown to one person in one period (their local calendar month): answered
    (``score``) or dismissed. The unique period keeps anyone from being asked twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
        db_index=False,  # covered by the (user, period) constraint
    )
    role = models.CharField(_("role"), max_length=8)
    language = models.CharField(_("language"), max_length=8)
    trigger = models.CharField(_("trigger"), max_length=8, choices=NpsTrigger.choices)
    session = models.ForeignKey(
        "scheduling.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("session"),
    )
    period = models.CharField(_("period"), max_length=7)  # "2026-11", the person's month
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = EncryptedTextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=dj_timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True, db_index=True)
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("NPS response")
        verbose_name_plural = _("NPS responses")
        constraints = [
            models.UniqueConstraint(fields=["user", "period"], name="analytics_nps_once_a_period"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__lte=10),
                name="analytics_nps_score_0_10",
            ),
        ]

    def __str__(self) -> str:
        return f"NPS {self.period} of {self.user_id}"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ExportStatus(models.TextChoices):
    # With a context: an export is masculine singular in Hebrew, unlike other "Waiting"s.
    QUEUED = "queued", pgettext_lazy("export status", "Waiting")
    RUNNING = "running", pgettext_lazy("export status", "Being prepared")
    READY = "ready", pgettext_lazy("export status", "Ready")
    FAILED = "failed", pgettext_lazy("export status", "Failed")


class Export(models.Model):
    """A table from a dashboard, written to a file by the worker in the viewer's language
    and time zone, downloadable by its requester until it expires. Audited."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("requested by"),
    )
    table = models.CharField(_("table"), max_length=64)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    language = models.CharField(_("language"), max_length=8)
    timezone = models.CharField(_("time zone"), max_length=64)
    status = models.CharField(
        _("status"), max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    error = models.CharField(_("error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=dj_timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="analytics_export_owner"),
            models.Index(fields=["status", "created_at"], name="analytics_export_status"),
        ]

    def __str__(self) -> str:
        return f"{self.table}.{self.format} for {self.requested_by_id}"

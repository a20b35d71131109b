"""Shared base models and the two cross-cutting tables: the audit log and the outbox."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditLogQuerySet(models.QuerySet["AuditLog"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("The audit log is append-only.")


class AuditLog(models.Model):
    """One append-only row per security-relevant action.

    Written through ``loom.core.audit.audit_record`` in the same transaction as the
    action. On PostgreSQL the application role holds only INSERT and SELECT on it.
    """

    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,  # rows outlive the people they mention
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("object type"), max_length=64, blank=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["actor", "-occurred_at"], name="audit_actor_time")]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("The audit log is append-only.")


class OutboxMessage(models.Model):
    """A side effect (an email, a text message, a notice, a push) to deliver.

    Rows are written in the same transaction as the change that causes them, so a
    rolled-back change sends nothing. The worker claims due rows with
    ``SELECT … FOR UPDATE SKIP LOCKED``, delivers, and on failure schedules a retry
    with full-jitter exponential backoff until ``max_attempts``; then the row is dead.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        # A notice to dispatch (loom.core.notices) and what it becomes.
        NOTICE = "notice", _("Notice")
        IN_APP = "in_app", _("In app")
        NOTICE_EMAIL = "notice_email", _("Notification email")
        NOTICE_SMS = "notice_sms", _("Notification text message")
        PUSH = "push", _("Push")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DEAD = "dead", _("Dead letter")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    # A stable key makes enqueueing idempotent (e.g. "invitation:42:sent").
    dedupe_key = models.CharField(
        _("deduplication key"), max_length=200, null=True, blank=True, unique=True
    )
    recipient = models.CharField(_("recipient"), max_length=320)
    payload = models.JSONField(_("payload"), default=dict)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("maximum attempts"), default=8)
    available_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["available_at"],
                name="outbox_due",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["status", "-created_at"], name="outbox_status_time"),
        ]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")

    def __str__(self) -> str:
        return gettext("%(channel)s to %(recipient)s (%(status)s)") % {
            "channel": self.get_channel_display(),
            "recipient": self.recipient,
            "status": self.get_status_display(),
        }


class UserStream(models.Model):
    """One person's realtime stream: the last sequence number handed out to them.

    Every event a person receives (a message, a reaction, a notification…) is a
    ``UserEvent`` numbered from this counter, so a socket that reconnects can ask for
    everything after the last number it saw (DESIGN.md rule 6). The counter row is
    locked while an event is appended, which keeps one person's numbers gap-free and
    in commit order.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_seq = models.BigIntegerField(default=0)
    # When a socket or page of this person last showed activity (presence): a new
    # message is not emailed or pushed while its reader is active in Loom.
    last_active_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("realtime stream")
        verbose_name_plural = _("realtime streams")

    def __str__(self) -> str:
        return f"Stream of {self.user_id} at {self.last_seq}"


class UserEvent(models.Model):
    """One numbered event in a person's stream; its ``data`` is what the socket sends."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("realtime event")
        verbose_name_plural = _("realtime events")
        constraints = [
            models.UniqueConstraint(fields=["user", "seq"], name="userevent_user_seq_unique")
        ]
        indexes = [models.Index(fields=["created_at"], name="userevent_created")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.seq} for {self.user_id}"


class WorkerHeartbeat(models.Model):
    """The last round of each background loop (``loom outbox_drain --loop``, …), so the
    operations dashboard can tell a loop that is working from one that has stopped."""

    name = models.CharField(_("loop"), max_length=64, primary_key=True)
    beat_at = models.DateTimeField(_("last round at"), default=timezone.now)
    host = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process id"), default=0)
    interval_seconds = models.FloatField(_("interval (seconds)"), default=30.0)
    last_line = models.CharField(_("last result"), max_length=200, blank=True)
    failed = models.BooleanField(_("last round failed"), default=False)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.name

"""In-app notifications: short notices a person reads in Loom, newest first.

Rows are created only by the outbox deliverer of the ``in_app`` channel (in the
system context); the person reads their own and marks them read. ``source`` is the
key of what caused the notice (e.g. ``reminder:<id>:<sequence>``): unique, so a
message the outbox delivers twice is stored once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TITLE_MAX = 200
URL_MAX = 500


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    body = models.TextField(_("text"), blank=True)
    # A path on this site ("/sessions/12/"), never an outside address.
    url = models.CharField(_("link"), max_length=URL_MAX, blank=True)
    source = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # False when the person turned in-app notices of this kind off: the row still
    # carries the email/push/SMS deliveries but is not listed or counted.
    listed = models.BooleanField(default=True)
    # Email and push of this notice wait (``Notice.delay_seconds``) and go only if it
    # is still unread and the person is not active in Loom at send time.
    hold_while_active = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_newest"),
            models.Index(
                fields=["user"],
                condition=models.Q(read_at__isnull=True),
                name="notification_user_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"Notification {self.pk} for {self.user_id}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class ChannelChoice(models.Model):
    """One cell of a person's preferences matrix (kind × channel) that differs from the default.

    A missing row means the default (``loom.notifications.preferences.DEFAULTS``).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_choices"
    )
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=16)
    enabled = models.BooleanField()

    class Meta:
        verbose_name = _("notification choice")
        verbose_name_plural = _("notification choices")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="channelchoice_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}/{self.channel}={self.enabled}"


class DigestFrequency(models.TextChoices):
    IMMEDIATE = "immediate", _("Right away")
    HOURLY = "hourly", _("Hourly summary")
    DAILY = "daily", _("Daily summary")


class NotificationSettings(models.Model):
    """A person's email digest choice. Quiet hours live with reminder preferences."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_settings",
    )
    # Messages and activity (shared resources, accepted invitations) by email.
    messages_digest = models.CharField(
        _("email for messages"),
        max_length=16,
        choices=DigestFrequency.choices,
        default=DigestFrequency.IMMEDIATE,
    )
    activity_digest = models.CharField(
        _("email for activity"),
        max_length=16,
        choices=DigestFrequency.choices,
        default=DigestFrequency.IMMEDIATE,
    )
    # Local hour (person's zone) of the daily summary.
    daily_digest_hour = models.PositiveSmallIntegerField(_("daily summary at"), default=8)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return f"Notification settings of {self.user_id}"


DELIVERY_CHANNELS = {
    "in_app": _("In app"),
    "email": _("Email"),
    "push": _("Push"),
    "sms": _("Text message"),
}

# Why a delivery went the way it did, in words for the notification centre.
DELIVERY_REASONS = {
    "preference": _("turned off in your settings"),
    "no_phone": _("no verified phone number"),
    "no_device": _("no device has push turned on"),
    "no device": _("no device has push turned on"),
    "push off": _("push is not set up on this site"),
    "unavailable": _("push is not set up on this site"),
    "collapsed": _("included in an earlier one"),
    "quiet_hours": _("waiting for your quiet hours to end"),
    "delay": _("waiting in case you read it in Loom first"),
    "read": _("you read it in Loom first"),
    "active": _("you were using Loom"),
    "expired": _("too late to be useful"),
    "digest": _("in a summary email"),
    "retrying": _("trying again"),
    "failed": _("could not be delivered"),
    "rejected": _("could not be delivered"),
    "unreachable": _("could not be delivered"),
}


class NotificationDelivery(models.Model):
    """How one notification went out on one channel (the status people and admins see)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        WAITING = "waiting", _("Waiting (quiet hours or delay)")
        DIGEST = "digest", _("In the next summary")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent")
        FAILED = "failed", _("Failed")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=16)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    # Why it was skipped ("preference", "read", "active", "no phone", "no device"…).
    reason = models.CharField(max_length=40, blank=True)
    outbox_message = models.ForeignKey(
        "core.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="notificationdelivery_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} by {self.channel}: {self.state}"

    @property
    def channel_label(self) -> str:
        return str(DELIVERY_CHANNELS.get(self.channel, self.channel))

    @property
    def reason_label(self) -> str:
        return str(DELIVERY_REASONS.get(self.reason, ""))


class DigestItem(models.Model):
    """A notification waiting for the person's next hourly or daily summary email."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_items"
    )
    notification = models.OneToOneField(
        Notification, on_delete=models.CASCADE, related_name="digest_item"
    )
    category = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("summary item")
        verbose_name_plural = _("summary items")
        indexes = [
            models.Index(
                fields=["user", "category"],
                condition=models.Q(sent_at__isnull=True),
                name="digestitem_pending",
            )
        ]

    def __str__(self) -> str:
        return f"Summary item {self.notification_id} for {self.user_id}"


class PushSubscription(models.Model):
    """One device (browser) that has turned on push for a person (Web Push, RFC 8030)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    # A label the person recognises ("Chrome on Android"), from the browser.
    device_label = models.CharField(_("device"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("turned on"), default=timezone.now)
    last_success_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("push device")
        verbose_name_plural = _("push devices")
        indexes = [models.Index(fields=["user"], name="pushsubscription_user")]

    def __str__(self) -> str:
        return f"Push device {self.pk} of {self.user_id}"


class Announcement(models.Model):
    """A system announcement from an admin, told to everyone in an audience."""

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("Everyone")
        COACHES = "coaches", _("Coaches")
        CLIENTS = "clients", _("Clients")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    title_en = models.CharField(_("title in English"), max_length=TITLE_MAX)
    body_en = models.TextField(_("text in English"), max_length=2000, blank=True)
    title_he = models.CharField(_("title in Hebrew"), max_length=TITLE_MAX)
    body_he = models.TextField(_("text in Hebrew"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Set once the worker has told everyone in the audience.
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title_en

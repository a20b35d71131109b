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

"""Coach–client conversations: messages, their edits, reactions, attachments, read state.

One conversation per coach and client (created when the client joins). The database
is the truth; what the people see live comes through their realtime streams
(``loom.core.realtime``), appended in the same transaction as each change here.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

BODY_MAX = 10_000
EMOJI_MAX = 16


class Conversation(models.Model):
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="coach_conversations",
        verbose_name=_("coach"),
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="client_conversations",
        verbose_name=_("client"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The newest message's id and time, kept with each send so lists sort and show
    # previews without scanning messages.
    last_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(fields=["coach", "client"], name="conversation_pair_unique"),
            models.CheckConstraint(
                condition=~models.Q(coach=models.F("client")), name="conversation_two_people"
            ),
        ]
        indexes = [
            models.Index(fields=["coach", "-last_message_at"], name="conversation_coach_recent"),
            models.Index(fields=["client", "-last_message_at"], name="conversation_client_recent"),
        ]

    def __str__(self) -> str:
        return f"Conversation {self.pk} ({self.coach_id} ↔ {self.client_id})"

    def member_ids(self) -> tuple[int, int]:
        return (self.coach_id, self.client_id)

    def other_id(self, user_id: int) -> int:
        return self.client_id if user_id == self.coach_id else self.coach_id


class Participant(models.Model):
    """One side of a conversation: how far they have read, for unread counts and receipts."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_seats"
    )
    # The id of the newest message this person has seen (0: none).
    last_read_message_id = models.BigIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="participant_unique")
        ]
        indexes = [models.Index(fields=["user"], name="participant_user")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"


class Message(models.Model):
    id = models.BigAutoField(primary_key=True)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_sent"
    )
    # Made by the sender's browser: a retried send carries the same id and is stored once.
    client_id = models.UUIDField(default=uuid.uuid4)
    body = models.TextField(_("message"), max_length=BODY_MAX, blank=True)
    # The body rendered from markdown and sanitized with an allowlist, kept with the row
    # so lists never render markdown.
    body_html = models.TextField(blank=True)
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["sender", "client_id"], name="message_client_id_unique")
        ]
        indexes = [
            models.Index(fields=["conversation", "-id"], name="message_conversation_newest"),
            # Analytics: messages in a date range, per conversation (coach analytics) and
            # across everyone (the messaging KPIs, week by week).
            models.Index(fields=["conversation", "created_at"], name="message_conversation_time"),
            models.Index(fields=["created_at"], name="message_time"),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} in {self.conversation_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class MessageEdit(models.Model):
    """An earlier text of an edited message (history is kept)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="edits")
    body = models.TextField(max_length=BODY_MAX)
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("message edit")
        verbose_name_plural = _("message edits")
        ordering = ["replaced_at", "id"]

    def __str__(self) -> str:
        return f"Edit of {self.message_id} at {self.replaced_at:%Y-%m-%d %H:%M}"


class Reaction(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_reactions"
    )
    emoji = models.CharField(max_length=EMOJI_MAX)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.UniqueConstraint(fields=["message", "user", "emoji"], name="reaction_unique")
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.user_id} on {self.message_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random name: the stored path says nothing about the person or the original name.
    return f"messaging/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file sent with a message. Uploaded first (no message yet), attached on send."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        FILE = "file", _("File")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="attachments"
    )
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_attachments"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["message"], name="attachment_message")]

    def __str__(self) -> str:
        return self.name


class MessagingPreference(models.Model):
    """A person's messaging choices."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="messaging_preference",
    )
    send_read_receipts = models.BooleanField(_("let others see when I have read"), default=True)

    class Meta:
        verbose_name = _("messaging preference")
        verbose_name_plural = _("messaging preferences")

    def __str__(self) -> str:
        return f"Messaging preference of {self.user_id}"

"""The practice journal (Satya Method): entries, prompts, daily intentions, comments.

Everything a client writes here is private until they share one entry with one of
their coaches. Text is stored encrypted (``EncryptedTextField``); the optional audio
note is stored as an encrypted file (``loom.core.crypto.encrypt_bytes``). Row-level
security (migration 0002) lets a coach read an entry only while it is shared with them
and the client is on their active roster.

Days are the client's local days: ``written_on`` is the client's date when the entry
was written (or the earlier day they chose), fixed at write time, so a streak does not
change when the client later travels to another time zone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loom.core.fields import EncryptedTextField

TITLE_MAX = 200
BODY_MAX = 20_000
COMMENT_MAX = 4_000
PROMPT_MAX = 500
INTENTION_MAX = 300
# Lists of vocabulary keys (loom.journal.vocabulary); the cap keeps a hostile client
# from storing thousands of keys.
CHOICES_MAX = 40
AUDIO_MAX_BYTES = 15 * 1024 * 1024
AUDIO_MAX_SECONDS = 600


def audio_path(instance: Entry, filename: str) -> str:
    # No part of the client's file name is kept: the name could itself be sensitive.
    import uuid

    return f"journal/audio/{instance.author_id}/{uuid.uuid4().hex}.bin"


class Prompt(models.Model):
    """A coach's own journal prompt, offered to the coach's active clients.

    The built-in prompts live in ``loom.journal.vocabulary.BUILTIN_PROMPTS`` (translated
    through the catalog); a coach's prompts are in the language the coach wrote them.
    """

    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_prompts"
    )
    text = models.CharField(_("prompt"), max_length=PROMPT_MAX)
    is_active = models.BooleanField(_("offered to clients"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["coach", "is_active"], name="journal_prompt_coach")]

    def __str__(self) -> str:
        return f"Prompt {self.pk} of coach {self.coach_id}"


class Entry(models.Model):
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_entries"
    )
    # The client's local date of the entry (see the module docstring).
    written_on = models.DateField(_("date"))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    title = EncryptedTextField(_("title"), blank=True)
    # Markdown source; rendered and sanitized (loom.core.markdown) when shown.
    body = EncryptedTextField(_("what you noticed"), blank=True)
    # Which prompt the entry answers: a built-in key or a coach's prompt.
    builtin_prompt = models.CharField(max_length=40, blank=True)
    # Deleting a prompt or a coach's account sets these to null through Django, as the
    # acting person; row-level security does not let a coach update a client's entries,
    # so those deletions run in the system context (see sharing.prompt_delete).
    prompt = models.ForeignKey(
        Prompt, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    mood = models.PositiveSmallIntegerField(_("mood"), null=True, blank=True)
    energy = models.PositiveSmallIntegerField(_("energy"), null=True, blank=True)
    # Vocabulary keys (loom.journal.vocabulary): SENSATIONS, EMOTIONS, BODY_ZONES, PRACTICES.
    sensations = models.JSONField(default=list, blank=True)
    emotions = models.JSONField(default=list, blank=True)
    body_areas = models.JSONField(default=list, blank=True)
    practices = models.JSONField(default=list, blank=True)
    # An encrypted file; the plaintext's type and length are kept for serving.
    audio = models.FileField(upload_to=audio_path, max_length=200, blank=True)
    audio_content_type = models.CharField(max_length=100, blank=True)
    audio_size = models.PositiveIntegerField(default=0)
    # Shared with one coach, or private (shared_with null). shared_at is when the current
    # coach's continuous access began: sharing again with the same coach keeps it, a move
    # to another coach or sharing after un-sharing sets a new time.
    shared_with = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="journal_entries_shared_with_me",
    )
    shared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "entries"
        indexes = [
            # The client's list (cursor: written_on, id) and streaks.
            models.Index(fields=["author", "-written_on", "-id"], name="journal_entry_author_day"),
            # Analytics: did a client write in a given week (by when it was written down).
            models.Index(fields=["author", "created_at"], name="journal_entry_author_created"),
            # A coach's shared entries, newest share first.
            models.Index(
                fields=["shared_with", "-shared_at"],
                name="journal_entry_shared",
                condition=Q(shared_with__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(mood__isnull=True) | Q(mood__gte=1, mood__lte=10),
                name="journal_entry_mood_range",
            ),
            models.CheckConstraint(
                condition=Q(energy__isnull=True) | Q(energy__gte=1, energy__lte=10),
                name="journal_entry_energy_range",
            ),
            # A shared entry has a time. A deleted coach account leaves shared_at behind
            # (the database clears only shared_with); "is it shared" is always shared_with.
            models.CheckConstraint(
                condition=Q(shared_with__isnull=True) | Q(shared_at__isnull=False),
                name="journal_entry_share_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"Journal entry {self.pk} of {self.author_id}"

    @property
    def is_shared(self) -> bool:
        return self.shared_with_id is not None


class Comment(models.Model):
    """A comment on a shared entry: by the coach it is shared with, or the client's reply."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_comments"
    )
    body = EncryptedTextField(_("comment"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["entry", "created_at"], name="journal_comment_entry")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on entry {self.entry_id}"


class Intention(models.Model):
    """The intention a client sets for one of their local days."""

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_intentions"
    )
    day = models.DateField()
    text = EncryptedTextField(_("today's intention"))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "day"], name="journal_intention_one_per_day")
        ]

    def __str__(self) -> str:
        return f"Intention of {self.client_id} for {self.day}"

"""Telling a person about something: the one door every app uses for notifications.

An app that wants someone told (a session booked, a message, a resource shared…)
builds a ``Notice`` and calls ``notice_send`` inside its business transaction. The
notice is written to the outbox (channel ``notice``) and, after the commit, the
notifications app's dispatcher turns it into an in-app notification and — following
the person's preferences matrix, quiet hours and digest choice — email, push and SMS
deliveries, each once per channel (DESIGN.md rule 5). Core knows nothing of
preferences; the notifications app registers the dispatcher.

Kinds are fixed here so every app and the preferences page agree on them. What each
channel shows is prepared by the sending app, in the recipient's language, because
only it knows how to word it: ``title``/``body`` for in-app and push, ``email`` (a
rendered email from ``loom.core.email.email_payload``) and ``sms`` text.

When a person has seen the thing a notice was about (read the message), the sending
app calls ``notices_seen``: the notifications app marks those notices read, cancels
what has not been sent yet and clears pushes on every device.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from loom.core.outbox import outbox_enqueue

CHANNEL = "notice"

# Kinds a person can be told about, with the words the preferences page shows.
KINDS: dict[str, Any] = {
    "session_booked": _("Session booked"),
    "session_approved": _("Session approved"),
    "session_rescheduled": _("Session moved"),
    "session_cancelled": _("Session cancelled"),
    "session_reminder": _("Session reminder"),
    "session_followup": _("After a session"),
    "message_new": _("New message"),
    "resource_shared": _("Resource shared with you"),
    "invitation_accepted": _("Invitation accepted"),
    "journal_shared": _("Journal entry shared with you"),
    "journal_comment": _("Comment on a journal entry"),
    "goal_proposed": _("Goal proposed to you"),
    "goal_completed": _("Goal or milestone completed"),
    "crisis_alert": _("Client safety alert"),
    "announcement": _("Announcements"),
}

# The channels besides in-app. SMS is offered for reminders only.
CHANNELS = ("in_app", "email", "push", "sms")
SMS_KINDS = frozenset({"session_reminder"})

# Digest categories: which kinds may wait for an hourly or daily email.
DIGEST_CATEGORY: dict[str, str] = {
    "message_new": "messages",
    "resource_shared": "activity",
    "invitation_accepted": "activity",
    "journal_shared": "activity",
    "journal_comment": "activity",
    "goal_completed": "activity",
}

# Sent (synchronously, inside the caller's transaction) by ``notices_seen``.
notices_seen_signal = Signal()


@dataclass
class Notice:
    """One thing to tell one person. Words are already in that person's language."""

    user_id: int
    kind: str
    # Unique per notice ("message:12:345", "booking:7:approved"): the same source is
    # told once however often it is sent.
    source: str
    title: str
    body: str = ""
    # A path on this site the notice links to.
    url: str = ""
    # From ``email_payload``; None to send no email for this notice.
    email: dict[str, Any] | None = None
    sms: str | None = None
    # Urgent notices ignore quiet hours (a reminder planned around them already, a
    # session cancelled for today).
    urgent: bool = False
    # Email and push wait this long and go only if the notice is still unread and the
    # person is not active in Loom (new messages: 10 minutes).
    delay_seconds: int = 0
    # Notices with the same collapse key replace each other on a device (one push per
    # conversation) and share one pending email/push.
    collapse_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown notice kind {self.kind!r}.")
        if not self.source or len(self.source) > 120:
            raise ValueError("A notice source is 1 to 120 characters.")

    def as_payload(self) -> dict[str, Any]:
        return asdict(self)


def notice_send(notice: Notice, *, available_at: datetime | None = None) -> None:
    """Tell ``notice.user_id`` about something, once the surrounding transaction commits."""
    outbox_enqueue(
        channel=CHANNEL,
        recipient=str(notice.user_id),
        payload=notice.as_payload(),
        dedupe_key=f"notice:{notice.source}",
        available_at=available_at,
    )


def notices_seen(*, user_id: int, source_prefix: str) -> None:
    """The person has seen what notices whose source starts with ``source_prefix`` are about."""
    notices_seen_signal.send(sender=None, user_id=user_id, source_prefix=source_prefix)

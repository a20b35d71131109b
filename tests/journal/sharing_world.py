"""Helpers for the journal-sharing tests: entries written straight to the table, so these
tests depend only on the models (the client's own journal services are tested apart)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from loom.accounts.models import CoachClient, User
from loom.core.models import AuditLog, OutboxMessage
from loom.journal.models import Entry
from tests.world import World

SECRET = "my secret practice words"


def make_entry(author: User, *, shared_with: User | None = None, **fields: Any) -> Entry:
    values: dict[str, Any] = {
        "written_on": timezone.localdate() - dt.timedelta(days=1),
        "title": "Evening practice",
        "body": f"I noticed **tension** — {SECRET}",
        "mood": 6,
        "energy": 4,
        "emotions": ["calm", "anxious"],
        "sensations": ["tension"],
        "body_areas": ["chest", "shoulders"],
        "practices": ["breathing"],
    }
    values.update(fields)
    entry = Entry.objects.create(author=author, **values)
    if shared_with is not None:
        entry.shared_with = shared_with
        entry.shared_at = timezone.now()
        entry.save(update_fields=["shared_with", "shared_at"])
    return entry


def archive(world: World, coach: User, client: User) -> None:
    CoachClient.objects.filter(coach=coach, client=client).update(
        status=CoachClient.Status.ARCHIVED
    )


def notices(user: User | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    rows = OutboxMessage.objects.filter(channel="notice").order_by("pk")
    if user is not None:
        rows = rows.filter(recipient=str(user.pk))
    payloads = [row.payload for row in rows]
    return [p for p in payloads if kind is None or p["kind"] == kind]


def audits(action: str) -> list[AuditLog]:
    return list(AuditLog.objects.filter(action=action).order_by("pk"))

"""Objects for the goal tests: action items from Dana's sessions, notices in the outbox.

No tests here; the ``test_goals_*`` modules import these.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from loom.accounts.models import User
from loom.core.models import OutboxMessage
from loom.scheduling.models import ActionItem
from tests.scheduling.notes_support import one_to_one

SECRET = "SECRET-GOAL-TEXT-4c1d"


def action_item(coach: User, client: User, title: str = "Walk 20 minutes", **kw: Any) -> ActionItem:
    session = one_to_one(coach, client)
    return ActionItem.objects.create(
        session=session,
        coach=coach,
        client=client,
        title=title,
        due_on=kw.pop("due_on", timezone.localdate() + timedelta(days=3)),
        **kw,
    )


def notices(kind: str | None = None) -> list[dict[str, Any]]:
    """The notices waiting in the outbox, oldest first (their payloads)."""
    rows = OutboxMessage.objects.filter(channel="notice").order_by("pk")
    payloads = [row.payload for row in rows]
    return [p for p in payloads if kind is None or p["kind"] == kind]

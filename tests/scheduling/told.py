"""What a person is told: their notices (``loom.core.notices``) and the emails those and
the receipts of their own acts carry, read from the outbox before anything is sent.

A notice is an outbox row on the ``notice`` channel addressed to the person's id, with
the email it would send (``payload["email"]``); a receipt is an ``email`` row addressed
to their address. Whether the email of a notice goes out is the dispatcher's decision
(tested in tests/notifications and by the end-to-end tests here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loom.accounts.models import User
from loom.core.models import OutboxMessage
from loom.core.notices import CHANNEL as NOTICE_CHANNEL


@dataclass
class Told:
    """One email for a person: ``payload`` is the email, ``notice`` the notice it came
    with (None for a receipt sent straight as email)."""

    row: OutboxMessage
    payload: dict[str, Any]
    notice: dict[str, Any] | None

    @property
    def source(self) -> str:
        if self.notice is not None:
            return str(self.notice["source"])
        return str(self.row.dedupe_key)


def notices_to(user: User, *, kind: str | None = None) -> list[dict[str, Any]]:
    """The notice payloads queued for ``user``, oldest first."""
    rows = OutboxMessage.objects.filter(channel=NOTICE_CHANNEL, recipient=str(user.pk))
    notices = [row.payload for row in rows.order_by("id")]
    return [notice for notice in notices if kind is None or notice["kind"] == kind]


def emails_to(user: User) -> list[Told]:
    """Every email queued for ``user`` (receipts and notices' emails), oldest first."""
    rows = OutboxMessage.objects.filter(
        channel="email", recipient=user.email
    ) | OutboxMessage.objects.filter(channel=NOTICE_CHANNEL, recipient=str(user.pk))
    told = []
    for row in rows.order_by("id"):
        if row.channel == NOTICE_CHANNEL:
            if row.payload.get("email"):
                told.append(Told(row=row, payload=row.payload["email"], notice=row.payload))
        else:
            told.append(Told(row=row, payload=row.payload, notice=None))
    return told

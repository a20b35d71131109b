"""``loom notifications_digest [--loop]``: send the hourly and daily email summaries.

Each person's pending summary items of one category go out as one email per period
(see ``loom.notifications.digest``); the email is queued on the outbox, which sends it.
Several copies may run at once: a period's email has a dedupe key and items are
locked while they are summarised. ``scripts/serve-demo.sh`` starts one with ``--loop``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loom.core.loop_command import LoopCommand
from loom.notifications.digest import digests_next_due_at, digests_send


class Command(LoopCommand):
    help = "Send the hourly and daily notification summaries that are due."
    default_interval = 60.0

    def run_once(self, options: dict[str, Any]) -> str | None:
        result = digests_send()
        if result.emails or result.dropped or not options["loop"]:
            return (
                f"Summaries: {result.emails} email(s) with {result.items} item(s); "
                f"{result.dropped} item(s) dropped."
            )
        return None

    def next_due_at(self) -> datetime | None:
        return digests_next_due_at()

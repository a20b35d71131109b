"""``loom reminders_dispatch [--loop]``: queue the session reminders that are due.

Each due reminder is locked (``SKIP LOCKED``), its email, text message or in-app
notice queued on the outbox and the reminder marked sent, in one transaction; the
outbox worker (``db_worker``, with ``outbox_drain --loop`` as its safety net) then
delivers it. Several copies may run at once. ``scripts/serve-demo.sh`` starts one
with ``--loop``; see docs/scheduling.md (Reminders) and docs/runbooks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandParser

from loom.core.loop_command import LoopCommand
from loom.scheduling.reminders import reminders_dispatch, reminders_next_due_at


class Command(LoopCommand):
    help = "Queue the session reminders that are due (once, or continuously with --loop)."
    default_interval = 30.0

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--batch-size", type=int, default=100, help="Reminders looked at per batch."
        )

    def run_once(self, options: dict[str, Any]) -> str | None:
        result = reminders_dispatch(batch_size=max(1, options["batch_size"]))
        if result.sent or result.skipped or result.failed or not options["loop"]:
            return (
                f"Reminders: sent {result.sent}, skipped {result.skipped}, failed {result.failed}."
            )
        return None

    def next_due_at(self) -> datetime | None:
        return reminders_next_due_at()

"""``loom reminders_dispatch [--loop]``: queue the session reminders that are due.

Each due reminder is locked (``SKIP LOCKED``), its email, text message or in-app
notice queued on the outbox and the reminder marked sent, in one transaction; the
outbox worker (``db_worker``, with ``outbox_drain --loop`` as its safety net) then
delivers it. Several copies may run at once. ``scripts/serve-demo.sh`` starts one
with ``--loop``; see docs/scheduling.md (Reminders) and docs/runbooks.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from loom.scheduling.reminders import reminders_dispatch, reminders_next_due_at


class Command(BaseCommand):
    help = "Queue the session reminders that are due (once, or continuously with --loop)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep going until stopped.")
        parser.add_argument(
            "--interval",
            type=float,
            default=30.0,
            help="Longest pause between rounds in --loop mode, in seconds (default 30).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=100, help="Reminders looked at per batch."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if options["loop"]:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
        while True:
            result = reminders_dispatch(batch_size=max(1, options["batch_size"]))
            if result.sent or result.skipped or result.failed or not options["loop"]:
                self.stdout.write(
                    f"Reminders: sent {result.sent}, skipped {result.skipped}, "
                    f"failed {result.failed}."
                )
            if not options["loop"]:
                return
            close_old_connections()
            if stop.wait(self._pause(options["interval"])):
                return

    @staticmethod
    def _pause(interval: float) -> float:
        next_due = reminders_next_due_at()
        if next_due is None:
            return interval
        return max(0.0, min(interval, (next_due - timezone.now()).total_seconds()))

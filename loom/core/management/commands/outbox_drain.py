"""``loom outbox_drain [--loop]``: deliver due outbox messages now, or keep doing so.

The task worker is nudged after every commit and retries book their own deferred
drain, so this command is the operator's tool: run it once to flush the outbox, or
with ``--loop`` next to the worker as a safety net that also picks up messages whose
worker died mid-send (their lease runs out) and anything a lost nudge left behind.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from loom.core.context import system_context
from loom.core.outbox import outbox_drain, outbox_next_due_at


class Command(BaseCommand):
    help = "Deliver the outbox messages that are due (once, or continuously with --loop)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep draining until stopped.")
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="Longest pause between drains in --loop mode, in seconds (default 5).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=50, help="Messages claimed at a time."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if options["loop"]:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
        while True:
            with system_context():
                result = outbox_drain(batch_size=options["batch_size"])
            if result.sent or result.retrying or result.dead or not options["loop"]:
                self.stdout.write(
                    f"Outbox: sent {result.sent}, retrying {result.retrying}, dead {result.dead}."
                )
            if not options["loop"]:
                return
            close_old_connections()
            if stop.wait(self._pause(options["interval"])):
                return

    @staticmethod
    def _pause(interval: float) -> float:
        next_due = outbox_next_due_at()
        if next_due is None:
            return interval
        return max(0.0, min(interval, (next_due - timezone.now()).total_seconds()))

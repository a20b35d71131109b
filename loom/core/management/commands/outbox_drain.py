"""``loom outbox_drain [--loop]``: deliver due outbox messages now, or keep doing so.

The task worker is nudged after every commit and retries book their own deferred
drain, so this command is the operator's tool: run it once to flush the outbox, or
with ``--loop`` next to the worker as a safety net that also picks up messages whose
worker died mid-send (their lease runs out) and anything a lost nudge left behind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandParser

from loom.core.context import system_context
from loom.core.loop_command import LoopCommand
from loom.core.outbox import outbox_drain, outbox_next_due_at


class Command(LoopCommand):
    help = "Deliver the outbox messages that are due (once, or continuously with --loop)."
    default_interval = 5.0

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--batch-size", type=int, default=50, help="Messages claimed at a time."
        )

    def run_once(self, options: dict[str, Any]) -> str | None:
        with system_context():
            result = outbox_drain(batch_size=options["batch_size"])
        if result.sent or result.retrying or result.dead or not options["loop"]:
            return f"Outbox: sent {result.sent}, retrying {result.retrying}, dead {result.dead}."
        return None

    def next_due_at(self) -> datetime | None:
        return outbox_next_due_at()

"""``loom analytics_flush [--loop]``: move buffered product events from Redis into the database.

Every 2 s in ``--loop`` mode (``scripts/serve-demo.sh`` runs it). Exactly-once: see
``loom.analytics.events.events_flush``. With the database buffer there is nothing to
move and each round is a no-op. Safe to run in several processes (they take turns).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from loom.analytics.events import buffer_kind, events_flush
from loom.core.loop_command import LoopCommand


class Command(LoopCommand):
    help = "Write buffered product events to the database (once, or with --loop)."
    default_interval = 2.0

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--batch", type=int, default=5000, help="Events per batch (default 5000)."
        )

    def run_once(self, options: dict[str, Any]) -> str | None:
        if buffer_kind() != "redis":
            return None if options["loop"] else "Product events: no Redis buffer, nothing to flush."
        written = events_flush(batch=max(int(options["batch"]), 1))
        if written or not options["loop"]:
            return f"Product events: {written} written."
        return None

"""``loom stream_prune [--loop]``: delete realtime events older than the retention period.

Streams are a replay buffer, not an archive (the messages themselves live in their own
tables): a socket that comes back after longer than ``LOOM_REALTIME_RETENTION_DAYS``
is told to resync and refetches its screen. Safe to run in several processes.
"""

from __future__ import annotations

from typing import Any

from loom.core.loop_command import LoopCommand
from loom.core.realtime import events_prune


class Command(LoopCommand):
    help = "Delete realtime events past their retention period (once, or with --loop)."
    default_interval = 3600.0

    def run_once(self, options: dict[str, Any]) -> str | None:
        deleted = events_prune()
        if deleted or not options["loop"]:
            return f"Realtime streams: {deleted} old event(s) deleted."
        return None

"""``loom analytics_exports_prune [--loop]``: delete expired exports, stop lost ones.

Deletes ready exports past their ``expires_at`` (the file after the row's deletion
commits) and failed ones older than ``ANALYTICS_EXPORT_RETENTION_HOURS``, and marks as
failed the exports stuck queued or running for over an hour (their worker died), so
they stop counting against their requester's limit (``loom.analytics.exports``). Run
it once, or with ``--loop`` next to the worker. Safe to run twice or in two processes
at once: each deletion matches only rows that still exist.
"""

from __future__ import annotations

from typing import Any

from loom.analytics.exports import export_prune
from loom.core.context import system_context
from loom.core.loop_command import LoopCommand


class Command(LoopCommand):
    help = "Delete expired analytics exports and stop lost ones (once, or with --loop)."
    default_interval = 300.0

    def run_once(self, options: dict[str, Any]) -> str | None:
        # Every person's exports: the system's work, not anyone's request.
        with system_context():
            pruned = export_prune()
        if pruned.expired or pruned.failed or pruned.stale or not options["loop"]:
            return pruned.as_line()
        return None

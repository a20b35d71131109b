"""``loom analytics_rollup [--loop] [--full]``: the analytics rollups, every 5 minutes.

Each round runs, in order, the daily activity rollup (``activity``), the KPI rollup
(``kpis``, which reads the activity) and, once a day, the event retention prune
(``events_prune``). Each job writes a ``RollupRun`` (duration, rows, ok or the error).
A failing job does not keep the others from running; the round then fails with the
first error (the loop's heartbeat shows it, and the process exits for its supervisor).
``--full`` rebuilds the activity table and recomputes every KPI period.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from loom.analytics.activity import activity_rebuild, activity_rollup
from loom.analytics.events import events_prune
from loom.analytics.models import RollupRun
from loom.analytics.rollup import RollupResult, record_run
from loom.core.loop_command import LoopCommand

PRUNE_EVERY = timedelta(days=1)


def prune_due(now: datetime) -> bool:
    """Whether a day has passed since the last successful prune."""
    return not RollupRun.objects.filter(
        job="events_prune", ok=True, started_at__gt=now - PRUNE_EVERY
    ).exists()


def _prune(now: datetime) -> RollupResult:
    # The rows a prune "writes" are the events it deletes.
    return RollupResult(rows_written=events_prune(now=now))


class Command(LoopCommand):
    help = "Roll up daily activity and KPIs, and prune old events daily (once, or with --loop)."
    default_interval = 300.0

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--full",
            action="store_true",
            help="Rebuild daily activity from all events and recompute every KPI period.",
        )

    def run_once(self, options: dict[str, Any]) -> str | None:
        # Imported here: the KPI module is large and only this command needs it.
        from loom.analytics.kpis import kpi_rollup

        now = timezone.now()
        full = bool(options.get("full"))
        jobs: list[tuple[str, Any]] = [
            (
                "activity",
                (lambda: activity_rebuild(now=now)) if full else (lambda: activity_rollup(now=now)),
            ),
            ("kpis", lambda: kpi_rollup(now=now, full=full)),
        ]
        if prune_due(now):
            jobs.append(("events_prune", lambda: _prune(now)))
        parts = []
        first_error: Exception | None = None
        for job, fn in jobs:
            try:
                result = record_run(job, fn)
            except Exception as exc:
                first_error = first_error or exc
                parts.append(f"{job} failed ({type(exc).__name__})")
                continue
            parts.append(f"{job} {result.events_read} read, {result.rows_written} written")
        if first_error is not None:
            self.stderr.write("Analytics rollup: " + "; ".join(parts) + ".")
            raise first_error
        return "Analytics rollup: " + "; ".join(parts) + "."

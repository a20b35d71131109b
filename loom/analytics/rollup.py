"""What a rollup job reports, and the bookkeeping every job shares.

Each job (the daily activity rollup, the KPI rollup, the event prune) returns a
``RollupResult``; ``record_run`` times the job and writes one ``RollupRun`` row for the
operations dashboard and ``make bench``, whether the job succeeds or fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from loom.analytics.models import RollupRun
from loom.core.context import system_context

# RollupRun.error is a short column: a type and the start of the message is enough to
# find the traceback in the logs.
_ERROR_LENGTH = 200
# RollupRun counters are PositiveIntegerField (PostgreSQL integer).
_COUNTER_MAX = 2**31 - 1


@dataclass(frozen=True, slots=True)
class RollupResult:
    """How much one run of a job did: events it read, rows it wrote, periods (days,
    weeks, months) it recomputed."""

    events_read: int = 0
    rows_written: int = 0
    periods: int = 0

    @property
    def days(self) -> int:
        """The daily jobs' name for ``periods``."""
        return self.periods


def record_run[R: RollupResult](job: str, fn: Callable[[], R]) -> R:
    """Run ``fn`` and record a ``RollupRun`` for ``job`` with its duration and counts.

    An exception is recorded (``ok=False`` and its type and message) and re-raised, so
    a loop's heartbeat also shows the failure. The row is written in the system
    context, after ``fn`` has finished (and committed or rolled back its own work), so a
    failed job still leaves its trace.
    """
    started_at = timezone.now()
    start = time.perf_counter()
    try:
        result = fn()
    except Exception as exc:
        _write_run(
            job=job,
            started_at=started_at,
            start=start,
            result=RollupResult(),
            error=f"{type(exc).__name__}: {exc}",
        )
        raise
    _write_run(job=job, started_at=started_at, start=start, result=result, error="")
    return result


def _write_run(
    *,
    job: str,
    started_at: datetime,
    start: float,
    result: RollupResult,
    error: str,
) -> None:
    duration_ms = int((time.perf_counter() - start) * 1000)
    with system_context():
        RollupRun.objects.create(
            job=job[:48],
            started_at=started_at,
            duration_ms=min(duration_ms, _COUNTER_MAX),
            events_read=min(max(result.events_read, 0), _COUNTER_MAX),
            rows_written=min(max(result.rows_written, 0), _COUNTER_MAX),
            ok=not error,
            error=error[:_ERROR_LENGTH],
        )

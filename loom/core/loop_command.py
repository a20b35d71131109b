"""A management command that does one round of work, once or over and over (``--loop``).

The outbox sweeper, the reminders dispatcher and the waitlist job share this: the
signal handling (SIGINT/SIGTERM end the loop after the current round), closing stale
database connections between rounds, and a pause that ends early when the next piece
of work falls due.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from abc import ABCMeta, abstractmethod
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone


class LoopCommand(BaseCommand, metaclass=ABCMeta):
    """Subclasses set ``default_interval`` and implement ``run_once``."""

    default_interval = 30.0

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep going until stopped.")
        parser.add_argument(
            "--interval",
            type=float,
            default=self.default_interval,
            help=f"Longest pause between rounds in --loop mode, in seconds "
            f"(default {self.default_interval:g}).",
        )

    @abstractmethod
    def run_once(self, options: dict[str, Any]) -> str | None:
        """Do one round; return a line to print, or ``None`` for nothing to say."""

    def next_due_at(self) -> datetime | None:
        """When the next piece of work falls due, if known (the pause ends then)."""
        return None

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if options["loop"]:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
        while True:
            try:
                line = self.run_once(options)
            except Exception as exc:
                if options["loop"]:
                    self._beat_failed(options, f"{type(exc).__name__}")
                raise
            if line:
                self.stdout.write(line)
            if not options["loop"]:
                return
            self._beat(options, line or "", failed=False)
            close_old_connections()
            try:
                # next_due_at() queries the database as well: its failure ends the loop too.
                pause = self._pause(max(float(options["interval"]), 0.1))
            except Exception as exc:
                self._beat_failed(options, f"{type(exc).__name__}")
                raise
            if stop.wait(pause):
                return

    def _beat_failed(self, options: dict[str, Any], line: str) -> None:
        """Record the failed round before the process exits. A round often fails because
        its database connection broke (PostgreSQL restarted); the heartbeat then needs a
        fresh connection, or the dashboard would go on showing the last good round."""
        if self._beat(options, line, failed=True):
            return
        close_old_connections()
        if connection.connection is not None and not connection.in_atomic_block:
            # close_old_connections keeps a connection it cannot see is broken.
            connection.close()
        self._beat(options, line, failed=True)

    def _beat(self, options: dict[str, Any], line: str, *, failed: bool) -> bool:
        """Record this round for the operations dashboard (worker health); whether it
        was written."""
        from loom.core.models import WorkerHeartbeat

        try:
            WorkerHeartbeat.objects.update_or_create(
                name=self.__module__.rsplit(".", 1)[-1],
                defaults={
                    "beat_at": timezone.now(),
                    "host": socket.gethostname()[:255],
                    "pid": os.getpid(),
                    "interval_seconds": float(options["interval"]),
                    "last_line": line[:200],
                    "failed": failed,
                },
            )
        except DatabaseError:
            # A heartbeat is advice for a dashboard: it must never stop the loop's work.
            close_old_connections()
            return False
        return True

    def _pause(self, interval: float) -> float:
        next_due = self.next_due_at()
        if next_due is None:
            return interval
        return max(0.0, min(interval, (next_due - timezone.now()).total_seconds()))

"""``loom waitlist_expire [--loop]``: expire waitlist offers not accepted in time.

An offered seat is held until the offer's ``offer_expires_at``; this job marks the
offers past that time ``expired`` and offers each seat to the next person waiting
(``group_services.waitlist_expire_offers``). Run it once, or with ``--loop`` next to
the worker. Safe to run twice or in two processes at once: each session is handled
under its row lock and an offer already expired no longer matches.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from loom.scheduling.group_services import waitlist_expire_offers


class Command(BaseCommand):
    help = "Expire waitlist offers that were not accepted in time (once, or with --loop)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep checking until stopped.")
        parser.add_argument(
            "--interval",
            type=float,
            default=60.0,
            help="Pause between checks in --loop mode, in seconds (default 60).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if options["loop"]:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
        while True:
            expired = waitlist_expire_offers()
            if expired or not options["loop"]:
                self.stdout.write(f"Waitlist: {expired} offer(s) expired.")
            if not options["loop"]:
                return
            close_old_connections()
            if stop.wait(max(float(options["interval"]), 1.0)):
                return

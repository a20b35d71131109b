"""``loom waitlist_expire [--loop]``: expire waitlist offers not accepted in time.

An offered seat is held until the offer's ``offer_expires_at``; this job marks the
offers past that time ``expired`` and offers each seat to the next person waiting
(``group_services.waitlist_expire_offers``). Run it once, or with ``--loop`` next to
the worker. Safe to run twice or in two processes at once: each session is handled
under its row lock and an offer already expired no longer matches.
"""

from __future__ import annotations

from typing import Any

from loom.core.loop_command import LoopCommand
from loom.scheduling.group_services import waitlist_expire_offers


class Command(LoopCommand):
    help = "Expire waitlist offers that were not accepted in time (once, or with --loop)."
    default_interval = 60.0

    def run_once(self, options: dict[str, Any]) -> str | None:
        expired = waitlist_expire_offers()
        if expired or not options["loop"]:
            return f"Waitlist: {expired} offer(s) expired."
        return None

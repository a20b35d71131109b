"""``loom load_demo_schedule``: the demo coaches' session types, hours and sessions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from loom.scheduling.demo import load_demo_schedule


class Command(BaseCommand):
    help = "Load demo session types, availability and sessions for the demo coaches (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even when neither DEBUG nor LOOM_DEMO_MODE is on.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or settings.LOOM_DEMO_MODE or options["force"]):
            raise CommandError(
                "Refusing to load demo data: turn on LOOM_DEMO_MODE or pass --force."
            )
        created = load_demo_schedule()
        if created:
            self.stdout.write(
                self.style.SUCCESS(f"Demo schedule loaded: {created} sessions added.")
            )
        else:
            self.stdout.write("Demo schedule already present; nothing changed.")

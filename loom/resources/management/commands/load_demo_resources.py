"""``loom load_demo_resources``: the demo coaches' resource libraries."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from loom.resources.demo import demo_coaches_present, load_demo_resources


class Command(BaseCommand):
    help = "Load demo resource libraries, collections, shares and progress (idempotent)."

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
        if not demo_coaches_present():
            raise CommandError("No demo coaches yet: run `loom load_demo_data` first.")
        created = load_demo_resources()
        if created:
            self.stdout.write(
                self.style.SUCCESS(f"Demo resources loaded: {created} resources added.")
            )
        else:
            self.stdout.write("Demo resources already present; nothing changed.")

"""``loom vapid_keys``: print a new VAPID key pair for Web Push, as environment lines."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from loom.notifications.push import generate_vapid_keys


class Command(BaseCommand):
    help = (
        "Print a new VAPID key pair (P-256, base64url) as LOOM_VAPID_PUBLIC_KEY= and "
        "LOOM_VAPID_PRIVATE_KEY= lines for the environment. Changing keys later makes "
        "every device turn push on again."
    )
    # A fresh deployment has no keys yet: no database or checks needed.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def handle(self, *args: Any, **options: Any) -> None:
        public, private = generate_vapid_keys()
        self.stdout.write(f"LOOM_VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"LOOM_VAPID_PRIVATE_KEY={private}")

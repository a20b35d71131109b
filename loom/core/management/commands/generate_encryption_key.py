"""``loom generate_encryption_key``: print a new key for ``FIELD_ENCRYPTION_KEYS``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from loom.core.crypto import generate_key


class Command(BaseCommand):
    help = (
        "Print a new random key for FIELD_ENCRYPTION_KEYS (url-safe base64, 32 bytes). "
        "Put it first in the list and run rotate_encryption_keys to roll it out."
    )
    # Needs neither a database nor valid settings: a fresh deployment has no key yet.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def handle(self, *args: Any, **options: Any) -> None:
        # Only the key on stdout, so `KEY=$(loom generate_encryption_key)` works.
        self.stdout.write(generate_key())

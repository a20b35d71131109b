"""``loom rotate_encryption_keys``: re-encrypt every stored secret under the first key.

Run it after putting a new key first in ``FIELD_ENCRYPTION_KEYS`` (every process must
already have the new list), and before removing the old key. ``--check`` changes
nothing and exits non-zero while any value is not yet under the first key. See
docs/runbooks/rotate-encryption-keys.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from loom.core.context import system_context
from loom.core.key_rotation import encryption_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value (EncryptedTextField columns, registered JSON "
        "secrets such as MFA keys, and registered encrypted files such as journal audio) "
        "under the first key of FIELD_ENCRYPTION_KEYS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Rows read, locked and rewritten per transaction (default 500).",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; exit non-zero if any value is not under the first key yet.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        check = options["check"]
        # The rows belong to every user: row-level security must let the system see them.
        with system_context():
            reports = encryption_keys_rotate(batch_size=batch_size, dry_run=check)

        verb = "to re-encrypt" if check else "re-encrypted"
        for report in reports:
            line = f"{report.label}: {report.rotated} {verb}, {report.current} already current"
            if report.unreadable:
                line += f", {report.unreadable} UNREADABLE (ids: {report.unreadable_ids})"
            self.stdout.write(line)
        rotated = sum(report.rotated for report in reports)
        current = sum(report.current for report in reports)
        unreadable = sum(report.unreadable for report in reports)
        self.stdout.write(
            f"Total: {rotated} {verb}, {current} already current, {unreadable} unreadable."
        )
        if unreadable:
            raise CommandError(
                f"{unreadable} value(s) could not be decrypted with any key in "
                "FIELD_ENCRYPTION_KEYS and were left unchanged. Do not remove any key until "
                "they are restored or cleared (see docs/runbooks/rotate-encryption-keys.md)."
            )
        if check and rotated:
            raise CommandError(
                f"{rotated} value(s) are not under the first key yet; "
                "run `loom rotate_encryption_keys`."
            )

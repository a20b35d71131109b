"""Model fields that encrypt at rest (see ``loom.core.crypto``)."""

from __future__ import annotations

from typing import Any

from django.db import models

from loom.core.crypto import DecryptionError, decrypt_text, encrypt_text


class EncryptedTextField(models.TextField):
    """A text column stored as an authenticated ciphertext.

    Values cannot be filtered or searched in SQL; that is the point. Empty strings
    are stored empty so "no note" does not need a key. Every field of this class in
    an installed model is found and re-encrypted by ``loom rotate_encryption_keys``.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        try:
            return decrypt_text(value)
        except DecryptionError as exc:
            # Name the column: "could not be decrypted" alone sends people hunting.
            model = getattr(self, "model", None)
            where = f"{model._meta.label}.{self.name}" if model is not None else str(self.name)
            raise DecryptionError(f"{where}: {exc}") from exc

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(str(value))

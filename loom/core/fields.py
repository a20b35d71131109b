"""Model fields that encrypt at rest (see ``loom.core.crypto``)."""

from __future__ import annotations

from typing import Any

from django.db import models

from loom.core.crypto import decrypt_text, encrypt_text


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text column stored as an authenticated ciphertext.

    Values cannot be filtered or searched in SQL; that is the point. Empty strings
    are stored empty so "no note" does not need a key.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(str(value))

"""Authenticated encryption for sensitive text, with key rotation.

Keys come from ``FIELD_ENCRYPTION_KEYS`` (url-safe base64, 32 bytes each; make one
with ``loom generate_encryption_key``). The first key encrypts; every key decrypts.
A new key is rolled out by putting it first, running ``loom rotate_encryption_keys``
(which re-encrypts every stored value under it), and only then removing the old one.
See docs/runbooks/rotate-encryption-keys.md.

Stored values are ``enc1:`` followed by a Fernet token (AES-128-CBC with an
HMAC-SHA256 over the version, timestamp, IV and ciphertext), so a value that was
changed, truncated or written under a key no longer configured fails loudly instead
of decrypting to garbage.
"""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1:"


class DecryptionError(ValueError):
    """A stored value cannot be read: not ours, tampered with, or under an unknown key."""


@functools.cache
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is empty; generate one with `loom generate_encryption_key`."
        )
    try:
        each = [Fernet(key.encode()) for key in keys]
    except ValueError as exc:
        # The message names no key: settings errors end up in logs.
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS holds an invalid key: {exc}") from exc
    return MultiFernet(each), each[0]


def _keys() -> tuple[str, ...]:
    return tuple(settings.FIELD_ENCRYPTION_KEYS)


def fernet() -> MultiFernet:
    """Every configured key: encrypts with the first, decrypts with any."""
    return _fernets(_keys())[0]


def _token(stored: str) -> bytes:
    if not stored.startswith(PREFIX):
        raise DecryptionError("Stored value is not an encrypted Loom field.")
    try:
        return stored[len(PREFIX) :].encode("ascii")
    except UnicodeEncodeError as exc:
        raise DecryptionError("Stored value is not a valid encrypted Loom field.") from exc


def encrypt_text(plaintext: str) -> str:
    return PREFIX + fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt_text(stored: str) -> str:
    """The plaintext of ``stored``; ``DecryptionError`` if no configured key opens it."""
    try:
        return fernet().decrypt(_token(stored)).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError(
            "Encrypted value could not be decrypted with any key in FIELD_ENCRYPTION_KEYS: "
            "it was altered, or written under a key that has since been removed."
        ) from exc


def is_current(stored: str) -> bool:
    """True when ``stored`` is already encrypted under the first (current) key."""
    try:
        _fernets(_keys())[1].decrypt(_token(stored))
    except InvalidToken:
        return False
    return True


def rotate_text(stored: str) -> str:
    """Re-encrypt ``stored`` under the first (current) key.

    Raises ``DecryptionError`` when no configured key opens it; the value is then
    left as it is by the caller and must be dealt with before an old key is dropped.
    """
    try:
        return PREFIX + fernet().rotate(_token(stored)).decode("ascii")
    except InvalidToken as exc:
        raise DecryptionError(
            "Encrypted value could not be re-encrypted: no key in FIELD_ENCRYPTION_KEYS opens it."
        ) from exc


# Encrypted files (journal audio notes) start with this marker, then the Fernet token.
FILE_PREFIX = b"loomenc1:"


def encrypt_bytes(plaintext: bytes) -> bytes:
    """Ciphertext for a file's content (kept whole in memory: files here are small)."""
    return FILE_PREFIX + fernet().encrypt(plaintext)


def decrypt_bytes(stored: bytes) -> bytes:
    """The plaintext of an ``encrypt_bytes`` result; ``DecryptionError`` otherwise."""
    if not stored.startswith(FILE_PREFIX):
        raise DecryptionError("Stored file is not an encrypted Loom file.")
    try:
        return fernet().decrypt(stored[len(FILE_PREFIX) :])
    except InvalidToken as exc:
        raise DecryptionError(
            "Encrypted file could not be decrypted with any key in FIELD_ENCRYPTION_KEYS."
        ) from exc


def rotate_bytes(stored: bytes) -> bytes:
    """Re-encrypt an ``encrypt_bytes`` result under the current key."""
    if not stored.startswith(FILE_PREFIX):
        raise DecryptionError("Stored file is not an encrypted Loom file.")
    try:
        return FILE_PREFIX + fernet().rotate(stored[len(FILE_PREFIX) :])
    except InvalidToken as exc:
        raise DecryptionError("Encrypted file could not be re-encrypted: no key opens it.") from exc


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")

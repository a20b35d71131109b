"""Key rotation re-encrypts registered encrypted files (journal audio) too."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import override_settings

from loom.core.context import system_context
from loom.core.crypto import DecryptionError, decrypt_bytes, encrypt_bytes, generate_key
from loom.core.key_rotation import encrypted_file_locations, encryption_keys_rotate
from loom.journal.models import Entry

pytestmark = pytest.mark.django_db(transaction=True)

VOICE = b"RIFF....WAVE my private voice note"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _entry_with_audio(author: Any) -> Entry:
    entry = Entry(author=author, written_on=dt.date(2026, 11, 1), body="hello")
    entry.audio.save("x.bin", ContentFile(encrypt_bytes(VOICE)), save=False)
    entry.save()
    return entry


def _stored(entry: Entry) -> bytes:
    with system_context():
        entry.refresh_from_db(fields=["audio"])
    with entry.audio.open("rb") as handle:
        return bytes(handle.read())


def test_journal_audio_is_registered() -> None:
    assert ("journal.Entry", "audio") in encrypted_file_locations()


def test_old_key_rotate_then_only_the_new_key_opens_the_file(
    world: Any, media: Path, settings: Any
) -> None:
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = generate_key()
    with system_context():
        entry = _entry_with_audio(world.noa)
    old_name = entry.audio.name
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, old_key]):
        out = StringIO()
        with system_context():
            call_command("rotate_encryption_keys", stdout=out)
        assert "journal.Entry.audio (files): 1 re-encrypted" in out.getvalue()
        # A second run has nothing left to do.
        with system_context():
            again = {r.label: r for r in encryption_keys_rotate()}
        assert again["journal.Entry.audio (files)"].rotated == 0
        assert again["journal.Entry.audio (files)"].current == 1
    stored = _stored(entry)
    assert entry.audio.name != old_name
    assert not (media / old_name).exists(), "the old file is removed after commit"
    assert VOICE not in stored
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        assert decrypt_bytes(stored) == VOICE
    with override_settings(FIELD_ENCRYPTION_KEYS=[old_key]), pytest.raises(DecryptionError):
        decrypt_bytes(stored)


def test_dry_run_changes_no_file(world: Any, media: Path, settings: Any) -> None:
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    with system_context():
        entry = _entry_with_audio(world.noa)
    before = _stored(entry)
    with override_settings(FIELD_ENCRYPTION_KEYS=[generate_key(), old_key]), system_context():
        reports = {r.label: r for r in encryption_keys_rotate(dry_run=True)}
    assert reports["journal.Entry.audio (files)"].rotated == 1
    assert _stored(entry) == before


def test_missing_or_foreign_files_are_reported_unreadable(world: Any, media: Path) -> None:
    with system_context():
        entry = _entry_with_audio(world.noa)
        (media / entry.audio.name).write_bytes(b"not encrypted at all")
        reports = {r.label: r for r in encryption_keys_rotate()}
    report = reports["journal.Entry.audio (files)"]
    assert report.unreadable == 1
    assert report.unreadable_ids == [entry.pk]

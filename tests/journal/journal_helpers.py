"""Helpers of the journal tests: audio files, entries at chosen instants."""

from __future__ import annotations

import io
import wave
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from loom.accounts.models import User
from loom.journal import services
from loom.journal.models import Entry


def wav_bytes(frames: int = 800) -> bytes:
    """A short, valid WAV file (silence with a recognisable pattern)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(range(256)) * (frames * 2 // 256 + 1))
    return buffer.getvalue()


def wav_upload(name: str = "note.wav", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else wav_bytes(), "audio/wav")


def entry(author: User, **fields: Any) -> Entry:
    """An entry written through the service (every rule applies)."""
    fields.setdefault("body", "Noticed my breath.")
    return services.entry_create(author=author, **fields).entry


def entry_on(author: User, day: date, **fields: Any) -> Entry:
    return entry(author, written_on=day, **fields)


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path

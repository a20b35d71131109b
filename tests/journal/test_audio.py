"""Audio notes: checked by content, encrypted at rest, served decrypted with ranges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from loom.journal import services
from loom.journal.models import AUDIO_MAX_BYTES, Entry
from tests.conftest import signed_in
from tests.journal.journal_helpers import media, wav_bytes, wav_upload  # noqa: F401
from tests.world import World

pytestmark = pytest.mark.usefixtures("media")


def _stored(entry: Entry) -> bytes:
    with default_storage.open(str(entry.audio.name), "rb") as handle:
        return handle.read()


def test_audio_is_stored_encrypted_and_served_plain(world: World) -> None:
    plain = wav_bytes()
    saved = services.entry_create(author=world.avi, audio=wav_upload(data=plain)).entry
    stored = _stored(saved)
    assert stored.startswith(b"loomenc1:") and plain not in stored and b"RIFF" not in stored
    assert saved.audio_content_type == "audio/wav" and saved.audio_size == len(plain)
    assert "note" not in str(saved.audio.name)  # the client's file name is not kept
    response = signed_in(world.avi).get(f"/journal/{saved.pk}/audio/")
    assert response.status_code == 200 and response.content == plain
    assert response["Content-Type"] == "audio/wav"
    assert (
        "no-store" in response["Cache-Control"] and response["X-Content-Type-Options"] == "nosniff"
    )


def test_byte_ranges(world: World) -> None:
    plain = wav_bytes()
    saved = services.entry_create(author=world.avi, audio=wav_upload(data=plain)).entry
    browser = signed_in(world.avi)
    part = browser.get(f"/journal/{saved.pk}/audio/", HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206 and part.content == plain[10:20]
    assert part["Content-Range"] == f"bytes 10-19/{len(plain)}"
    beyond = browser.get(f"/journal/{saved.pk}/audio/", HTTP_RANGE=f"bytes={len(plain) + 5}-")
    assert beyond.status_code == 416


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("note.wav", b"%PDF-1.4 not audio"),
        ("note.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
        ("note.wav", b"<script>alert(1)</script>"),
        ("note.mp3", b"MZ\x90\x00 a program"),
        ("note.wav", b""),
    ],
)
def test_non_audio_is_refused_and_nothing_is_stored(
    world: World, settings: Any, name: str, data: bytes
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.entry_create(author=world.avi, body="text", audio=SimpleUploadedFile(name, data))
    assert "audio" in caught.value.message_dict
    assert not Entry.objects.exists()
    assert not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob("*"))


def test_extension_must_match(world: World) -> None:
    with pytest.raises(ValidationError):
        services.entry_create(author=world.avi, audio=wav_upload(name="note.mp3"))


def test_oversized_audio_is_refused(world: World) -> None:
    big = SimpleUploadedFile("big.wav", wav_bytes()[:44] + b"\0" * (AUDIO_MAX_BYTES + 1))
    with pytest.raises(ValidationError):
        services.entry_create(author=world.avi, audio=big)
    assert not Entry.objects.exists()


def test_audio_only_entry_is_allowed(world: World) -> None:
    saved = services.entry_create(author=world.avi, audio=wav_upload()).entry
    assert saved.audio and not saved.body


def test_replace_and_remove_delete_old_files_after_commit(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    saved = services.entry_create(author=world.avi, body="x", audio=wav_upload()).entry
    first = str(saved.audio.name)
    with django_capture_on_commit_callbacks(execute=True):
        replaced = services.entry_update(
            author=world.avi, entry_id=saved.pk, audio=wav_upload()
        ).entry
    assert not default_storage.exists(first)
    second = str(replaced.audio.name)
    assert second != first and default_storage.exists(second)
    with django_capture_on_commit_callbacks(execute=True):
        services.entry_update(author=world.avi, entry_id=saved.pk, remove_audio=True)
    saved.refresh_from_db()
    assert not saved.audio and saved.audio_size == 0
    assert not default_storage.exists(second)


def test_delete_removes_the_audio_file(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    saved = services.entry_create(author=world.avi, audio=wav_upload()).entry
    name = str(saved.audio.name)
    with django_capture_on_commit_callbacks(execute=True):
        services.entry_delete(author=world.avi, entry_id=saved.pk)
    assert not default_storage.exists(name)


def test_upload_through_the_page(world: World) -> None:
    browser = signed_in(world.avi)
    response = browser.post(
        "/journal/new/",
        {"title": "Voice", "body": "", "prompt": "", "written_on": "", "audio": wav_upload()},
    )
    assert response.status_code == 302
    saved = Entry.objects.get()
    page = browser.get(f"/journal/{saved.pk}/").content.decode()
    assert f'src="/journal/{saved.pk}/audio/"' in page and "<audio controls" in page
    refused = browser.post(
        "/journal/new/",
        {"title": "Bad", "prompt": "", "audio": SimpleUploadedFile("x.wav", b"%PDF-1.4")},
    )
    assert refused.status_code == 400 and Entry.objects.count() == 1


def test_other_people_cannot_fetch_the_audio(world: World) -> None:
    saved = services.entry_create(author=world.avi, audio=wav_upload()).entry
    for person in (world.noa, world.maya):
        assert signed_in(person).get(f"/journal/{saved.pk}/audio/").status_code == 404
    assert signed_in(world.dana).get(f"/journal/{saved.pk}/audio/").status_code == 302


def test_oversized_upload_on_the_page_is_refused(world: World) -> None:
    big = SimpleUploadedFile("big.wav", wav_bytes()[:44] + b"\0" * (AUDIO_MAX_BYTES + 10))
    response = signed_in(world.avi).post(
        "/journal/new/", {"title": "Big", "prompt": "", "written_on": "", "audio": big}
    )
    assert response.status_code == 400 and "too large" in response.content.decode()
    assert not Entry.objects.exists()


def test_the_page_checks_csrf(world: World) -> None:
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.avi)
    response = browser.post("/journal/new/", {"title": "x", "prompt": "", "written_on": ""})
    assert response.status_code == 403 and not Entry.objects.exists()

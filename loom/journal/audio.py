"""Audio notes of journal entries: checked by content, stored encrypted, served decrypted.

The file in storage is ``loom.core.crypto.encrypt_bytes`` output under a random name
(``loom.journal.models.audio_path``): a copy of the media folder or bucket holds no
playable recording and no name the client chose. The plaintext's content type and size
are kept on the entry so the page can offer the right player.

Audio notes are small (``AUDIO_MAX_BYTES``), so a note is encrypted and decrypted whole
in memory; a byte range (players seek) is cut from the decrypted bytes.

In-browser recordings from Chromium are WebM (Opus audio), so WebM is accepted and
served as ``audio/webm``; its container could carry video too, which an ``<audio>``
player simply does not show.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from loom.core.crypto import decrypt_bytes, encrypt_bytes
from loom.core.media import Unsatisfiable, parse_range
from loom.core.uploads import M4A, MP3, OGG, WAV, WEBM, UploadPolicy, validate_upload
from loom.journal.models import AUDIO_MAX_BYTES, Entry

AUDIO_KINDS = (MP3, M4A, WAV, OGG, WEBM)
# What the file input offers (a hint only; the content decides).
ACCEPT = "audio/*,.mp3,.m4a,.wav,.ogg,.oga,.webm"


def audio_policy() -> UploadPolicy:
    return UploadPolicy(
        kinds=AUDIO_KINDS,
        max_bytes={"audio": AUDIO_MAX_BYTES, "video": AUDIO_MAX_BYTES},
    )


def audio_validate(upload: Any) -> tuple[str, int]:
    """Check ``upload``; returns (content type to serve, size). ``ValidationError`` otherwise."""
    declared = getattr(upload, "size", None)
    if declared is not None and declared > AUDIO_MAX_BYTES:
        raise ValidationError(
            _("An audio note can be at most %(size)s MB.") % {"size": AUDIO_MAX_BYTES // 2**20},
            code="too_large",
        )
    checked = validate_upload(upload, policy=audio_policy())
    content_type = "audio/webm" if checked.kind is WEBM else checked.kind.content_type
    return content_type, checked.size


def _read_upload(upload: Any) -> bytes:
    handle = upload.file if getattr(upload, "file", None) is not None else upload
    handle.seek(0)
    data: bytes = handle.read(AUDIO_MAX_BYTES + 1)
    handle.seek(0)
    return data


def audio_store(entry: Entry, upload: Any, *, content_type: str, size: int) -> None:
    """Encrypt ``upload`` into a new file of ``entry`` (not saved: the caller saves the row).

    Returns nothing; the caller removes the new file (``audio_discard``) when its
    transaction fails, so a refused save leaves no file behind.
    """
    ciphertext = encrypt_bytes(_read_upload(upload))
    entry.audio.save("audio.bin", ContentFile(ciphertext), save=False)
    entry.audio_content_type = content_type
    entry.audio_size = size


def audio_discard(entry: Entry) -> None:
    """Remove the file ``audio_store`` just wrote (its transaction did not commit)."""
    if entry.audio and entry.audio.name:
        entry.audio.storage.delete(str(entry.audio.name))


def audio_delete_after_commit(name: str, storage: Any) -> None:
    """Remove a stored audio file once the transaction that dropped it has committed."""
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def audio_plaintext(entry: Entry) -> bytes:
    """The decrypted bytes of ``entry``'s audio note (the caller has checked access)."""
    with entry.audio.open("rb") as handle:
        stored: bytes = handle.read()
    return decrypt_bytes(stored)


def audio_response(request: HttpRequest, entry: Entry) -> HttpResponse:
    """``entry``'s audio note, decrypted: 200 whole, 206 one byte range, or 416.

    Never cached anywhere but in memory of the player (``no-store``): it is the
    client's voice.
    """
    data = audio_plaintext(entry)
    size = len(data)
    try:
        byte_range = parse_range(request.headers.get("Range", ""), size)
    except Unsatisfiable:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        _headers(refused)
        return refused
    if byte_range is None:
        response = HttpResponse(data, content_type=entry.audio_content_type or "audio/mpeg")
    else:
        response = HttpResponse(
            data[byte_range.start : byte_range.end + 1],
            status=206,
            content_type=entry.audio_content_type or "audio/mpeg",
        )
        response["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
    if request.method == "HEAD":
        response.content = b""
        response["Content-Length"] = str(
            size if byte_range is None else byte_range.end - byte_range.start + 1
        )
    _headers(response)
    return response


def _headers(response: HttpResponse) -> None:
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Vary"] = "Cookie"

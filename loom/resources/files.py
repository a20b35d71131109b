"""What a coach may put in the library: the upload policies and the kind of resource a
file becomes.

The checks themselves are ``loom.core.uploads`` (type by content, size per family,
bombs, polyglots, names); this module only says which kinds and limits apply here
(``LOOM_RESOURCE_MAX_*_BYTES``, docs/resources.md).
"""

from __future__ import annotations

import codecs
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from loom.core.uploads import (
    ALL_KINDS,
    CHUNK_BYTES,
    IMAGE_KINDS,
    MEDIA_KINDS,
    FileKind,
    UploadPolicy,
    safe_filename,
)
from loom.resources.models import ResourceKind

# A captions file is a few hundred kilobytes even for a long talk.
CAPTIONS_MAX_BYTES = 1024 * 1024
CAPTIONS_CONTENT_TYPE = "text/vtt; charset=utf-8"

_RESOURCE_KIND = {
    "pdf": ResourceKind.DOCUMENT,
    "docx": ResourceKind.DOCUMENT,
    "xlsx": ResourceKind.DOCUMENT,
    "pptx": ResourceKind.DOCUMENT,
    "png": ResourceKind.IMAGE,
    "jpeg": ResourceKind.IMAGE,
    "gif": ResourceKind.IMAGE,
    "webp": ResourceKind.IMAGE,
    "mp3": ResourceKind.AUDIO,
    "m4a": ResourceKind.AUDIO,
    "wav": ResourceKind.AUDIO,
    "ogg": ResourceKind.AUDIO,
    "mp4": ResourceKind.VIDEO,
    "webm": ResourceKind.VIDEO,
    "text": ResourceKind.TEXT,
}
# Office files cannot be shown in a browser: they are only ever downloaded.
OFFICE_FILE_KINDS = frozenset({"docx", "xlsx", "pptx"})


def _limits() -> dict[str, int]:
    return {
        "document": settings.LOOM_RESOURCE_MAX_DOCUMENT_BYTES,
        "image": settings.LOOM_RESOURCE_MAX_IMAGE_BYTES,
        "audio": settings.LOOM_RESOURCE_MAX_AUDIO_BYTES,
        "video": settings.LOOM_RESOURCE_MAX_VIDEO_BYTES,
    }


def _policy(kinds: tuple[FileKind, ...]) -> UploadPolicy:
    return UploadPolicy(
        kinds=kinds,
        max_bytes=_limits(),
        max_image_pixels=settings.LOOM_UPLOAD_MAX_IMAGE_PIXELS,
        max_zip_entries=settings.LOOM_UPLOAD_MAX_ZIP_ENTRIES,
        max_zip_uncompressed_bytes=settings.LOOM_UPLOAD_MAX_ZIP_UNCOMPRESSED_BYTES,
    )


def resource_upload_policy() -> UploadPolicy:
    """Documents (PDF, Word, Excel, PowerPoint, text), images, audio and video."""
    return _policy(ALL_KINDS + MEDIA_KINDS)


def cover_upload_policy() -> UploadPolicy:
    """A collection's cover: images only, at the image limit."""
    return _policy(IMAGE_KINDS)


def max_files_per_upload() -> int:
    return max(1, int(settings.LOOM_RESOURCE_MAX_FILES_PER_UPLOAD))


def resource_kind_for(file_kind: str) -> ResourceKind:
    """The kind of resource a file of ``file_kind`` (``FileKind.name``) becomes."""
    return _RESOURCE_KIND[file_kind]


def validate_captions(upload: Any) -> str:
    """A WebVTT file: UTF-8 text starting with ``WEBVTT``, at most 1 MB.

    Returns the sanitized file name. Raises ``ValidationError`` (codes ``empty``,
    ``too_large``, ``not_captions``).
    """
    declared = getattr(upload, "size", None)
    if declared is not None and declared > CAPTIONS_MAX_BYTES:
        raise _captions_too_large()
    handle = upload.file if getattr(upload, "file", None) is not None else upload
    handle.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    read = 0
    first = b""
    try:
        while chunk := handle.read(CHUNK_BYTES):
            read += len(chunk)
            if read > CAPTIONS_MAX_BYTES:
                raise _captions_too_large()
            if not first:
                first = chunk
            if b"\x00" in chunk:
                raise _not_captions()
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _not_captions() from None
    finally:
        handle.seek(0)
    if read == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    text = first.removeprefix(b"\xef\xbb\xbf")
    # "WEBVTT" alone on the line or followed by a space, a tab or the line break.
    if not text.startswith(b"WEBVTT") or text[6:7] not in (b"", b" ", b"\t", b"\n", b"\r"):
        raise _not_captions()
    return safe_filename(getattr(upload, "name", "") or "captions.vtt")


def _captions_too_large() -> ValidationError:
    return ValidationError(
        _("The captions file is too large. Captions can be up to 1 MB."), code="too_large"
    )


def _not_captions() -> ValidationError:
    return ValidationError(
        _("Captions must be a WebVTT file (.vtt): text that starts with WEBVTT."),
        code="not_captions",
    )

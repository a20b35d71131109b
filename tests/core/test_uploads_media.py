"""loom/core/uploads.py: audio and video kinds, image polyglots, the per-request file count."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopUpload
from django.test import RequestFactory

from loom.core.uploads import (
    ALL_KINDS,
    GIF,
    IMAGE_KINDS,
    JPEG,
    M4A,
    MEDIA_KINDS,
    MP3,
    MP4,
    OGG,
    PNG,
    WAV,
    WEBM,
    UploadLimitHandler,
    UploadPolicy,
    upload_had_too_many_files,
    validate_upload,
)
from tests.resources import media

MEDIA_POLICY = UploadPolicy(kinds=ALL_KINDS + MEDIA_KINDS)
SESSION_POLICY = UploadPolicy()


def upload(name: str, data: bytes) -> Any:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def refused(name: str, data: bytes, policy: UploadPolicy = MEDIA_POLICY) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload(name, data), policy=policy)
    return caught.value


@pytest.mark.parametrize(
    ("name", "build", "kind"),
    [
        ("talk.mp3", media.mp3_bytes, MP3),
        ("talk.m4a", media.m4a_bytes, M4A),
        ("talk.wav", media.wav_bytes, WAV),
        ("talk.ogg", media.ogg_bytes, OGG),
        ("talk.oga", media.ogg_bytes, OGG),
        ("clip.mp4", media.mp4_bytes, MP4),
        ("clip.m4v", media.mp4_bytes, MP4),
        ("clip.webm", media.webm_bytes, WEBM),
    ],
)
def test_audio_and_video_are_recognised_by_content(name: str, build: Any, kind: Any) -> None:
    checked = validate_upload(upload(name, build()), policy=MEDIA_POLICY)
    assert checked.kind is kind
    assert checked.content_type == kind.content_type
    assert kind.family in ("audio", "video")


def test_an_mp3_without_a_tag_is_recognised_by_its_frame_header() -> None:
    data = media.mp3_bytes()
    # ID3v2: a 10-byte header, then a "syncsafe" size (7 bits per byte).
    tag_size = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9])
    untagged = data[tag_size:]
    assert untagged[:1] == b"\xff"
    assert validate_upload(upload("talk.mp3", untagged), policy=MEDIA_POLICY).kind is MP3


def test_session_attachments_still_refuse_audio_and_video() -> None:
    error = refused("clip.webm", media.webm_bytes(), SESSION_POLICY)
    assert error.code == "not_allowed"
    assert "video" not in str(error.message)
    assert refused("talk.mp3", media.mp3_bytes(), SESSION_POLICY).code == "not_allowed"


def test_the_refusal_lists_audio_and_video_where_they_are_accepted() -> None:
    error = refused("thing.bin", b"\x00\x01\x02\x03" * 100)
    assert error.code == "not_allowed"
    assert "MP4, WebM" in str(error.message)


def test_a_matroska_file_is_not_webm() -> None:
    data = bytearray(media.webm_bytes())
    at = data.index(b"\x42\x82")
    assert data[at + 3 : at + 7] == b"webm"
    data[at + 2 : at + 7] = b"\x84" + b"mkv\x00"  # DocType "mkv" (length 4, NUL padded)
    assert refused("clip.webm", bytes(data)).code == "not_allowed"


def test_a_pdf_named_mp3_is_refused() -> None:
    error = refused("song.mp3", media.pdf_bytes())
    assert error.code == "extension_mismatch"
    assert ".pdf" in str(error.message)


def test_an_audio_mp4_named_mp4_is_an_extension_mismatch() -> None:
    assert refused("talk.mp4", media.m4a_bytes()).code == "extension_mismatch"


def test_video_sizes_use_the_video_limit() -> None:
    policy = UploadPolicy(
        kinds=MEDIA_KINDS,
        max_bytes={"document": 10, "image": 10, "audio": 10, "video": 40_000},
    )
    data = media.webm_bytes(min_bytes=40_000)
    assert validate_upload(upload("clip.webm", data), policy=policy).size == 40_000
    assert refused("clip.webm", data + b"\x00", policy).code == "too_large"
    assert refused("talk.wav", media.wav_bytes(), policy).code == "too_large"


def test_padded_webm_is_exactly_the_asked_size_and_still_a_webm() -> None:
    size, chunks = media.webm_stream(2_000_000, chunk_bytes=300_000)
    data = b"".join(chunks)
    assert size == len(data) == 2_000_000
    assert validate_upload(upload("clip.webm", data), policy=MEDIA_POLICY).kind is WEBM


# --- Image polyglots ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("cat.gif", media.gif_js_polyglot),
        ("cat.gif", media.gif_with_trailing_script),
        ("cat.gif", media.gif_with_script_comment),
        ("cat.png", media.png_with_trailing_html),
        ("cat.png", media.png_with_script_text_chunk),
        ("cat.jpg", media.jpeg_with_trailing_html),
    ],
)
def test_images_that_are_also_pages_or_scripts_are_refused(name: str, build: Any) -> None:
    error = refused(name, build())
    assert error.code == "polyglot"
    assert "script" in str(error.message)


@pytest.mark.parametrize(
    ("name", "build", "kind"),
    [
        ("cat.gif", media.gif_bytes, GIF),
        ("cat.png", media.png_bytes, PNG),
        ("cat.jpg", media.jpeg_bytes, JPEG),
    ],
)
def test_well_formed_images_pass_the_structure_walk(name: str, build: Any, kind: Any) -> None:
    assert validate_upload(upload(name, build()), policy=MEDIA_POLICY).kind is kind
    assert kind in IMAGE_KINDS


def test_an_animated_gif_with_extensions_is_accepted() -> None:
    import io

    from PIL import Image

    frames = [Image.new("RGB", (6, 6), color) for color in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], loop=0)
    assert validate_upload(upload("spin.gif", out.getvalue()), policy=MEDIA_POLICY).kind is GIF


def test_a_truncated_gif_is_refused() -> None:
    assert refused("cat.gif", media.gif_bytes()[:-3]).code == "not_allowed"


def test_a_png_with_a_broken_chunk_checksum_is_refused() -> None:
    data = bytearray(media.png_bytes())
    data[-5] ^= 0xFF  # IEND's CRC
    assert refused("cat.png", bytes(data)).code == "not_allowed"


def test_markers_split_across_read_chunks_are_found() -> None:
    from loom.core import uploads

    data = media.png_bytes()
    # A private chunk whose data puts "<script" across the 64 KiB read boundary.
    import struct
    import zlib

    filler = bytes(uploads.CHUNK_BYTES - len(data) + 8 - 12 - 3) + b"<script"
    chunk = struct.pack(">I", len(filler)) + b"prIv" + filler
    chunk += struct.pack(">I", zlib.crc32(b"prIv" + filler))
    hostile = data[:33] + chunk + data[33:]
    assert refused("cat.png", hostile).code == "polyglot"


# --- Count of files in one request --------------------------------------------------------------


def test_the_handler_stops_a_request_at_the_first_file_too_many() -> None:
    request = RequestFactory().post("/")
    handler = UploadLimitHandler(request, max_bytes=100, max_files=2)
    handler.new_file("file", "a.pdf", "application/pdf", 10)
    handler.new_file("file", "b.pdf", "application/pdf", 10)
    assert upload_had_too_many_files(request) is None
    with pytest.raises(StopUpload):
        handler.new_file("file", "c.pdf", "application/pdf", 10)
    error = upload_had_too_many_files(request)
    assert error is not None
    assert error.code == "too_many_files"
    assert str(error.message) == "You can upload up to 2 files at once."

"""Checking uploaded files before they are stored: type by content, size, bombs, names.

A reusable validator for any feature that keeps what people upload (session
attachments today, a resource library later). It never trusts the file name or the
declared content type:

* the **type is decided by the content** (magic bytes): PDF, PNG, JPEG, GIF, WebP,
  Office Open XML documents (docx/xlsx/pptx: a zip whose ``[Content_Types].xml``
  names the right main part), plain text (valid UTF-8 without NUL bytes) and — for
  policies that list them (``MEDIA_KINDS``) — audio (MP3, M4A, WAV, Ogg) and video
  (MP4, WebM).
  Everything else is refused — programs (PE, ELF, Mach-O, scripts with ``#!``), HTML,
  SVG and XML outright, with a message saying so;
* the **file name's extension must match the content** (``invoice.pdf`` that is a
  PNG is refused), so a person downloading it gets what the name says;
* the **size is bounded per kind** (``UploadPolicy``), checked against the declared
  size and again while the file is read in chunks — nothing here calls ``read()``
  on a whole file;
* **zip bombs**: the entry count and the total uncompressed size are read from the
  zip's central directory and checked before any entry is extracted; only
  ``[Content_Types].xml`` is ever extracted, and only up to a small bound;
* **image bombs**: the pixel count is read from the header and checked before any
  pixel is decoded (Pillow's ``DecompressionBombWarning`` counts as a bomb too);
* **polyglots**: an image must be well formed to its end — a GIF's blocks and a PNG's
  chunks are walked strictly and nothing may follow the GIF trailer, PNG's ``IEND``,
  JPEG's end marker or WebP's RIFF size — and no image may carry markup or script
  markers (``<script``, ``<svg``, ``<html``, ``javascript:``) anywhere in its bytes. A
  file that is also a script or a page (``GIF89a/*…*/=alert(1);``) is refused even
  though we serve it with ``nosniff``;
* the **original name is sanitized** for display and downloads (``safe_filename``):
  no path, no control or bidi-override characters, bounded length.

Use ``validate_upload(upload, policy=...)``; it returns a ``ValidatedUpload`` or
raises ``django.core.exceptions.ValidationError`` with a translated message and a
stable ``code``. Storage then streams the file in chunks (``FileField.save``).
"""

from __future__ import annotations

import codecs
import struct
import unicodedata
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, UnidentifiedImageError

# Bytes read to decide a file's type; every signature we know fits well inside.
HEAD_BYTES = 4096
CHUNK_BYTES = 64 * 1024
FILENAME_MAX = 120
# [Content_Types].xml of a real Office document is a few kilobytes.
CONTENT_TYPES_MAX_BYTES = 256 * 1024
FALLBACK_NAME = "file"


@dataclass(frozen=True)
class FileKind:
    """A type of file we accept: the content type we serve it as, and its extensions."""

    name: str
    content_type: str
    extensions: tuple[str, ...]
    family: str  # "document", "image", "audio" or "video": which size limit applies


PDF = FileKind("pdf", "application/pdf", ("pdf",), "document")
PNG = FileKind("png", "image/png", ("png",), "image")
JPEG = FileKind("jpeg", "image/jpeg", ("jpg", "jpeg"), "image")
GIF = FileKind("gif", "image/gif", ("gif",), "image")
WEBP = FileKind("webp", "image/webp", ("webp",), "image")
DOCX = FileKind(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ("docx",),
    "document",
)
XLSX = FileKind(
    "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ("xlsx",),
    "document",
)
PPTX = FileKind(
    "pptx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ("pptx",),
    "document",
)
TEXT = FileKind("text", "text/plain; charset=utf-8", ("txt", "md", "csv"), "document")

MP3 = FileKind("mp3", "audio/mpeg", ("mp3",), "audio")
M4A = FileKind("m4a", "audio/mp4", ("m4a",), "audio")
WAV = FileKind("wav", "audio/wav", ("wav",), "audio")
OGG = FileKind("ogg", "audio/ogg", ("ogg", "oga"), "audio")
MP4 = FileKind("mp4", "video/mp4", ("mp4", "m4v"), "video")
WEBM = FileKind("webm", "video/webm", ("webm",), "video")

# What session attachments accept (no audio or video there).
ALL_KINDS: tuple[FileKind, ...] = (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, TEXT)
MEDIA_KINDS: tuple[FileKind, ...] = (MP3, M4A, WAV, OGG, MP4, WEBM)
IMAGE_KINDS: tuple[FileKind, ...] = (PNG, JPEG, GIF, WEBP)

# ISO base media (MP4) major brands that mean "audio only" (iTunes, phones, audiobooks).
_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B ")
# Markers of a page or a script inside an image, searched through the whole file.
_POLYGLOT_MARKERS = (b"<script", b"<svg", b"<html", b"javascript:")

# The main part each Office Open XML kind declares in [Content_Types].xml.
_OOXML_MAIN = {
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_PILLOW_FORMATS = {PNG: "PNG", JPEG: "JPEG", GIF: "GIF", WEBP: "WEBP"}

# Programs and scripts, refused by name so the person knows why.
_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal (and Java classes)
    b"#!",
)
# Markup a browser would render or run. Checked at the start of text (after a BOM
# and whitespace) and anywhere in the head, where content sniffers look.
_MARKUP_MARKERS = (
    b"<!doctype",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<svg",
    b"<?xml",
    b"<iframe",
    b"<object",
    b"<embed",
    b"<meta",
    b"<a ",
    b"<img",
    b"<style",
    b"<div",
    b"<table",
    b"<title",
)


@dataclass(frozen=True)
class UploadPolicy:
    """What one feature accepts: kinds, size per family, and bomb bounds.

    ``from_settings()`` reads the ``LOOM_UPLOAD_*`` settings (docs/scheduling.md).
    """

    kinds: tuple[FileKind, ...] = ALL_KINDS
    max_bytes: dict[str, int] = field(
        default_factory=lambda: {
            "document": 20 * 1024 * 1024,
            "image": 10 * 1024 * 1024,
            "audio": 200 * 1024 * 1024,
            "video": 1024 * 1024 * 1024,
        }
    )
    max_image_pixels: int = 40_000_000
    max_zip_entries: int = 2000
    max_zip_uncompressed_bytes: int = 200 * 1024 * 1024

    @classmethod
    def from_settings(cls, *, kinds: tuple[FileKind, ...] = ALL_KINDS) -> UploadPolicy:
        return cls(
            kinds=kinds,
            max_bytes={
                "document": settings.LOOM_UPLOAD_MAX_DOCUMENT_BYTES,
                "image": settings.LOOM_UPLOAD_MAX_IMAGE_BYTES,
                "audio": settings.LOOM_RESOURCE_MAX_AUDIO_BYTES,
                "video": settings.LOOM_RESOURCE_MAX_VIDEO_BYTES,
            },
            max_image_pixels=settings.LOOM_UPLOAD_MAX_IMAGE_PIXELS,
            max_zip_entries=settings.LOOM_UPLOAD_MAX_ZIP_ENTRIES,
            max_zip_uncompressed_bytes=settings.LOOM_UPLOAD_MAX_ZIP_UNCOMPRESSED_BYTES,
        )

    @property
    def largest(self) -> int:
        """The largest size any accepted kind may have (a bound to stop reading at)."""
        return max(self.max_bytes.get(kind.family, 0) for kind in self.kinds)

    @property
    def accept_attribute(self) -> str:
        """For ``<input type=file accept=…>``: a hint only, never a check."""
        return ",".join(sorted({f".{ext}" for kind in self.kinds for ext in kind.extensions}))


@dataclass(frozen=True)
class ValidatedUpload:
    kind: FileKind
    content_type: str
    size: int
    filename: str  # sanitized; safe to show and to send in Content-Disposition


def _reject(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


# --- Names ---------------------------------------------------------------------------------


def _is_unsafe_char(char: str) -> bool:
    # Cc: control characters. Cf: format characters, which include the bidi
    # embeddings/overrides/isolates U+202A–U+202E and U+2066–U+2069 ("exe.pdf" tricks)
    # and zero-width characters. Zs other than a plain space becomes a space.
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn")


def safe_filename(name: str, *, max_length: int = FILENAME_MAX) -> str:
    """A name fit to show and to offer for download.

    Only the last path component is kept (``/`` and ``\\``); control, format (bidi
    overrides, zero-width), surrogate, private-use and unassigned characters are
    removed; runs of whitespace become one space; leading dots and trailing dots and
    spaces go (no hidden files, no Windows surprises). Long names are cut to
    ``max_length`` keeping the extension. An empty result becomes ``"file"``.
    """
    value = unicodedata.normalize("NFC", str(name or ""))
    value = value.replace("\\", "/").rsplit("/", 1)[-1]
    value = "".join(
        " " if char.isspace() else char
        for char in value
        if char.isspace() or not _is_unsafe_char(char)
    )
    value = " ".join(value.split())
    value = value.lstrip(". ").rstrip(". ")
    if not value:
        return FALLBACK_NAME
    if len(value) > max_length:
        stem, dot, ext = value.rpartition(".")
        if dot and stem and 0 < len(ext) <= 10:
            value = stem[: max_length - len(ext) - 1].rstrip(". ") + "." + ext
        else:
            value = value[:max_length].rstrip(". ")
    return value or FALLBACK_NAME


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


# --- Content -------------------------------------------------------------------------------


def _rewind(upload: Any) -> IO[bytes]:
    """The underlying file object, at its start."""
    handle = upload.file if hasattr(upload, "file") and upload.file is not None else upload
    handle.seek(0)
    return handle


def _head(upload: Any) -> bytes:
    handle = _rewind(upload)
    data: bytes = handle.read(HEAD_BYTES)
    handle.seek(0)
    return data


def _sniff(head: bytes) -> FileKind | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return DOCX  # an Office document, if the zip says so (checked later)
    return _sniff_media(head)


def _sniff_media(head: bytes) -> FileKind | None:
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"ID3") or _is_mpeg_audio_frame(head):
        return MP3
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _iso_media_kind(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM if _ebml_doc_type(head) == b"webm" else None
    return None


def _is_mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a real layer, bitrate and sample rate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    bitrate, sample_rate = head[2] >> 4, (head[2] >> 2) & 0b11
    return version != 0b01 and layer != 0b00 and bitrate not in (0, 0xF) and sample_rate != 0b11


def _iso_media_kind(head: bytes) -> FileKind | None:
    """MP4 family by its ``ftyp`` box: an audio major brand is M4A, anything else MP4."""
    (box_size,) = struct.unpack(">I", head[:4])
    if box_size < 16 or box_size > len(head) or box_size % 4:
        return None
    major = head[8:12]
    if major in _AUDIO_BRANDS:
        return M4A
    if major.startswith(b"qt"):
        return None  # QuickTime .mov: browsers don't play it reliably
    return MP4


def _ebml_doc_type(head: bytes) -> bytes | None:
    """The DocType (``webm``/``matroska``) from the EBML header at the start of ``head``."""

    def vint(offset: int, *, keep_marker: bool) -> tuple[int, int]:
        if offset >= len(head):
            raise IndexError
        first = head[offset]
        length = 1
        while length <= 8 and not first & (0x80 >> (length - 1)):
            length += 1
        if length > 8 or offset + length > len(head):
            raise IndexError
        value = first if keep_marker else first & (0xFF >> length)
        for byte in head[offset + 1 : offset + length]:
            value = (value << 8) | byte
        return value, length

    try:
        offset = 4
        size, length = vint(offset, keep_marker=False)
        offset += length
        end = min(offset + size, len(head))
        while offset < end:
            element, length = vint(offset, keep_marker=True)
            offset += length
            size, length = vint(offset, keep_marker=False)
            offset += length
            if element == 0x4282:
                return head[offset : offset + size].rstrip(b"\x00")
            offset += size
    except IndexError:
        return None
    return None


def _looks_like_markup(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith(b"<"):
        return True
    lowered = head.lower()
    return any(marker in lowered for marker in _MARKUP_MARKERS)


def _size_of(upload: Any, limit: int) -> int:
    """The file's real size, counted in chunks; stops once past ``limit``."""
    handle = _rewind(upload)
    total = 0
    while chunk := handle.read(CHUNK_BYTES):
        total += len(chunk)
        if total > limit:
            break
    handle.seek(0)
    return total


def _check_text(upload: Any, limit: int, policy: UploadPolicy) -> None:
    """Valid UTF-8 without NUL bytes, read chunk by chunk."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    handle = _rewind(upload)
    read = 0
    try:
        while chunk := handle.read(CHUNK_BYTES):
            read += len(chunk)
            if read > limit:
                break
            if b"\x00" in chunk:
                raise _not_allowed(policy)
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _not_allowed(policy) from None
    finally:
        handle.seek(0)


def _ooxml_kind(upload: Any, policy: UploadPolicy) -> FileKind:
    """Which Office document a zip is — after bounding it from the central directory."""
    handle = _rewind(upload)
    try:
        with zipfile.ZipFile(handle) as archive:
            # infolist() comes from the central directory: nothing is decompressed yet.
            entries = archive.infolist()
            if len(entries) > policy.max_zip_entries:
                raise _zip_bomb()
            if sum(entry.file_size for entry in entries) > policy.max_zip_uncompressed_bytes:
                raise _zip_bomb()
            names = {entry.filename for entry in entries}
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise _reject(
                    _("Documents with macros can't be uploaded. Save it without macros first."),
                    "macros",
                )
            try:
                info = archive.getinfo("[Content_Types].xml")
            except KeyError:
                raise _not_allowed() from None
            if info.file_size > CONTENT_TYPES_MAX_BYTES:
                raise _zip_bomb()
            with archive.open(info) as member:
                content_types = member.read(CONTENT_TYPES_MAX_BYTES + 1)
            if len(content_types) > CONTENT_TYPES_MAX_BYTES:
                raise _zip_bomb()
    except ValidationError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise _not_allowed() from None
    finally:
        handle.seek(0)
    for kind, main in _OOXML_MAIN.items():
        if f'ContentType="{main}"'.encode() in content_types:
            return kind
    raise _not_allowed()


def _check_image(upload: Any, kind: FileKind, policy: UploadPolicy) -> None:
    handle = _rewind(upload)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it; a bomb either way.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # open() parses the header only; no pixel is decoded before the check.
            with Image.open(handle, formats=[_PILLOW_FORMATS[kind]]) as probe:
                width, height = probe.size
                if width <= 0 or height <= 0 or width * height > policy.max_image_pixels:
                    raise _image_bomb(policy.max_image_pixels)
                probe.verify()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _image_bomb(policy.max_image_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _not_allowed() from None
    finally:
        handle.seek(0)


def _polyglot() -> ValidationError:
    return _reject(
        _(
            "This image also contains a web page or a script, so it can't be uploaded. "
            "Save it again from an image editor."
        ),
        "polyglot",
    )


class _Reader:
    """Exact reads from a file for the structure walks; short data is malformed."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle

    def take(self, count: int) -> bytes:
        data = self.handle.read(count)
        if len(data) != count:
            raise _not_allowed()
        return data

    def skip(self, count: int, crc: int | None = None) -> int | None:
        """Pass ``count`` bytes in chunks, updating ``crc`` over them when given."""
        while count > 0:
            chunk = self.take(min(count, CHUNK_BYTES))
            if crc is not None:
                crc = zlib.crc32(chunk, crc)
            count -= len(chunk)
        return crc

    def at_end(self) -> bool:
        return self.handle.read(1) == b""


def _gif_sub_blocks(reader: _Reader, *, inspect: bool) -> None:
    """Pass a chain of data sub-blocks; text blocks (comments, app data) must hold no script."""
    carried = b""
    while size := reader.take(1)[0]:
        if not inspect:
            reader.skip(size)
            continue
        data = carried + reader.take(size).lower()
        if b"*/" in data or any(marker in data for marker in _POLYGLOT_MARKERS):
            raise _polyglot()
        carried = data[-16:]


def _walk_gif(reader: _Reader) -> None:
    header = reader.take(13)
    # "GIF89a/*": a width that opens a JavaScript comment is how GIF/JS polyglots begin.
    if header[6:8] == b"/*":
        raise _polyglot()
    if header[10] & 0x80:
        reader.skip(3 * 2 ** ((header[10] & 0x07) + 1))
    while True:
        introducer = reader.take(1)[0]
        if introducer == 0x3B:  # trailer: the file ends here
            if not reader.at_end():
                raise _polyglot()
            return
        if introducer == 0x21:  # extension: label, then sub-blocks
            label = reader.take(1)[0]
            _gif_sub_blocks(reader, inspect=label in (0xFE, 0xFF, 0x01))
        elif introducer == 0x2C:  # image: descriptor, local colours, LZW size, sub-blocks
            descriptor = reader.take(9)
            if descriptor[8] & 0x80:
                reader.skip(3 * 2 ** ((descriptor[8] & 0x07) + 1))
            reader.take(1)
            _gif_sub_blocks(reader, inspect=False)
        else:
            raise _not_allowed()


def _walk_png(reader: _Reader) -> None:
    reader.take(8)
    while True:
        length, chunk_type = struct.unpack(">I4s", reader.take(8))
        if length > 0x7FFFFFFF:
            raise _not_allowed()
        crc = reader.skip(length, zlib.crc32(chunk_type))
        if struct.unpack(">I", reader.take(4))[0] != crc:
            raise _not_allowed()
        if chunk_type == b"IEND":
            if not reader.at_end():
                raise _polyglot()
            return


def _check_jpeg_end(handle: IO[bytes], size: int) -> None:
    """Nothing but padding may follow the last end-of-image marker."""
    tail_start = max(0, size - CHUNK_BYTES)
    handle.seek(tail_start)
    tail = handle.read(CHUNK_BYTES)
    end = tail.rfind(b"\xff\xd9")
    if end < 0:
        raise _not_allowed()
    if tail[end + 2 :].strip(b"\x00\r\n\t ") != b"":
        raise _polyglot()


def _check_webp_size(head: bytes, size: int) -> None:
    (riff_size,) = struct.unpack("<I", head[4:8])
    if riff_size + 8 + (riff_size & 1) != size and riff_size + 8 != size:
        raise _polyglot()


def _scan_markers(handle: IO[bytes]) -> None:
    """Look for markup/script markers through the whole file, chunk by chunk."""
    carried = b""
    longest = max(len(marker) for marker in _POLYGLOT_MARKERS)
    while chunk := handle.read(CHUNK_BYTES):
        window = carried + chunk.lower()
        if any(marker in window for marker in _POLYGLOT_MARKERS):
            raise _polyglot()
        carried = window[-(longest - 1) :]


def _check_image_structure(upload: Any, kind: FileKind, head: bytes, size: int) -> None:
    handle = _rewind(upload)
    try:
        if kind is GIF:
            _walk_gif(_Reader(handle))
        elif kind is PNG:
            _walk_png(_Reader(handle))
        elif kind is JPEG:
            _check_jpeg_end(handle, size)
        elif kind is WEBP:
            _check_webp_size(head, size)
        handle.seek(0)
        _scan_markers(handle)
    finally:
        handle.seek(0)


def validate_upload(
    upload: Any, *, policy: UploadPolicy, name: str | None = None
) -> ValidatedUpload:
    """Check ``upload`` (a Django ``UploadedFile`` or a seekable binary file).

    ``name`` defaults to ``upload.name``. Returns what to store; raises
    ``ValidationError`` (codes: ``empty``, ``too_large``, ``executable``, ``markup``,
    ``not_allowed``, ``extension_mismatch``, ``zip_bomb``, ``macros``,
    ``too_many_pixels``, ``polyglot``).
    """
    filename = safe_filename(name if name is not None else getattr(upload, "name", "") or "")
    declared = getattr(upload, "size", None)
    largest = policy.largest
    if declared is not None and declared > largest:
        raise _too_large(largest)
    size = _size_of(upload, largest)
    if size == 0:
        raise _reject(_("The file is empty."), "empty")
    if size > largest:
        raise _too_large(largest)
    head = _head(upload)
    if head.startswith(_EXECUTABLE_MAGIC):
        raise _reject(_("Programs and scripts can't be uploaded."), "executable")
    kind = _sniff(head)
    if kind is None:
        if _looks_like_markup(head):
            raise _reject(
                _("Web pages, SVG and XML files can't be uploaded. Save it as a PDF first."),
                "markup",
            )
        if TEXT in policy.kinds:
            _check_text(upload, largest, policy)
            kind = TEXT
        else:
            raise _not_allowed(policy)
    elif kind is DOCX:
        kind = _ooxml_kind(upload, policy)
    if kind not in policy.kinds:
        raise _not_allowed(policy)
    limit = policy.max_bytes.get(kind.family, 0)
    if size > limit:
        raise _too_large(limit)
    if _extension(filename) not in kind.extensions:
        raise _reject(
            _(
                "The file name ends in a different type than its content (%(kind)s). "
                "Rename it to end in .%(extension)s."
            )
            % {"kind": kind.name.upper(), "extension": kind.extensions[0]},
            "extension_mismatch",
        )
    if kind in _PILLOW_FORMATS:
        _check_image(upload, kind, policy)
        _check_image_structure(upload, kind, head, size)
    _rewind(upload)
    return ValidatedUpload(kind=kind, content_type=kind.content_type, size=size, filename=filename)


# --- Reading requests ----------------------------------------------------------------------

_TOO_LARGE_ATTRIBUTE = "_loom_upload_too_large"


_TOO_MANY_FILES_ATTRIBUTE = "_loom_upload_too_many_files"


class UploadLimitHandler(FileUploadHandler):
    """Skips a file as soon as more than ``max_bytes`` of it arrive.

    Put first in ``request.upload_handlers`` (``limit_uploads``), it stops the later
    handlers from keeping the rest — in memory or in a temporary file — so an
    oversize upload costs bandwidth only. The request is marked; ``upload_was_too_large``
    tells the view, which shows the same "too large" message as ``validate_upload``.

    With ``max_files``, a request carrying more files than that is stopped at the first
    file too many (``upload_had_too_many_files``); nothing of it is kept.
    """

    def __init__(
        self, request: Any = None, *, max_bytes: int, max_files: int | None = None
    ) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.files_seen = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        self.files_seen += 1
        if self.max_files is not None and self.files_seen > self.max_files:
            if self.request is not None:
                setattr(self.request, _TOO_MANY_FILES_ATTRIBUTE, self.max_files)
            raise StopUpload(connection_reset=False)
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > self.max_bytes:
            if self.request is not None:
                setattr(self.request, _TOO_LARGE_ATTRIBUTE, self.max_bytes)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def limit_uploads(request: Any, *, max_bytes: int, max_files: int | None = None) -> None:
    """Bound every file of ``request`` to ``max_bytes`` (and their count to ``max_files``).

    Call before reading ``request.POST`` or ``request.FILES``.
    """
    request.upload_handlers.insert(
        0, UploadLimitHandler(request, max_bytes=max_bytes, max_files=max_files)
    )


def upload_had_too_many_files(request: Any) -> ValidationError | None:
    """The refusal to show when ``UploadLimitHandler`` stopped a request with too many files."""
    limit = getattr(request, _TOO_MANY_FILES_ATTRIBUTE, None)
    if not limit:
        return None
    return _reject(
        ngettext(
            "You can upload up to %(count)d file at once.",
            "You can upload up to %(count)d files at once.",
            limit,
        )
        % {"count": limit},
        "too_many_files",
    )


def upload_was_too_large(request: Any) -> ValidationError | None:
    """The refusal to show when ``UploadLimitHandler`` skipped a file of ``request``."""
    limit = getattr(request, _TOO_LARGE_ATTRIBUTE, None)
    return _too_large(limit) if limit else None


# --- Messages ------------------------------------------------------------------------------


def _too_large(limit: int) -> ValidationError:
    return _reject(
        _("The file is too large. Files can be up to %(size)s.") % {"size": file_size_label(limit)},
        "too_large",
    )


def _not_allowed(policy: UploadPolicy | None = None) -> ValidationError:
    if policy is not None and any(kind in MEDIA_KINDS for kind in policy.kinds):
        return _reject(
            _(
                "This type of file can't be uploaded. Use a PDF, an image (PNG, JPEG, GIF, "
                "WebP), a Word, Excel or PowerPoint file, plain text, audio (MP3, M4A, WAV, "
                "Ogg) or video (MP4, WebM)."
            ),
            "not_allowed",
        )
    return _reject(
        _(
            "This type of file can't be uploaded. Use a PDF, an image (PNG, JPEG, GIF, WebP), "
            "a Word, Excel or PowerPoint file, or plain text."
        ),
        "not_allowed",
    )


def _zip_bomb() -> ValidationError:
    return _reject(
        _("This document unpacks to far more than its size, so it can't be uploaded."),
        "zip_bomb",
    )


def _image_bomb(limit: int) -> ValidationError:
    return _reject(
        _("The image has too many pixels. Use one under %(count)d megapixels.")
        % {"count": limit // 1_000_000},
        "too_many_pixels",
    )


def file_size_label(size: int) -> str:
    """A short human size: ``"20 MB"``, ``"2.4 MB"``, ``"512 KB"``, ``"7 B"``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    megabytes = round(size / (1024 * 1024), 1)
    return f"{megabytes:g} MB"


__all__ = [
    "ALL_KINDS",
    "IMAGE_KINDS",
    "MEDIA_KINDS",
    "FileKind",
    "UploadLimitHandler",
    "UploadPolicy",
    "ValidatedUpload",
    "file_size_label",
    "limit_uploads",
    "safe_filename",
    "upload_had_too_many_files",
    "upload_was_too_large",
    "validate_upload",
]

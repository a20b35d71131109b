"""Serving stored files to browsers: byte ranges, streaming, and safe headers.

``ranged_file_response`` answers a GET for a stored file after the caller has checked
access. It supports the single byte ranges players ask for (seeking in a video, a PDF
viewer fetching pages), streams in 64 KiB chunks and never reads a whole file into
memory: from an S3-compatible bucket only the requested range is fetched, from other
storages the file is opened and read from the range's start.

Headers: ``Accept-Ranges``, ``Content-Length``, ``Content-Range``, a strong ``ETag``
(name + size: stored names are random and never reused, so a new file is a new
ETag), ``Content-Disposition`` with an ASCII fallback and the RFC 6266 UTF-8 name,
``X-Content-Type-Options: nosniff``, ``Cache-Control: private``, ``Vary: Cookie``, and
``Content-Security-Policy: default-src 'none'; sandbox`` so a file opened directly can
run nothing — except PDFs, which Chrome's viewer refuses to show in a sandbox.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.core.files.storage import Storage
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse

CHUNK_BYTES = 64 * 1024
FILE_CSP = "default-src 'none'; sandbox"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    """The range asks for bytes past the end of the file (416)."""


def parse_range(header: str, size: int) -> ByteRange | None:
    """The one range of a ``Range`` header, or ``None`` to send the whole file.

    Several ranges, another unit or a malformed header mean the whole file (a server
    may ignore ``Range``); a well-formed range outside the file raises ``Unsatisfiable``.
    """
    value = (header or "").strip().replace(" ", "")
    if not value or "," in value:
        return None
    match = _RANGE.match(value)
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # "-n": the last n bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise Unsatisfiable
    return ByteRange(start, min(end, size - 1))


def etag_for(name: str, size: int) -> str:
    digest = hashlib.sha256(f"{name}\0{size}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def content_disposition(filename: str, *, attachment: bool) -> str:
    """``inline``/``attachment`` with an ASCII ``filename`` and the UTF-8 ``filename*``."""
    kind = "attachment" if attachment else "inline"
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(
        char for char in ascii_name if char.isprintable() and char not in '"\\;'
    ).strip()
    if not ascii_name.strip(". ") or ascii_name.startswith("."):
        extension = filename.rpartition(".")[2] if "." in filename else ""
        ascii_name = f"file.{extension}" if extension.isascii() and extension else "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


# --- Reading -------------------------------------------------------------------------------


def _is_s3(storage: Storage) -> bool:
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # django-storages is optional for filesystem deployments
        return False
    return isinstance(storage, S3Storage)


def _open_s3(storage: Any, name: str, byte_range: ByteRange) -> Iterator[bytes]:
    from botocore.exceptions import ClientError

    key = storage._normalize_name(name)
    try:
        response = storage.bucket.Object(key).get(
            Range=f"bytes={byte_range.start}-{byte_range.end}"
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise FileNotFoundError(name) from None
        raise
    return _body_chunks(response["Body"])


def _body_chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()


def _handle_chunks(handle: IO[bytes], byte_range: ByteRange) -> Iterator[bytes]:
    try:
        handle.seek(byte_range.start)
        left = byte_range.length
        while left > 0:
            chunk = handle.read(min(CHUNK_BYTES, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def open_range(storage: Storage, name: str, byte_range: ByteRange) -> Iterator[bytes]:
    """The bytes of ``byte_range``, in chunks. The file is opened (or the bucket asked)
    now, so a missing file raises ``FileNotFoundError`` before any response starts."""
    if byte_range.length <= 0:
        return iter(())
    if _is_s3(storage):
        return _open_s3(storage, name, byte_range)
    return _handle_chunks(storage.open(name, "rb"), byte_range)


async def _async_chunks(iterator: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The same chunks for an ASGI server, each read in a worker thread.

    Django would otherwise gather a synchronous iterator into one list before sending
    it — the whole file in memory.
    """

    def next_chunk() -> bytes | None:
        return next(iterator, None)

    try:
        while (chunk := await sync_to_async(next_chunk, thread_sensitive=False)()) is not None:
            yield chunk
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            await sync_to_async(close, thread_sensitive=False)()


# --- The response --------------------------------------------------------------------------


def _common_headers(
    response: HttpResponse | StreamingHttpResponse,
    *,
    etag: str,
    content_type: str,
    filename: str,
    attachment: bool,
) -> None:
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Content-Disposition"] = content_disposition(filename, attachment=attachment)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    response["Vary"] = "Cookie"
    if content_type.split(";")[0].strip().lower() == "application/pdf":
        # No policy at all (not even the site's): Chrome's PDF viewer is blocked by
        # a sandbox and by "object-src 'none'".
        response._csp_config = {}  # type: ignore[union-attr]
    else:
        response["Content-Security-Policy"] = FILE_CSP


def ranged_file_response(
    request: HttpRequest,
    *,
    storage: Storage,
    name: str,
    size: int,
    content_type: str,
    filename: str,
    attachment: bool,
) -> HttpResponse | StreamingHttpResponse:
    """200 with the whole file, 206 with one range, 304, or 416 — see the module text."""
    etag = etag_for(name, size)
    headers = {"etag": etag, "content_type": content_type, "filename": filename}
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        not_modified = HttpResponse(status=304)
        _common_headers(not_modified, attachment=attachment, **headers)
        return not_modified
    byte_range: ByteRange | None
    range_header = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range.strip() != etag:
        range_header = ""  # the file changed since the client's copy: send it whole
    try:
        byte_range = parse_range(range_header, size)
    except Unsatisfiable:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        _common_headers(refused, attachment=attachment, **headers)
        return refused
    status = 206 if byte_range is not None else 200
    if byte_range is None:
        byte_range = ByteRange(0, size - 1)
    if request.method == "HEAD":
        response: HttpResponse | StreamingHttpResponse = HttpResponse(
            status=status, content_type=content_type
        )
    else:
        try:
            chunks = open_range(storage, name, byte_range)
        except FileNotFoundError:
            # The row names a file the storage no longer has (restored backup, manual
            # cleanup): a 404 rather than a response that breaks off.
            raise Http404 from None
        content: Iterator[bytes] | AsyncIterator[bytes] = (
            _async_chunks(chunks) if isinstance(request, ASGIRequest) else chunks
        )
        response = StreamingHttpResponse(content, status=status, content_type=content_type)
    response["Content-Length"] = str(max(0, byte_range.length))
    if status == 206:
        response["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
    _common_headers(response, attachment=attachment, **headers)
    return response


__all__ = ["CHUNK_BYTES", "content_disposition", "etag_for", "parse_range", "ranged_file_response"]

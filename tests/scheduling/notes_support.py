"""Objects for the notes tests: sessions of Dana's with Avi, group sessions, files.

No tests here; the ``test_notes*`` modules import these.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from loom.accounts.models import User
from loom.scheduling.models import SeatStatus, Session, SessionSeat, SessionType

MARKER = "PRIVATE-MARKER-7f3a"
# Each default session starts two hours before the previous one, so one coach's
# sessions never overlap (PostgreSQL's exclusion constraint).
_earlier = itertools.count(1)


def _default_start() -> datetime:
    return timezone.now() - timedelta(hours=2 * next(_earlier) - 1)


def notes_type(coach: User, *, capacity: int = 1) -> SessionType:
    return SessionType.objects.create(
        coach=coach, name_en="Notes session", duration_minutes=60, capacity=capacity
    )


def one_to_one(
    coach: User,
    client: User,
    *,
    starts_at: datetime | None = None,
    status: str = "scheduled",
) -> Session:
    """A session of ``coach`` with ``client``; by default it has started (in the past)."""
    start = starts_at or _default_start()
    return Session.objects.create(
        coach=coach,
        client=client,
        session_type=notes_type(coach),
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        coach_timezone=coach.timezone,
        status=status,
    )


def group(coach: User, seat_holders: list[User], *, starts_at: datetime | None = None) -> Session:
    start = starts_at or _default_start()
    session = Session.objects.create(
        coach=coach,
        client=None,
        capacity=5,
        session_type=notes_type(coach, capacity=5),
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        coach_timezone=coach.timezone,
        status="scheduled",
    )
    for person in seat_holders:
        SessionSeat.objects.create(session=session, client=person, status=SeatStatus.TAKEN)
    return session


# --- Files ---------------------------------------------------------------------------------


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


def pixel_bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A tiny PNG whose header claims a huge canvas (the IHDR is all that matters)."""
    data = bytearray(png_bytes(1, 1))
    # IHDR data starts at byte 16: width and height, big-endian; fix the CRC after.
    import struct
    import zlib

    data[16:20] = struct.pack(">I", width)
    data[20:24] = struct.pack(">I", height)
    crc = zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF
    data[29:33] = struct.pack(">I", crc)
    return bytes(data)


CONTENT_TYPES_DOCX = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def docx_bytes(
    extra: dict[str, bytes] | None = None, *, content_types: str = CONTENT_TYPES_DOCX
) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("word/document.xml", "<w:document/>")
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return out.getvalue()


def zip_bomb_docx(megabytes: int = 300) -> bytes:
    """A docx with one entry that unpacks to ``megabytes`` of zeros (a few hundred KB packed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES_DOCX)
        with archive.open("word/media/padding.bin", "w", force_zip64=True) as member:
            block = b"\x00" * (1024 * 1024)
            for _ in range(megabytes):
                member.write(block)
    return out.getvalue()


def many_entries_docx(count: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES_DOCX)
        for index in range(count):
            archive.writestr(f"word/e{index}.xml", b"")
    return out.getvalue()

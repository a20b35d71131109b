"""Real files for the resources tests, built in memory (no fixtures on disk).

Each builder returns bytes of a genuine file of its type, so the validator, the
browser's players and the viewers see what a coach would upload.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from PIL import Image


def pdf_bytes(text: str = "Loom worksheet") -> bytes:
    """A one-page PDF with ``text`` (ASCII), with a correct cross-reference table."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def png_bytes(width: int = 64, height: int = 48, color: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def text_bytes(text: str = "# Breathing\n\nFour counts in, four out.\n") -> bytes:
    return text.encode("utf-8")


def docx_bytes() -> bytes:
    """A minimal Word document (the parts the validator and Word look at)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>Worksheet</w:t></w:r></w:p></w:body></w:document>",
        )
    return out.getvalue()


# --- Audio and video -------------------------------------------------------------------------
#
# Encoded with PyAV (FFmpeg) so Chromium's players accept them. Small by default; the
# ``min_bytes`` of ``webm_bytes`` pads a real file to a size without breaking it.

_SAMPLE_RATE = 48_000
_FRAME_RATE = 10


def _tone(seconds: float, rate: int, frame_samples: int) -> Iterator[Any]:
    """A quiet 440 Hz tone, as planar float frames of ``frame_samples``."""
    import av
    import numpy

    total = max(1, round(seconds * rate))
    for start in range(0, total, frame_samples):
        count = min(frame_samples, total - start)
        times = (numpy.arange(start, start + count) / rate).astype(numpy.float32)
        samples = (0.2 * numpy.sin(2 * numpy.pi * 440 * times)).astype(numpy.float32)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        yield frame


def _encode(
    *,
    container_format: str,
    seconds: float,
    video_codec: str | None,
    audio_codec: str | None,
    audio_rate: int = _SAMPLE_RATE,
    options: dict[str, str] | None = None,
) -> bytes:
    import av
    import numpy

    out = io.BytesIO()
    with av.open(out, mode="w", format=container_format, options=options or {}) as container:
        video = None
        if video_codec:
            video = container.add_stream(video_codec, rate=_FRAME_RATE)
            video.width, video.height = 160, 120
            video.pix_fmt = "yuv420p"
        audio = None
        if audio_codec:
            audio = container.add_stream(audio_codec, rate=audio_rate)
            audio.layout = "mono"
        tones = iter(())
        if audio is not None:
            tones = _tone(seconds, audio_rate, audio.codec_context.frame_size or 1024)
        if video is not None:
            # Audio is interleaved with the video, second by second, as real files are:
            # Chromium fails to decode a streamed WebM whose audio all comes after its
            # video (PIPELINE_ERROR_DECODE), though the same bytes play from a blob.
            audio_until = 0.0
            for index in range(max(1, round(seconds * _FRAME_RATE))):
                pixels = numpy.full((120, 160, 3), (index * 12) % 256, dtype=numpy.uint8)
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = index
                container.mux(video.encode(frame))
                while audio is not None and audio_until <= (index + 1) / _FRAME_RATE:
                    tone = next(tones, None)
                    if tone is None:
                        break
                    container.mux(audio.encode(tone))
                    audio_until = (tone.pts + tone.samples) / audio_rate
            container.mux(video.encode(None))
        if audio is not None:
            for tone in tones:
                container.mux(audio.encode(tone))
            container.mux(audio.encode(None))
    return out.getvalue()


def _read_vint(data: bytes, offset: int) -> tuple[int, int]:
    """An EBML variable-length integer at ``offset``: (value, its length in bytes)."""
    first = data[offset]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    value = first & (0xFF >> length)
    for byte in data[offset + 1 : offset + length]:
        value = (value << 8) | byte
    return value, length


def _size_vint(value: int, length: int = 8) -> bytes:
    return ((1 << (7 * length)) | value).to_bytes(length, "big")


def _padded_webm_head(data: bytes, pad_to: int) -> tuple[bytes, int]:
    """``data`` with its Segment grown to end in an EBML Void element, and the Void's body size.

    Void (ID 0xEC) may stand anywhere and is skipped by every reader, so appending it as
    the Segment's last child keeps every offset (SeekHead, Cues) right. The caller
    appends the Void's body (that many zero bytes).
    """
    header_size, header_size_length = _read_vint(data, 4)
    segment_at = 4 + header_size_length + header_size
    if data[segment_at : segment_at + 4] != b"\x18\x53\x80\x67":
        raise ValueError("not a WebM file with a Segment after its EBML header")
    _, size_length = _read_vint(data, segment_at + 4)
    body_at = segment_at + 4 + size_length
    void_head = 1 + 8
    body_size = max(0, pad_to - len(data) - void_head)
    segment_size = len(data) - body_at + void_head + body_size
    head = (
        data[: segment_at + 4]
        + _size_vint(segment_size, size_length)
        + data[body_at:]
        + b"\xec"
        + _size_vint(body_size)
    )
    return head, body_size


def webm_bytes(seconds: float = 1.0, *, min_bytes: int = 0) -> bytes:
    """A playable WebM (VP8 video + Opus audio) of ``seconds``, at least ``min_bytes`` long."""
    data = _encode(
        container_format="webm", seconds=seconds, video_codec="libvpx", audio_codec="libopus"
    )
    if len(data) >= min_bytes:
        return data
    head, padding = _padded_webm_head(data, min_bytes)
    return head + bytes(padding)


def webm_stream(
    total_bytes: int, *, seconds: float = 1.0, chunk_bytes: int = 1024 * 1024
) -> tuple[int, Iterator[bytes]]:
    """A valid WebM of exactly ``total_bytes``, as (size, chunks) — never all in memory."""
    data = _encode(
        container_format="webm", seconds=seconds, video_codec="libvpx", audio_codec="libopus"
    )
    head, padding = _padded_webm_head(data, total_bytes)

    def chunks() -> Iterator[bytes]:
        yield head
        zeros = bytes(chunk_bytes)
        left = padding
        while left > 0:
            yield zeros[: min(left, chunk_bytes)]
            left -= chunk_bytes

    return len(head) + padding, chunks()


def mp4_bytes(seconds: float = 1.0) -> bytes:
    """An MP4 (H.264 + AAC); its index comes last, so players fetch it with a range."""
    return _encode(
        container_format="mp4", seconds=seconds, video_codec="libx264", audio_codec="aac"
    )


def m4a_bytes(seconds: float = 1.0) -> bytes:
    """AAC audio in an MP4 container branded ``M4A `` (as iTunes and phones write it)."""
    return _encode(container_format="ipod", seconds=seconds, video_codec=None, audio_codec="aac")


def mp3_bytes(seconds: float = 1.0) -> bytes:
    """An MP3 with an ID3v2 tag in front, as most encoders write it."""
    return _encode(
        container_format="mp3",
        seconds=seconds,
        video_codec=None,
        audio_codec="libmp3lame",
        audio_rate=44_100,
    )


def wav_bytes(seconds: float = 1.0) -> bytes:
    """16-bit PCM WAV, built with the standard library."""
    import math
    import struct
    import wave

    rate = 16_000
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(
            b"".join(
                struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * index / rate)))
                for index in range(round(seconds * rate))
            )
        )
    return out.getvalue()


def ogg_bytes(seconds: float = 1.0) -> bytes:
    """Opus audio in an Ogg container."""
    return _encode(container_format="ogg", seconds=seconds, video_codec=None, audio_codec="libopus")


def vtt_text(cues: tuple[tuple[float, float, str], ...] = ((0.0, 1.0, "Breathe in"),)) -> bytes:
    """A WebVTT captions file with ``cues`` of (start seconds, end seconds, text)."""

    def stamp(value: float) -> str:
        minutes, seconds = divmod(value, 60)
        return f"00:{int(minutes):02d}:{seconds:06.3f}"

    body = "".join(f"\n{stamp(start)} --> {stamp(end)}\n{text}\n" for start, end, text in cues)
    return f"WEBVTT\n{body}".encode()


# --- Hostile files (the attack corpus) -------------------------------------------------------


def gif_bytes(width: int = 4, height: int = 3) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(out, format="GIF")
    return out.getvalue()


def gif_js_polyglot() -> bytes:
    """``GIF89a/*…*/=alert(1);``: a GIF that is also a script (the width opens a comment)."""
    data = bytearray(gif_bytes())
    data[6:8] = b"/*"
    return bytes(data[:-1]) + b"*/=alert(1);"


def gif_with_trailing_script() -> bytes:
    """A well-formed GIF with a script after its trailer."""
    return gif_bytes() + b"\n*/alert(document.cookie)//"


def gif_with_script_comment() -> bytes:
    """A GIF whose comment extension closes a JavaScript comment and runs code."""
    data = gif_bytes()
    comment = b"*/=alert(1);/*"
    extension = b"\x21\xfe" + bytes([len(comment)]) + comment + b"\x00"
    return data[:-1] + extension + b"\x3b"


def png_with_trailing_html() -> bytes:
    return png_bytes() + b"<html><script>alert(1)</script></html>"


def png_with_script_text_chunk() -> bytes:
    """A PNG with a tEXt chunk holding a ``<script>`` (structurally valid)."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, format="JPEG")
    return out.getvalue()


def jpeg_with_trailing_html() -> bytes:
    return jpeg_bytes() + b"<svg onload=alert(1)>"


def svg_with_script() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">'
        b"<script>alert(document.domain)</script></svg>"
    )


def html_page() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def elf_bytes() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + bytes(56) + b"\x90" * 64


def pe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00" + bytes(52) + b"\x80\x00\x00\x00" + b"PE\x00\x00" * 8


def zip_bomb_docx(uncompressed_megabytes: int = 300) -> bytes:
    """A .docx-looking zip that unpacks to ``uncompressed_megabytes`` of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        with archive.open("word/media/padding.bin", "w", force_zip64=True) as member:
            block = bytes(1024 * 1024)
            for _ in range(uncompressed_megabytes):
                member.write(block)
    return out.getvalue()


def pixel_flood_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels."""
    import struct
    import zlib

    data = bytearray(png_bytes(1, 1))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)

"""loom/core/uploads.py: types by content, sizes, bombs, hostile names."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from loom.core.uploads import (
    DOCX,
    GIF,
    JPEG,
    PDF,
    PNG,
    PPTX,
    TEXT,
    WEBP,
    XLSX,
    UploadPolicy,
    safe_filename,
    validate_upload,
)
from tests.scheduling.notes_support import (
    CONTENT_TYPES_DOCX,
    docx_bytes,
    many_entries_docx,
    pdf_bytes,
    pixel_bomb_png,
    png_bytes,
    upload,
    zip_bomb_docx,
)

POLICY = UploadPolicy(
    max_bytes={"document": 1024 * 1024, "image": 512 * 1024},
    max_image_pixels=1_000_000,
    max_zip_entries=50,
    max_zip_uncompressed_bytes=4 * 1024 * 1024,
)


def refused(name: str, data: bytes, policy: UploadPolicy = POLICY) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload(name, data), policy=policy)
    return str(caught.value.code)


def image(fmt: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (3, 2), "red").save(out, fmt)
    return out.getvalue()


def ooxml(kind: str) -> bytes:
    main = {
        "xlsx": "spreadsheetml.sheet",
        "pptx": "presentationml.presentation",
    }[kind]
    types = CONTENT_TYPES_DOCX.replace("wordprocessingml.document", main)
    return docx_bytes(content_types=types)


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("Plan.pdf", pdf_bytes(), PDF),
        ("photo.PNG", png_bytes(), PNG),
        ("photo.jpeg", image("JPEG"), JPEG),
        ("photo.jpg", image("JPEG"), JPEG),
        ("anim.gif", image("GIF"), GIF),
        ("pic.webp", image("WEBP"), WEBP),
        ("Letter.docx", docx_bytes(), DOCX),
        ("Budget.xlsx", ooxml("xlsx"), XLSX),
        ("Deck.pptx", ooxml("pptx"), PPTX),
        ("notes.txt", "שלום, hello\n".encode(), TEXT),
        ("list.csv", b"a,b\n1,2\n", TEXT),
    ],
)
def test_accepted_types_are_decided_by_content(name: str, data: bytes, kind: Any) -> None:
    checked = validate_upload(upload(name, data, "application/x-whatever"), policy=POLICY)
    assert checked.kind is kind
    assert checked.content_type == kind.content_type
    assert checked.size == len(data)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 200, "executable"),
        ("tool.exe", b"MZ\x90\x00" + b"\x00" * 200, "executable"),
        ("run.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "executable"),
        ("script.txt", b"#!/bin/sh\nrm -rf /\n", "executable"),
        ("page.html", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "markup"),
        ("page.txt", b"  <html><body>hi</body></html>", "markup"),
        ("hidden.txt", b"hello there\n<script>alert(1)</script>\n", "markup"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "markup",
        ),
        ("logo.png", b'<?xml version="1.0"?><svg onload="alert(1)"/>', "markup"),
        ("photo.pdf", png_bytes(), "extension_mismatch"),
        ("report.png", pdf_bytes(), "extension_mismatch"),
        ("doc.pdf", docx_bytes(), "extension_mismatch"),
        ("noext", pdf_bytes(), "extension_mismatch"),
        ("data.bin", b"\x00\x01\x02binary", "not_allowed"),
        ("latin.txt", "caf\xe9".encode("latin-1"), "not_allowed"),
        ("nul.txt", b"abc\x00def", "not_allowed"),
        ("archive.docx", b"PK\x03\x04" + b"\x00" * 100, "not_allowed"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_hostile_and_wrong_files_are_refused(name: str, data: bytes, code: str) -> None:
    assert refused(name, data) == code


def test_plain_zip_without_office_content_types_is_refused() -> None:
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.exe", b"MZ")
    assert refused("files.docx", out.getvalue()) == "not_allowed"


def test_macro_documents_are_refused() -> None:
    data = docx_bytes({"word/vbaProject.bin": b"\x00" * 10})
    assert refused("macro.docx", data) == "macros"


def test_zip_bomb_is_refused_from_the_central_directory() -> None:
    data = zip_bomb_docx(megabytes=8)
    assert len(data) < 100 * 1024  # tiny on the wire
    assert refused("bomb.docx", data) == "zip_bomb"


def test_zip_with_too_many_entries_is_refused() -> None:
    assert refused("many.docx", many_entries_docx(60)) == "zip_bomb"


def test_pixel_bomb_is_refused_before_decoding() -> None:
    data = pixel_bomb_png(50_000, 50_000)
    assert len(data) < 1000
    assert refused("bomb.png", data) == "too_many_pixels"


def test_image_just_over_the_pixel_limit_is_refused() -> None:
    policy = UploadPolicy(max_image_pixels=15, max_bytes=POLICY.max_bytes)
    assert refused("small.png", png_bytes(4, 4), policy) == "too_many_pixels"
    assert validate_upload(upload("ok.png", png_bytes(3, 5)), policy=policy).kind is PNG


def test_size_limits_are_per_family() -> None:
    big_text = b"a" * (600 * 1024)
    # Within the document limit (1 MB), over the image limit (512 KB): text passes.
    assert validate_upload(upload("big.txt", big_text), policy=POLICY).kind is TEXT
    assert refused("huge.txt", b"a" * (1024 * 1024 + 1)) == "too_large"
    png = png_bytes()
    padded = png + b"\x00" * (600 * 1024)  # trailing bytes after IEND
    assert refused("padded.png", padded) == "too_large"


def test_declared_size_over_the_limit_is_refused_without_reading() -> None:
    class Liar(io.BytesIO):
        name = "x.pdf"
        size = 10**12

        def read(self, *args: Any) -> bytes:
            raise AssertionError("read before the size check")

    with pytest.raises(ValidationError) as caught:
        validate_upload(Liar(b""), policy=POLICY)
    assert caught.value.code == "too_large"


def test_reads_in_chunks_never_whole() -> None:
    class Watched(io.BytesIO):
        name = "notes.txt"
        biggest = 0

        def read(self, size: int | None = -1) -> bytes:
            assert size is not None and size > 0, "read() of the whole file"
            data = super().read(size)
            Watched.biggest = max(Watched.biggest, len(data))
            return data

    data = b"line of text\n" * 50_000  # 650 KB
    checked = validate_upload(Watched(data), policy=POLICY)
    assert checked.size == len(data)
    assert Watched.biggest <= 64 * 1024


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("a\u2066b\u2069c\u202a\u202b\u202c\u202d.pdf", "abc.pdf"),
        ("tab\there\nnew\x00line.txt", "tab here newline.txt"),
        ("   .hidden.pdf  ", "hidden.pdf"),
        ("zero\u200bwidth.pdf", "zerowidth.pdf"),
        ("", "file"),
        ("...", "file"),
        ("שלום.pdf", "שלום.pdf"),
    ],
)
def test_safe_filename(raw: str, clean: str) -> None:
    assert safe_filename(raw) == clean


def test_long_names_keep_their_extension() -> None:
    name = safe_filename("x" * 500 + ".pdf")
    assert len(name) == 120
    assert name.endswith(".pdf")


def test_bidi_name_cannot_disguise_a_program() -> None:
    # "report<RLO>fdp.exe" shows as "reportexe.pdf" in a bidi-aware UI.
    assert refused("report\u202efdp.exe", b"MZ" + b"\x00" * 64) == "executable"
    assert refused("report\u202efdp.exe", pdf_bytes()) == "extension_mismatch"


def test_policy_from_settings(settings: Any) -> None:
    settings.LOOM_UPLOAD_MAX_DOCUMENT_BYTES = 123
    settings.LOOM_UPLOAD_MAX_IMAGE_PIXELS = 456
    policy = UploadPolicy.from_settings()
    assert policy.max_bytes["document"] == 123
    assert policy.max_image_pixels == 456
    assert ".pdf" in policy.accept_attribute


@pytest.mark.parametrize(
    ("size", "label"),
    [(7, "7 B"), (512 * 1024, "512 KB"), (20 * 1024 * 1024, "20 MB"), (2_500_000, "2.4 MB")],
)
def test_file_size_label(size: int, label: str) -> None:
    from loom.core.uploads import file_size_label

    assert file_size_label(size) == label

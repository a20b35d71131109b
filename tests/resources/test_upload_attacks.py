"""The attack corpus: hostile files through the validator and through the real upload view.

Each is refused with a clear message and a stable code, and leaves nothing behind: no
resource row and no file in storage. Hostile names are accepted after cleaning when
the content is fine.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from loom.core.uploads import validate_upload
from loom.resources import file_services
from loom.resources.files import resource_upload_policy
from loom.resources.models import Resource
from tests.conftest import signed_in
from tests.resources import media

pytestmark = pytest.mark.django_db

URL = "/coach/resources/upload/"


@pytest.fixture(autouse=True)
def storage(settings: Any, tmp_path: Path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


# (file name, bytes builder, code, words the message must contain)
CORPUS: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("report.pdf", media.html_page, "markup", "Web pages"),
    ("cat.gif", media.gif_js_polyglot, "polyglot", "script"),
    ("cat.gif", media.gif_with_trailing_script, "polyglot", "script"),
    ("cat.gif", media.gif_with_script_comment, "polyglot", "script"),
    ("cat.png", media.png_with_trailing_html, "polyglot", "script"),
    ("cat.png", media.png_with_script_text_chunk, "polyglot", "script"),
    ("cat.jpg", media.jpeg_with_trailing_html, "polyglot", "script"),
    ("logo.svg", media.svg_with_script, "markup", "SVG"),
    ("logo.png", media.svg_with_script, "markup", "SVG"),
    ("tool.pdf", media.elf_bytes, "executable", "Programs"),
    ("setup.exe", media.pe_bytes, "executable", "Programs"),
    ("setup.pdf", media.pe_bytes, "executable", "Programs"),
    ("Letter.docx", media.zip_bomb_docx, "zip_bomb", "unpacks"),
    ("huge.png", media.pixel_flood_png, "too_many_pixels", "pixels"),
    ("song.mp3", media.pdf_bytes, "extension_mismatch", ".pdf"),
    ("clip.mp4", media.webm_bytes, "extension_mismatch", ".webm"),
]
IDS = [f"{name}-{build.__name__}" for name, build, _code, _words in CORPUS]


@pytest.mark.parametrize(("name", "build", "code", "words"), CORPUS, ids=IDS)
def test_the_validator_refuses_it(name: str, build: Any, code: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload(name, build()), policy=resource_upload_policy())
    assert caught.value.code == code
    assert words in caught.value.messages[0]


@pytest.mark.parametrize(("name", "build", "code", "words"), CORPUS, ids=IDS)
def test_the_upload_view_refuses_it_and_stores_nothing(
    world: Any, storage: Path, name: str, build: Any, code: str, words: str
) -> None:
    client = signed_in(world.dana)
    response = client.post(
        URL, {"files": upload(name, build())}, headers={"accept": "application/json"}
    )
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == code
    assert words in problem["detail"]
    page = client.post(URL, {"files": upload(name, build())})
    assert page.status_code == 400
    assert not Resource.objects.exists()
    assert stored_files(storage) == []


def test_a_zip_with_too_many_entries_is_a_bomb(world: Any, settings: Any, storage: Path) -> None:
    import io
    import zipfile

    settings.LOOM_UPLOAD_MAX_ZIP_ENTRIES = 100
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for index in range(150):
            archive.writestr(f"word/e{index}.xml", b"")
    response = signed_in(world.dana).post(
        URL,
        {"files": upload("Letter.docx", out.getvalue())},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "zip_bomb"
    assert stored_files(storage) == []


@pytest.mark.parametrize(
    ("hostile", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\boot.pdf", "boot.pdf"),
        ("plan\x00.exe.pdf", "plan.exe.pdf"),
        ("invoice\u202efdp.exe.pdf", "invoicefdp.exe.pdf"),
        ("...hidden.pdf", "hidden.pdf"),
    ],
)
def test_hostile_names_are_cleaned_when_the_content_is_fine(
    world: Any, storage: Path, hostile: str, clean: str
) -> None:
    # Django's multipart parser already drops path parts from names (see the next
    # test); the service cleans whatever reaches it, so the raw name goes to it here.
    resource = file_services.resource_create_from_upload(
        coach=world.dana, upload=SimpleUploadedFile(hostile, media.pdf_bytes())
    )
    assert resource.original_name == clean
    assert "/" not in resource.original_name and "\x00" not in resource.original_name
    assert "\u202e" not in resource.title
    assert all(path.resolve().is_relative_to(storage.resolve()) for path in stored_files(storage))


def test_a_hostile_multipart_name_is_cleaned_through_the_view(world: Any) -> None:
    body = (
        b"--BOUNDARY\r\n"
        b'Content-Disposition: form-data; name="files"; filename="../../x\xe2\x80\xaefdp.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + media.pdf_bytes() + b"\r\n--BOUNDARY--\r\n"
    )
    response = signed_in(world.dana).generic(
        "POST",
        URL,
        body,
        content_type="multipart/form-data; boundary=BOUNDARY",
        headers={"accept": "application/json"},
    )
    assert response.status_code == 201
    resource = Resource.objects.get()
    assert resource.original_name == "xfdp.pdf"


def test_one_byte_over_the_document_limit_is_413(world: Any, settings: Any, storage: Path) -> None:
    data = media.pdf_bytes()
    settings.LOOM_RESOURCE_MAX_DOCUMENT_BYTES = len(data) - 1
    response = signed_in(world.dana).post(
        URL, {"files": upload("Plan.pdf", data)}, headers={"accept": "application/json"}
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert not Resource.objects.exists()
    assert stored_files(storage) == []


def test_more_files_than_allowed_is_400(world: Any, settings: Any, storage: Path) -> None:
    settings.LOOM_RESOURCE_MAX_FILES_PER_UPLOAD = 2
    files = [upload(f"{index}.pdf", media.pdf_bytes()) for index in range(3)]
    response = signed_in(world.dana).post(
        URL, {"files": files}, headers={"accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "You can upload up to 2 files at once."
    assert not Resource.objects.exists()
    assert stored_files(storage) == []

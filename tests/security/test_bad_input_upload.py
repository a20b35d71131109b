"""Photo uploads: what ``tests/accounts/test_profile.py`` does not already cover.

That file proves the account page refuses non-images, SVG, bombs, GIFs, empty and
truncated files and oversized photos, and strips metadata. Here: polyglots (a real
image carrying a script) are stored only as a fresh re-encoding and served inert;
hostile file names never reach storage; the onboarding steps refuse bad photos
without stamping the step; too many files or too large a request is a 400.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from loom.accounts.models import CoachClient, Role, SecurityPolicy
from tests.conftest import signed_in
from tests.factories import UserFactory
from tests.security.bad_input import assert_form_error, assert_nothing_written, snapshot

pytestmark = pytest.mark.django_db

PAYLOAD = b"<html><script>alert(document.cookie)</script></html>"
STORED_NAME = re.compile(r"^avatars/\d{4}/\d{2}/\d+-[0-9a-f]{16}\.webp$")


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path, db) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    SecurityPolicy.current()
    yield
    cache.clear()


def _png(size=(64, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (234, 88, 12)).save(out, "PNG")
    return out.getvalue()


def _jpeg_with_comment(comment: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (23, 23, 23)).save(out, "JPEG", comment=comment)
    return out.getvalue()


def _post_photo(client: Client, upload: SimpleUploadedFile, user) -> object:
    return client.post(
        "/account/",
        {
            "full_name": user.full_name,
            "language": user.language,
            "timezone": user.timezone,
            "avatar": upload,
        },
    )


def _stored_bytes(user) -> bytes:
    user.refresh_from_db()
    with user.avatar.open("rb") as handle:
        return handle.read()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("photo.png", _png() + PAYLOAD, id="script-after-the-png-end"),
        pytest.param("photo.jpg", _jpeg_with_comment(PAYLOAD), id="script-in-a-jpeg-comment"),
        pytest.param("photo.html", _png() + PAYLOAD, id="image-named-html"),
    ],
)
def test_a_polyglot_is_stored_only_as_a_clean_reencoding_and_served_inert(world, name, content):
    client = signed_in(world.avi)
    response = _post_photo(
        client, SimpleUploadedFile(name, content, content_type="text/html"), world.avi
    )
    assert response.status_code == 302
    stored = _stored_bytes(world.avi)
    assert stored[:4] == b"RIFF" and stored[8:12] == b"WEBP"
    assert b"script" not in stored and b"<html" not in stored
    assert STORED_NAME.match(world.avi.avatar.name), world.avi.avatar.name
    served = client.get(world.avi.avatar_url)
    assert served["Content-Type"] == "image/webp"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert b"script" not in b"".join(served.streaming_content)


@pytest.mark.parametrize(
    "name",
    [
        "../../../../etc/passwd.png",
        "..\\..\\windows\\win.ini.png",
        "a" * 10_000 + ".png",
        "<script>alert(1)</script>.png",
        "photo\u202egnp.exe",
        "photo.png\x00.html",
        "",
    ],
    ids=[
        "parent-dirs",
        "windows-parent-dirs",
        "10000-chars",
        "markup",
        "bidi-override",
        "nul",
        "empty",
    ],
)
def test_hostile_file_names_never_reach_storage(world, settings, name):
    client = signed_in(world.avi)
    response = _post_photo(
        client, SimpleUploadedFile(name or "x", _png(), content_type="image/png"), world.avi
    )
    assert response.status_code in (302, 400)
    world.avi.refresh_from_db()
    if world.avi.avatar:
        assert STORED_NAME.match(world.avi.avatar.name), world.avi.avatar.name
    for path in settings.MEDIA_ROOT.rglob("*") if settings.MEDIA_ROOT.exists() else []:
        assert path.resolve().is_relative_to(settings.MEDIA_ROOT.resolve())
        if path.is_file():
            assert STORED_NAME.match(path.relative_to(settings.MEDIA_ROOT).as_posix())


BAD_PHOTOS = [
    pytest.param(b"not an image at all" * 10, id="text"),
    pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', id="svg"),
    pytest.param(b"%PDF-1.4\n" + PAYLOAD, id="pdf"),
]


def _onboarding_person(role: str, world) -> Client:
    user = UserFactory(role=role, email=f"new.{role}@example.com", full_name="", onboarded=False)
    if role == Role.CLIENT:
        CoachClient.objects.create(coach=world.dana, client=user)
    return signed_in(user)


@pytest.mark.parametrize("content", BAD_PHOTOS)
@pytest.mark.parametrize(
    ("role", "path", "data"),
    [
        (
            Role.COACH,
            "/onboarding/coach/profile/",
            {"full_name": "Olga", "timezone": "Europe/Berlin", "languages_spoken": ["en"]},
        ),
        (
            Role.CLIENT,
            "/onboarding/client/profile/",
            {"full_name": "Ciara", "language": "en", "timezone": "Asia/Jerusalem"},
        ),
    ],
    ids=["coach-onboarding", "client-onboarding"],
)
def test_onboarding_refuses_a_bad_photo_and_does_not_stamp_the_step(
    world, settings, role, path, data, content
):
    client = _onboarding_person(role, world)
    client.get(path)
    before = snapshot()
    response = client.post(
        path, {**data, "avatar": SimpleUploadedFile("me.png", content, content_type="image/png")}
    )
    assert_form_error(response, path)
    assert "not a JPEG, PNG or WebP image" in response.content.decode()
    assert_nothing_written(before, path)
    assert not settings.MEDIA_ROOT.exists() or not any(
        p.is_file() for p in settings.MEDIA_ROOT.rglob("*")
    )


def test_too_many_files_in_one_request_is_a_400(world, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 5
    client = signed_in(world.avi)
    before = snapshot()
    files = [SimpleUploadedFile(f"p{n}.png", _png(), content_type="image/png") for n in range(6)]
    response = client.post(
        "/account/", {"full_name": "Avi", "language": "en", "timezone": "UTC", "avatar": files}
    )
    assert response.status_code == 400
    assert_nothing_written(before, "too many files")


def test_too_large_a_form_is_a_400_and_writes_nothing(world, settings):
    client = signed_in(world.avi)
    before = snapshot()
    response = client.post(
        "/account/",
        {
            "full_name": "Avi",
            "language": "en",
            "timezone": "UTC",
            "padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
        },
    )
    assert response.status_code == 400
    assert_nothing_written(before, "too large a form")


def test_a_photo_sent_as_a_text_field_stores_no_photo(world):
    """A client that posts the bytes as a plain field, not a file: no photo is read from it."""
    client = signed_in(world.avi)
    before = snapshot()
    response = client.post(
        "/account/",
        {
            "full_name": world.avi.full_name,
            "language": world.avi.language,
            "timezone": world.avi.timezone,
            "avatar": _png().decode("latin-1"),
        },
    )
    assert response.status_code == 302
    assert_nothing_written(before, "avatar as text")

"""The account page: name, language, time zone, photo (checked, stripped, private), deletion request."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from loom.accounts.images import AVATAR_MAX_SIDE
from loom.accounts.models import CoachProfile, User
from loom.core.models import AuditLog
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _jpeg_with_exif(size=(600, 300), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (234, 88, 12))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x013B] = "Photographer Name"  # Artist
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _png(size=(64, 64), mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 20, 30, 128) if mode == "RGBA" else (10, 20, 30)).save(out, "PNG")
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims huge dimensions (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _profile_post(client: Client, **overrides):
    user = client.get("/account/").wsgi_request.user
    data = {
        "full_name": user.full_name,
        "language": user.language,
        "timezone": user.timezone,
        **overrides,
    }
    return client.post("/account/", data)


def _upload(client: Client, name: str, content: bytes, content_type: str):
    return _profile_post(
        client, avatar=SimpleUploadedFile(name, content, content_type=content_type)
    )


# --- Name, language, time zone ---------------------------------------------------------------


def test_profile_page_lists_time_zones_and_links_to_account_security(world):
    page = signed_in(world.dana).get("/account/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<datalist id="timezone-options">' in html
    assert '<option value="Asia/Jerusalem">' in html
    assert 'list="timezone-options"' in html
    assert "/accounts/email/" in html
    assert "/accounts/password/change/" in html
    assert "/account/security/" in html
    assert "js/timezone.js" in html


def test_profile_changes_are_saved(world):
    response = _profile_post(
        signed_in(world.avi), full_name="Avi M.", language="he", timezone="Europe/Paris"
    )
    assert response.status_code == 302
    world.avi.refresh_from_db()
    assert (world.avi.full_name, world.avi.language, world.avi.timezone) == (
        "Avi M.",
        "he",
        "Europe/Paris",
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"timezone": "Atlantis/Capital"},
        {"timezone": "utc; drop table"},
        {"timezone": "Z" * 10_000},
        {"full_name": "x" * 10_000},
        {"full_name": "Avi\x00"},
        {"full_name": ""},
        {"language": "klingon"},
    ],
)
def test_bad_profile_input_is_refused_and_nothing_changes(world, overrides):
    response = _profile_post(signed_in(world.avi), **overrides)
    assert response.status_code == 400
    assert b"field-errors" in response.content
    world.avi.refresh_from_db()
    assert (world.avi.full_name, world.avi.language, world.avi.timezone) == (
        "Avi Mizrahi",
        "en",
        "Asia/Jerusalem",
    )


def test_coach_profile_is_edited_on_the_account_page(world):
    dana = signed_in(world.dana)
    assert (
        "coach-headline" in dana.get("/account/").content.decode()
        or "id_coach-headline" in dana.get("/account/").content.decode()
    )
    response = dana.post(
        "/account/coaching-profile/",
        {
            "coach-headline": "Leadership coach",
            "coach-bio": "Hello.",
            "coach-specialties": "leadership, teams",
            "coach-languages_spoken": ["en"],
        },
    )
    assert response.status_code == 302
    profile = CoachProfile.objects.get(user=world.dana)
    assert profile.headline == "Leadership coach"
    assert profile.specialties == ["leadership", "teams"]


def test_clients_have_no_coaching_profile(world):
    response = signed_in(world.avi).post("/account/coaching-profile/", {"coach-full_name": "x"})
    assert response.status_code == 302
    assert response["Location"] == "/client/"
    assert "coach-headline" not in signed_in(world.avi).get("/account/").content.decode()


# --- Language switch ------------------------------------------------------------------------


def test_switching_language_saves_it_on_the_account(world):
    avi = signed_in(world.avi)
    response = avi.post("/account/language/", {"language": "he", "next": "/account/"})
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    world.avi.refresh_from_db()
    assert world.avi.language == "he"
    assert 'lang="he" dir="rtl"' in avi.get("/account/").content.decode()


def test_switching_language_anonymously_sets_only_the_cookie(client, world):
    response = client.post("/account/language/", {"language": "he", "next": "/legal/terms/"})
    assert response["Location"] == "/legal/terms/"
    assert response.cookies["loom_language"].value == "he"


def test_switching_to_an_unknown_language_or_offsite_next_changes_nothing(world):
    avi = signed_in(world.avi)
    response = avi.post("/account/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    world.avi.refresh_from_db()
    assert world.avi.language == "en"


def test_the_header_switcher_posts_to_the_account_view(world):
    html = signed_in(world.avi).get("/account/").content.decode()
    assert 'action="/account/language/"' in html


def test_language_switch_refuses_get(world):
    assert signed_in(world.avi).get("/account/language/?language=he").status_code == 405
    world.avi.refresh_from_db()
    assert world.avi.language == "en"


# --- Photo -------------------------------------------------------------------------------------


def test_a_photo_is_resized_stripped_reencoded_and_rotated_upright(world):
    avi = signed_in(world.avi)
    response = _upload(
        avi, "holiday.jpg", _jpeg_with_exif(size=(1200, 600), orientation=6), "image/jpeg"
    )
    assert response.status_code == 302
    world.avi.refresh_from_db()
    assert world.avi.avatar.name.endswith(".webp")
    stored = world.avi.avatar.open("rb").read()
    assert b"SecretCameraMaker" not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.format == "WEBP"
    assert max(image.size) == AVATAR_MAX_SIDE
    # Orientation 6 means "rotate 90°": the wide photo becomes tall.
    assert image.size[1] > image.size[0]
    assert not image.getexif()


def test_png_with_transparency_is_accepted(world):
    assert _upload(signed_in(world.avi), "me.png", _png(), "image/png").status_code == 302
    world.avi.refresh_from_db()
    assert Image.open(world.avi.avatar.open("rb")).mode == "RGBA"


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("notes.png", b"This is plain text, not a picture.\n" * 20, "image/png"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>',
            "image/svg+xml",
        ),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "image/png"),
        ("bomb.png", _png_claiming(30_000, 30_000), "image/png"),
        ("huge.png", _png_claiming(100_000, 100_000), "image/png"),
        ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
        ("empty.jpg", b"", "image/jpeg"),
        ("truncated.jpg", _jpeg_with_exif()[:200], "image/jpeg"),
    ],
)
def test_hostile_or_wrong_uploads_are_refused_and_nothing_is_stored(
    world, settings, name, content, content_type
):
    response = _upload(signed_in(world.avi), name, content, content_type)
    assert response.status_code == 400
    assert b"field-errors" in response.content
    world.avi.refresh_from_db()
    assert not world.avi.avatar
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


def test_a_photo_over_the_size_limit_is_refused(world, settings):
    settings.LOOM_AVATAR_MAX_BYTES = 1000
    noisy = Image.effect_noise((200, 200), 100).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "PNG")
    response = _upload(signed_in(world.avi), "big.png", out.getvalue(), "image/png")
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    world.avi.refresh_from_db()
    assert not world.avi.avatar


def test_replacing_and_removing_a_photo_deletes_the_old_file(
    world, django_capture_on_commit_callbacks
):
    avi = signed_in(world.avi)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(avi, "one.png", _png(), "image/png")
    world.avi.refresh_from_db()
    first = world.avi.avatar.path
    with django_capture_on_commit_callbacks(execute=True):
        _upload(avi, "two.png", _png(size=(32, 32)), "image/png")
    world.avi.refresh_from_db()
    second = world.avi.avatar.path
    import os

    assert not os.path.exists(first)
    assert os.path.exists(second)
    with django_capture_on_commit_callbacks(execute=True):
        _profile_post(avi, remove_avatar="on")
    world.avi.refresh_from_db()
    assert not world.avi.avatar
    assert not os.path.exists(second)


def test_photos_are_visible_only_to_self_coach_clients_and_admins(world):
    _upload(signed_in(world.avi), "avi.png", _png(), "image/png")
    _upload(signed_in(world.dana), "dana.png", _png(), "image/png")
    avi_url = User.objects.get(pk=world.avi.pk).avatar_url
    dana_url = User.objects.get(pk=world.dana.pk).avatar_url
    assert avi_url.startswith(f"/account/avatar/{world.avi.pk}/?v=")

    for viewer, url, expected in (
        (world.avi, avi_url, 200),
        (world.dana, avi_url, 200),  # her client
        (world.admin, avi_url, 200),
        (world.noa, avi_url, 404),  # another client of the same coach
        (world.eli, avi_url, 404),  # another coach
        (world.maya, avi_url, 404),  # another coach's client
        (world.avi, dana_url, 200),  # his coach
        (world.maya, dana_url, 404),
    ):
        response = signed_in(viewer).get(url)
        assert response.status_code == expected, (viewer, url)
        if expected == 200:
            assert response["Content-Type"] == "image/webp"
            assert response["Cache-Control"] == "private, max-age=86400"
    anonymous = Client().get(avi_url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


def test_people_without_a_photo_and_unknown_ids_are_not_found(world):
    dana = signed_in(world.dana)
    assert dana.get(f"/account/avatar/{world.avi.pk}/").status_code == 404
    assert dana.get("/account/avatar/999999/").status_code == 404


def test_media_is_not_served_publicly(world):
    _upload(signed_in(world.avi), "avi.png", _png(), "image/png")
    world.avi.refresh_from_db()
    assert Client().get(f"/media-not-public/{world.avi.avatar.name}").status_code == 404
    assert Client().get(f"/media/{world.avi.avatar.name}").status_code == 404


# --- Deletion request --------------------------------------------------------------------------


def test_a_deletion_request_is_confirmed_recorded_and_can_be_withdrawn(world):
    avi = signed_in(world.avi)
    page = avi.get("/account/delete/")
    assert page.status_code == 200
    assert "not available in Loom yet" in page.content.decode()
    unconfirmed = avi.post("/account/delete/", {})
    assert unconfirmed.status_code == 400
    world.avi.refresh_from_db()
    assert world.avi.deletion_requested_at is None

    assert avi.post("/account/delete/", {"confirm": "on"}).status_code == 302
    world.avi.refresh_from_db()
    assert world.avi.deletion_requested_at is not None
    assert world.avi.is_active
    assert (
        AuditLog.objects.filter(action="account.deletion_requested", actor=world.avi).count() == 1
    )
    # Asking twice records once.
    avi.post("/account/delete/", {"confirm": "on"})
    assert AuditLog.objects.filter(action="account.deletion_requested").count() == 1

    assert avi.post("/account/delete/", {"cancel_request": "1"}).status_code == 302
    world.avi.refresh_from_db()
    assert world.avi.deletion_requested_at is None
    assert AuditLog.objects.filter(action="account.deletion_cancelled").count() == 1


def test_account_pages_need_a_sign_in(client):
    for url in ("/account/", "/account/delete/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

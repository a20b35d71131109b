"""The installable app's manifest, service worker and icons, as the server serves them."""

from __future__ import annotations

import json

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image

pytestmark = pytest.mark.django_db


def test_the_manifest_describes_an_installable_app() -> None:
    response = Client().get("/manifest.webmanifest", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Loom" and manifest["short_name"] == "Loom"
    assert manifest["start_url"] == "/home/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert (manifest["lang"], manifest["dir"]) == ("en", "ltr")
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes


def test_the_manifest_follows_the_language() -> None:
    response = Client().get("/manifest.webmanifest", headers={"Accept-Language": "he"})
    manifest = json.loads(response.content)
    assert (manifest["lang"], manifest["dir"]) == ("he", "rtl")


def test_every_icon_is_a_png_of_its_stated_size() -> None:
    manifest = json.loads(Client().get("/manifest.webmanifest").content)
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path, icon["src"]
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == icon["sizes"]
    # The maskable icon fills its square: no transparent corners for the mask to show.
    maskable = finders.find("icons/loom-maskable-512.png")
    assert isinstance(maskable, str)
    with Image.open(maskable) as image:
        corner = image.convert("RGBA").getpixel((0, 0))
    assert isinstance(corner, tuple) and corner[3] == 255


def test_the_service_worker_is_served_for_the_whole_site() -> None:
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert 'addEventListener("push"' in body and 'addEventListener("notificationclick"' in body
    assert "/static/icons/loom-192.png" in body
    assert "{{" not in body and "{%" not in body


def test_the_badge_is_white_on_transparent() -> None:
    path = finders.find("icons/loom-badge-96.png")
    assert path
    with Image.open(path) as image:
        data = image.convert("RGBA").tobytes()
        colours = {tuple(data[i : i + 3]) for i in range(0, len(data), 4) if data[i + 3] == 255}
        assert image.size == (96, 96)
    assert colours == {(255, 255, 255)}


@pytest.mark.parametrize("path", ["/manifest.webmanifest", "/sw.js"])
def test_only_get_is_allowed(path: str) -> None:
    assert Client().post(path).status_code == 405

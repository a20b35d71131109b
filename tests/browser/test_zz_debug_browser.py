import hashlib
import pytest
from django.urls import reverse
from tests.browser.test_resources_pages import build_library, sign_in_with_cookie
from tests.world import World

pytestmark = pytest.mark.browser

@pytest.mark.parametrize("viewport", ["1280"])
def test_debug_ranges(open_page, server_url, viewport):
    library = build_library(World.build(), language="en")
    page = open_page()
    sign_in_with_cookie(page, library.world.avi, server_url)
    with library.video.file.open("rb") as f:
        stored = f.read()
    url = f"/resources/{library.video.pk}/file/"
    for rng in (None, "bytes=0-", "bytes=65536-", "bytes=327680-", "bytes=100-199"):
        r = page.request.get(url, headers={"Range": rng} if rng else {})
        body = r.body()
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        expected = stored[start:] if not rng or rng.endswith("-") else stored[100:200]
        print(rng, r.status, len(body), len(expected), body == expected, r.headers.get("content-range"), r.headers.get("content-length"))

import time
import pytest
from django.urls import reverse
from loom.resources.models import ResourceKind
from tests.browser.test_resources_pages import sign_in_with_cookie
from tests.resources import media
from tests.resources.factories import make_resource, share
from tests.world import World

pytestmark = pytest.mark.browser

STATE = "() => { const v = document.querySelector('video'); return [v.currentTime, v.readyState, v.paused, v.error && v.error.message]; }"
PLAY = "() => { const v = document.querySelector('video'); v.muted = true; return v.play().then(() => 'ok', (e) => 'err ' + e); }"

@pytest.mark.parametrize("viewport", ["1280"])
def test_debug_play(open_page, server_url, viewport):
    world = World.build()
    page = open_page()
    sign_in_with_cookie(page, world.avi, server_url)
    r = make_resource(world.dana, kind=ResourceKind.VIDEO, title="v", content=media.webm_bytes(seconds=30), file_kind="webm", content_type="video/webm")
    share(r, world.avi)
    detail = reverse("resources_client:detail", args=(r.pk,))
    page.on("request", lambda q: print("REQ", q.url[-30:], q.headers.get("range"), q.headers.get("if-range")) if "/file/" in q.url else None)
    page.on("response", lambda q: print("RESP", q.status, q.headers.get("content-range"), q.headers.get("content-length")) if "/file/" in q.url else None)
    page.on("requestfailed", lambda q: print("FAILED", q.url[-30:], q.failure) if "/file/" in q.url else None)
    for how in ("clone", "preload-none"):
        page.goto(detail)
        time.sleep(1)
        if how == "clone":
            page.evaluate("() => { const v = document.querySelector('video'); v.replaceWith(v.cloneNode(true)); }")
        else:
            page.evaluate("() => { const v = document.querySelector('video'); const c = v.cloneNode(true); c.preload = 'none'; v.replaceWith(c); }")
        time.sleep(1)
        print("R", how, page.evaluate(PLAY))
        time.sleep(2); print("R", how, page.evaluate(STATE))

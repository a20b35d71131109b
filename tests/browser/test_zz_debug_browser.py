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
    cdp = page.context.new_cdp_session(page)
    cdp.on("Media.playerMessagesLogged", lambda e: [print("MSG", m["level"], m["message"][:300]) for m in e["messages"]])
    cdp.on("Media.playerErrorsRaised", lambda e: print("ERR", str(e)[:1500]))
    cdp.on("Media.playerPropertiesChanged", lambda e: [print("PROP", p["name"], str(p["value"])[:100]) for p in e["properties"]])
    cdp.send("Media.enable")
    import av, io, numpy
    def enc(gop, audio):
        out = io.BytesIO()
        with av.open(out, mode="w", format="webm") as container:
            video = container.add_stream("libvpx", rate=10)
            video.width, video.height = 160, 120
            video.pix_fmt = "yuv420p"
            if gop:
                video.codec_context.gop_size = gop
            a = None
            if audio:
                a = container.add_stream("libopus", rate=48000); a.layout = "mono"
            for index in range(300):
                pixels = numpy.full((120, 160, 3), (index * 12) % 256, dtype=numpy.uint8)
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = index
                container.mux(video.encode(frame))
            container.mux(video.encode(None))
            if a is not None:
                for tone in media._tone(30, 48000, a.codec_context.frame_size or 960):
                    container.mux(a.encode(tone))
                container.mux(a.encode(None))
        return out.getvalue()
    for name, data in (("gop10+audio", enc(10, True)), ("nogop-noaudio", enc(0, False)), ("gop10-noaudio", enc(10, False))):
        r = make_resource(world.dana, kind=ResourceKind.VIDEO, title="v", content=data, file_kind="webm", content_type="video/webm")
        share(r, world.avi)
        page.goto(reverse("resources_client:detail", args=(r.pk,)))
        time.sleep(1)
        print("R", name, page.evaluate(PLAY))
        time.sleep(2); print("R", name, page.evaluate(STATE))

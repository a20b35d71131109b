import pytest, time
from tests.browser.messaging_support import *
from tests.world import World
pytestmark = pytest.mark.browser
@pytest.fixture
def server_url(asgi_server_url): return asgi_server_url
@pytest.fixture
def viewport(): return "1280"
def test_t(open_page, server_url):
    w = World.build(); chat = conversation_of(w.dana, w.avi)
    p = open_as(open_page, w.dana, server_url, conversation_path(chat)); wait_chat_ready(p)
    print(p.evaluate("""async () => { const out = [];
      for (let i = 0; i < 40; i++) { const t0 = performance.now();
        await window.loomStream.command({type: 'message.send', conversation: %d, client_id: crypto.randomUUID(), body: 'x' + i});
        out.push(Math.round(performance.now() - t0)); }
      return out; }""" % chat.pk))

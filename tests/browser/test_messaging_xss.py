"""Every payload of the XSS corpus, sent through the chat, stays inert in a real browser.

The coach sends each payload from the composer (chat.js draws each from the message
dict the send returns); the client then opens the conversation (the newest page from
the server's data, older ones through "Load earlier messages"), and the last few
payloads arrive on that open page live, over the socket. Nothing may run: no dialog
opens, no marker a payload sets appears on ``window``, and no script, frame, embedded
object, event-handler attribute or script URL reaches the message DOM. CSP violation reports (something slipped past the sanitizer but the
policy stopped it) are counted and reported, not failed on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Dialog, Page, expect

from loom.messaging.models import Message
from tests.browser.conftest import PageOpener
from tests.browser.messaging_support import (
    composer,
    conversation_of,
    conversation_path,
    go_signed_in,
    wait_chat_ready,
)
from tests.browser.support import exact, t
from tests.messaging.xss_corpus import PAYLOADS
from tests.world import World

pytestmark = pytest.mark.browser

# The corpus calls alert(); these set a marker instead, so a payload that ran without a
# dialog (a blocked alert, a detached node) is caught too.
MARKER_PAYLOADS = [
    '<img src=x onerror="window.__loomXss=1">',
    '<svg><animate onbegin="window.__loomXss=2" attributeName=x dur=1s>',
    "[x](javascript:window.__loomXss=3)",
    '<a href="javascript:window.__loomXss=4" id="xss-link">link</a>',
    "<script>window.__loomXss=5</script>",
    '<input autofocus onfocus="window.__loomXss=6">',
]

WATCH = """() => {
  window.__loomCsp = [];
  // The page's own scripts and frames, once it has loaded: none may be added later.
  window.addEventListener('load', () => {
    window.__loomScripts = document.scripts.length;
    window.__loomFrames = document.querySelectorAll('iframe, frame, object, embed').length;
  });
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__loomCsp.push(event.violatedDirective + ' ' + event.blockedURI);
  });
}"""

# Messages in flight at once: the chat queues them in order; a small batch stays well
# inside the chat's 10 s reply timeout on a busy machine.
BATCH = 8
ARRIVED = "(count) => document.querySelectorAll('article.message[data-message-id]').length >= count"

# What must never appear inside a rendered message body.
DANGEROUS_DOM = """() => {
  const found = [];
  for (const body of document.querySelectorAll('article.message .message-body')) {
    for (const el of body.querySelectorAll('script, iframe, frame, object, embed, style, link, meta, base, form, input, svg, math, img, video, audio, source')) {
      found.push(el.outerHTML.slice(0, 120));
    }
    for (const el of body.querySelectorAll('*')) {
      for (const attr of el.attributes) {
        const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
        if (attr.name.toLowerCase().startsWith('on') || attr.name === 'style' || attr.name === 'srcdoc'
            || value.startsWith('javascript:') || value.startsWith('vbscript:') || value.startsWith('data:')) {
          found.push(el.outerHTML.slice(0, 120));
        }
      }
    }
  }
  return found;
}"""


@pytest.fixture
def server_url(asgi_server_url: str) -> str:
    return asgi_server_url


@pytest.fixture
def viewport() -> str:
    return "1280"


def _assert_inert(page: Page, dialogs: list[str], where: str) -> None:
    assert not dialogs, f"{where}: a payload opened a dialog: {dialogs}"
    assert page.evaluate("() => window.__loomXss === undefined"), (
        f"{where}: a payload ran (window.__loomXss = {page.evaluate('() => window.__loomXss')})"
    )
    added = page.evaluate(
        "() => [document.scripts.length - window.__loomScripts,"
        " document.querySelectorAll('iframe, frame, object, embed').length - window.__loomFrames]"
    )
    assert added == [0, 0], f"{where}: scripts or frames were added to the page: {added}"
    dangerous = page.evaluate(DANGEROUS_DOM)
    assert not dangerous, f"{where}: dangerous markup in messages: {dangerous}"


def test_xss_corpus_stays_inert_in_the_chat(
    open_page: PageOpener,
    server_url: str,
    settings: Any,
    record_property: Callable[[str, object], None],
) -> None:
    # Sixty-odd messages in a few seconds: this test is about rendering, not the
    # socket's flood limit (tests/messaging covers that), so the burst allowance is raised.
    settings.LOOM_SOCKET_RATE_BURST = 1000
    world = World.build()
    chat = conversation_of(world.dana, world.avi)
    path = conversation_path(chat)
    payloads = [*PAYLOADS, *MARKER_PAYLOADS]
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def open_chat(person: Any) -> Page:
        page = open_page()
        page.on("dialog", on_dialog)
        page.add_init_script(script=f"({WATCH})()")
        go_signed_in(page, person, server_url, path)
        wait_chat_ready(page)
        return page

    def send_each(sender: Page, watcher: Page, items: list[str], already: int) -> None:
        box = composer(sender, "en")
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            for payload in batch:
                box.fill(payload)
                box.press("Enter")
            # Confirmed (drawn from the server's dict) before the next batch, polled every
            # frame: expect()'s growing intervals would double this loop's time.
            watcher.wait_for_function(ARRIVED, arg=already + start + len(batch))

    # The corpus from the coach's page: each message is drawn from the dict the send
    # returns, exactly as an arriving one is.
    coach_page = open_chat(world.dana)
    send_each(coach_page, coach_page, PAYLOADS, 0)
    # The client opens the conversation: the newest page from the server's data, the
    # rest through "Load earlier messages" (the history URL).
    client_page = open_chat(world.avi)
    earlier = client_page.get_by_role("button", name=exact(t("en", "Load earlier messages")))
    if earlier.count():
        earlier.click()
    expect(client_page.locator("article.message")).to_have_count(len(PAYLOADS))
    # The marker payloads arrive live on the client's open page, over the socket.
    send_each(coach_page, client_page, MARKER_PAYLOADS, len(PAYLOADS))
    pages = [coach_page, client_page]
    for page in pages:
        expect(page.locator("article.message")).to_have_count(len(payloads))
    assert Message.objects.filter(conversation=chat).count() == len(payloads)
    # Give anything deferred (onload, animations, lazy images) the chance to fire.
    client_page.wait_for_timeout(500)
    _assert_inert(coach_page, dialogs, "the coach's page")
    _assert_inert(client_page, dialogs, "the client's page")

    violations = [v for page in pages for v in page.evaluate("() => window.__loomCsp")]
    record_property("csp_violations", len(violations))
    if violations:
        print(f"CSP stopped {len(violations)} thing(s): {violations}")  # noqa: T201

"""Two people chatting live in real browsers, over the real socket (ASGI live server).

English at 1280 px (coach Dana, client Avi) and Hebrew at 375 px (coach Eli, client
Maya, both using Loom in Hebrew). Everything the other side sees arrives without a
reload: the message, "Seen …", a reaction, typing, an attached image, "(edited)", "Message
deleted"; a mixed Hebrew/English message is laid out right to left; the client's bell
counts the new-message notice. Axe finds nothing on either page once all of that is on
screen. Apart: a message written while offline shows "Sending…" and arrives once.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from loom.messaging.models import Message
from tests.browser.conftest import PageOpener
from tests.browser.messaging_support import (
    assert_no_reload,
    badge_pattern,
    composer,
    conversation_of,
    conversation_path,
    mark_no_reload,
    message_article,
    no_sideways_scroll,
    open_as,
    send,
    speak,
    wait_chat_ready,
    wait_connected,
)
from tests.browser.support import axe_check, check_page, containing, exact, t
from tests.world import World

pytestmark = pytest.mark.browser

MIXED = "שלום Dana, see you tomorrow"
# chat.js's TYPING_EVERY (3 s), with a margin.
TYPING_EVERY_SECONDS = 3.2
# The confirmed message's body (and its paragraph) resolve to right to left.
DIRECTIONS = """(text) => [...document.querySelectorAll('article.message[data-message-id] .message-body')]
  .filter((body) => body.textContent.includes(text))
  .map((body) => [getComputedStyle(body).direction, body.matches(':dir(rtl)'),
                  getComputedStyle(body.firstElementChild || body).direction])"""
RTL_BODY = f"""(text) => {{
  const found = ({DIRECTIONS})(text);
  return found.length === 1 && found[0].join() === 'rtl,true,rtl';
}}"""


@pytest.fixture
def server_url(asgi_server_url: str) -> str:
    return asgi_server_url


def _png(directory: Path, name: str) -> Path:
    path = directory / name
    Image.new("RGB", (64, 48), (200, 90, 40)).save(path, format="PNG")
    return path


def _action(page: Page, language: str, text: str, action: str) -> None:
    """Click the message's own action button (React, Reply, Edit, Delete)."""
    article = message_article(page, text)
    article.hover()
    article.get_by_role("button", name=exact(t(language, action))).click()


@pytest.mark.parametrize(
    ("language", "viewport", "coach_name", "client_name"),
    [("en", "1280", "dana", "avi"), ("he", "375", "eli", "maya")],
)
def test_coach_and_client_chat_live(
    open_page: PageOpener,
    server_url: str,
    tmp_path: Path,
    language: str,
    coach_name: str,
    client_name: str,
) -> None:
    world = World.build()
    coach = speak(getattr(world, coach_name), language)
    client = speak(getattr(world, client_name), language)
    chat = conversation_of(coach, client)
    path = conversation_path(chat)

    # The client waits on their home page; the coach writes first.
    client_page = open_as(open_page, client, server_url, "/home/")
    wait_connected(client_page)
    mark_no_reload(client_page)
    coach_page = open_as(open_page, coach, server_url, path)
    check_page(coach_page)
    wait_chat_ready(coach_page)

    greeting = "Hello, how did the week go?" if language == "en" else "שלום, איך עבר השבוע?"
    send(coach_page, language, greeting)
    typed_at = time.monotonic()
    expect(message_article(coach_page, greeting)).to_have_count(1)

    # The client's header counts it at once: the bell (the new-message notice) and Messages.
    nav_link = client_page.locator('[data-nav-badge="notifications"]')
    expect(nav_link.first).to_have_attribute(
        "aria-label", badge_pattern(language, "Notifications", 1)
    )
    expect(client_page.locator('[data-nav-badge="messages"]').first).to_have_attribute(
        "aria-label", badge_pattern(language, "Messages", 1)
    )
    assert_no_reload(client_page)

    # The client opens the conversation; from here both pages only update in place.
    client_page.goto(path)
    check_page(client_page)
    wait_chat_ready(client_page)
    mark_no_reload(client_page)
    mark_no_reload(coach_page)
    expect(message_article(client_page, greeting)).to_have_count(1)

    # The coach sees that the client has read it.
    before, _, after = t(language, "Seen %(time)s").partition("%(time)s")
    clock = r"\d{1,2}:\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?"
    seen = re.compile(rf"^\s*{re.escape(before)}{clock}{re.escape(after)}\s*$")
    greeting_seen = message_article(coach_page, greeting).get_by_text(seen)
    expect(greeting_seen).to_be_visible()

    # The client reacts; the coach sees the reaction.
    _action(client_page, language, greeting, "React")
    thumbs = t(language, "thumbs up")
    client_page.get_by_role("button", name=containing(thumbs)).first.click()
    expect(message_article(client_page, greeting).locator(".reaction-chip")).to_contain_text("👍")
    coach_chip = message_article(coach_page, greeting).locator(".reaction-chip")
    expect(coach_chip).to_contain_text("👍")
    expect(coach_chip).to_contain_text("1")

    # The client attaches a picture; the coach sees it inline, loaded.
    picture = _png(tmp_path, "sunrise.png")
    client_page.get_by_label(t(language, "Attach a file")).set_input_files(picture)
    caption = "My drawing" if language == "en" else "הציור שלי"
    # Send waits for the upload (its id travels with the message): done when it can be removed.
    remove = t(language, "Remove %(name)s") % {"name": "sunrise.png"}
    expect(client_page.get_by_role("button", name=exact(remove))).to_be_visible()
    send(client_page, language, caption)
    image = message_article(coach_page, caption).get_by_role("img", name="sunrise.png")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("width", "64")
    # Really loaded from the attachment URL (the coach may see it; the view checks).
    coach_page.wait_for_function(
        """() => [...document.querySelectorAll('article.message img[alt="sunrise.png"]')]
            .some((img) => img.isConnected && img.complete && img.naturalWidth === 64)"""
    )

    # The coach corrects the greeting within the edit window: "(edited)" on both sides.
    corrected = greeting.replace("week", "weekend") if language == "en" else "שלום, איך עבר הסופ״ש?"
    _action(coach_page, language, greeting, "Edit")
    editor = message_article(coach_page, greeting).get_by_role("textbox")
    editor.fill(corrected)
    message_article(coach_page, greeting).get_by_role(
        "button", name=exact(t(language, "Save"))
    ).click()
    edited = t(language, "(edited)")
    for page in (coach_page, client_page):
        article = message_article(page, corrected)
        expect(article).to_have_count(1)
        expect(article.get_by_role("link", name=exact(edited))).to_be_visible()

    # While the coach types, the client reads "… is typing…"; the message itself ends it.
    # chat.js says "typing" at most once per 3 s; the greeting's typing may be that recent.
    quiet = TYPING_EVERY_SECONDS - (time.monotonic() - typed_at)
    if quiet > 0:
        coach_page.wait_for_timeout(quiet * 1000)
    composer(coach_page, language).fill(MIXED)
    typing_line = client_page.locator("[data-chat-typing]")
    typing = t(language, "%(name)s is typing…") % {"name": coach.display_name}
    expect(typing_line).to_have_text(typing)
    # A mixed Hebrew/English message is laid out right to left wherever it is shown.
    send(coach_page, language, MIXED)
    for page in (coach_page, client_page):
        # Read in one go from the live DOM: the row is re-drawn when the send is confirmed.
        try:
            page.wait_for_function(RTL_BODY, arg=MIXED)
        except PlaywrightTimeoutError:
            found = page.evaluate(DIRECTIONS, MIXED)
            pytest.fail(f"{page.url}: the mixed message is not laid out right to left: {found}")
    expect(typing_line).to_have_text("")

    # The coach deletes the corrected greeting: "Message deleted" on both sides.
    _action(coach_page, language, corrected, "Delete")
    dialog = coach_page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=exact(t(language, "Delete"))).click()
    deleted = t(language, "Message deleted")
    for page in (coach_page, client_page):
        expect(page.locator("article.message.is-deleted")).to_have_count(1)
        expect(page.locator("article.message.is-deleted")).to_contain_text(deleted)
        expect(message_article(page, corrected)).to_have_count(0)

    for page in (coach_page, client_page):
        assert_no_reload(page)
        check_page(page)
        no_sideways_scroll(page)


@pytest.mark.parametrize(("language", "viewport"), [("en", "1280")])
def test_message_written_offline_is_sent_once_back_online(
    open_page: PageOpener, server_url: str, language: str
) -> None:
    world = World.build()
    chat = conversation_of(world.dana, world.avi)
    path = conversation_path(chat)
    coach_page = open_as(open_page, world.dana, server_url, path)
    client_page = open_as(open_page, world.avi, server_url, path)
    wait_chat_ready(coach_page)
    wait_chat_ready(client_page)
    mark_no_reload(client_page)

    banner = client_page.get_by_role("status").filter(has_text=exact(t(language, "Reconnecting…")))
    client_page.context.set_offline(True)
    expect(banner).to_be_visible()

    text = "Written on the train"
    composer(client_page, language).fill(text)
    composer(client_page, language).press("Enter")
    pending = message_article(client_page, text)
    expect(pending).to_contain_text(t(language, "Sending…"))
    # Nothing reached the server while offline.
    assert not Message.objects.filter(conversation=chat, body=text).exists()

    client_page.context.set_offline(False)
    expect(banner).to_have_count(0)
    expect(message_article(coach_page, text)).to_have_count(1)
    expect(pending).not_to_contain_text(t(language, "Sending…"))
    expect(message_article(client_page, text)).to_have_count(1)
    assert Message.objects.filter(conversation=chat, body=text).count() == 1
    # A moment later (a retry would have gone by now) it is still one, on both sides.
    client_page.wait_for_timeout(1500)
    assert Message.objects.filter(conversation=chat, body=text).count() == 1
    expect(message_article(coach_page, text)).to_have_count(1)
    assert_no_reload(client_page)
    axe_check(client_page)

"""Every messaging page, and the notification list and preferences, in a real browser.

English at 375 px and Hebrew at 1280 px: each page passes ``check_page`` (lang/dir, one
h1, no browser errors, axe-core 0 violations), scrolls no sideways, and its skip link
leads to the main content. On the conversation page the reaction menu works from the
keyboard alone: open, move, choose, and Escape returns focus to "React".
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from loom.core.context import acting_as
from loom.messaging.models import Message, Reaction
from loom.messaging.services import message_edit, message_send, reaction_set
from tests.browser.asgi_server import AsgiServer
from tests.browser.conftest import PageOpener
from tests.browser.messaging_support import (
    conversation_of,
    conversation_path,
    no_sideways_scroll,
    open_as,
    speak,
    wait_chat_ready,
)
from tests.browser.support import (
    assert_skip_link_leads_to_main,
    check_page,
    exact,
    t,
)
from tests.world import World

pytestmark = pytest.mark.browser

TEXTS = {
    "en": ("Breathing exercise before the meeting", "Thanks, it helped a lot", "breathing"),
    "he": ("תרגיל נשימה לפני הפגישה", "תודה, זה עזר מאוד", "נשימה"),
}


@pytest.fixture
def server_url(asgi_server_url: str) -> str:
    return asgi_server_url


def _say(user: Any, chat_id: int, body: str) -> Message:
    with acting_as(user.pk):
        message, _created = message_send(
            user=user, conversation_id=chat_id, client_id=str(uuid.uuid4()), body=body
        )
    return message


def _visit(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status < 400, f"{path} answered {response}"
    check_page(page)
    no_sideways_scroll(page)
    assert_skip_link_leads_to_main(page)


def _reaction_menu_by_keyboard(page: Page, language: str, text: str) -> None:
    """Open the menu from "React", move with the arrow keys, choose with Enter; Escape closes."""
    article = page.locator("article.message").filter(has_text=text)
    react = article.get_by_role("button", name=exact(t(language, "React")))
    react.focus()
    page.keyboard.press("Enter")
    expect(react).to_have_attribute("aria-expanded", "true")
    first = article.get_by_role("button", name=exact(t(language, "thumbs up")))
    expect(first).to_be_focused()
    # Focus is visible on the option (an outline or a ring, not the browser's nothing).
    ring = first.evaluate(
        "(el) => { const s = getComputedStyle(el);"
        " return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0"
        " || (s.boxShadow && s.boxShadow !== 'none'); }"
    )
    assert ring, f"{page.url}: the focused reaction option shows no focus indicator"
    page.keyboard.press("ArrowDown")
    heart = article.get_by_role("button", name=exact(t(language, "heart")))
    expect(heart).to_be_focused()
    page.keyboard.press("Enter")
    chip = article.locator(".reaction-chip", has_text="❤")
    expect(chip).to_have_attribute("aria-pressed", "true")
    # The menu closed and focus is back somewhere in the message, not lost to <body>.
    expect(article.locator(".reaction-menu")).to_be_hidden()
    assert page.evaluate("() => document.activeElement !== document.body"), "focus was lost"
    # Escape closes an open menu and puts focus back on its "React" button.
    react = (
        page.locator("article.message")
        .filter(has_text=text)
        .get_by_role("button", name=exact(t(language, "React")))
    )
    react.focus()
    page.keyboard.press("Enter")
    expect(react).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(react).to_have_attribute("aria-expanded", "false")
    expect(react).to_be_focused()


@pytest.mark.parametrize(
    ("language", "viewport", "coach_name", "client_name"),
    [("en", "375", "dana", "avi"), ("he", "1280", "eli", "maya")],
)
def test_messaging_and_notification_pages(
    open_page: PageOpener,
    server_url: str,
    asgi_server: AsgiServer,
    language: str,
    coach_name: str,
    client_name: str,
) -> None:
    world = World.build()
    coach = speak(getattr(world, coach_name), language)
    client = speak(getattr(world, client_name), language)
    chat = conversation_of(coach, client)
    first, answer, query = TEXTS[language]

    def seed() -> tuple[Message, Message]:
        edited = _say(coach, chat.pk, first + "!")
        with acting_as(coach.pk):
            message_edit(user=coach, message_id=edited.pk, body=first)
        reply = _say(client, chat.pk, answer)
        with acting_as(coach.pk):
            reaction_set(user=coach, message_id=reply.pk, emoji="👍", on=True)
        return edited, reply

    # In the server's thread, so the doorbells these ring find the channel layer's loop.
    edited, reply = asgi_server.call(seed)
    # Dana's inbox lists two people; Noa's conversation is empty.
    if coach == world.dana:
        conversation_of(world.dana, world.noa)

    page = open_as(open_page, coach, server_url, "/home/")
    _visit(page, "/messages/")
    expect(page.get_by_role("link", name=client.display_name).first).to_be_visible()
    _visit(page, conversation_path(chat))
    wait_chat_ready(page)
    _reaction_menu_by_keyboard(page, language, answer)
    assert Reaction.objects.filter(message=reply, user=coach, emoji="❤️").exists()
    _visit(page, f"{conversation_path(chat)}search/?q={query}")
    expect(page.locator("main")).to_contain_text(first)
    field = page.get_by_role("searchbox", name=exact(t(language, "Search this conversation")))
    expect(field).to_have_value(query)
    _visit(page, f"/messages/message/{edited.pk}/edits/")
    expect(page.locator("main")).to_contain_text(first + "!")
    _visit(page, "/messages/settings/")
    expect(
        page.get_by_role(
            "checkbox", name=exact(t(language, "Let others see when I have read their messages"))
        )
    ).to_be_checked()

    # The client's side: the notice of the coach's message, and the preferences page.
    client_page = open_as(open_page, client, server_url, "/home/")
    _visit(client_page, "/notifications/")
    _visit(client_page, "/account/notifications/")

"""Helpers shared by the messaging and notification-centre browser tests.

Those tests run against the ASGI live server (``asgi_server_url``), so pages open the
real ``/ws/stream/`` socket; people are signed in with a session cookie made in the test
(the sign-in pages have their own tests).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.test import Client
from playwright.sync_api import Locator, Page, expect

from loom.accounts.models import User
from loom.messaging.models import Conversation
from loom.messaging.services import conversation_for_pair
from tests.browser.conftest import PageOpener
from tests.browser.support import exact, t


def speak(user: User, language: str) -> User:
    """Make ``user`` use Loom in ``language`` (pages follow the signed-in person's language)."""
    user.language = language
    user.save(update_fields=["language"])
    return user


def sign_in_with_cookie(page: Page, user: User, origin: str) -> None:
    """Signs ``user`` in to ``page``'s browser with a fresh session."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": origin}]
    )


def open_as(
    open_page: PageOpener,
    user: User,
    origin: str,
    path: str,
    *,
    language: str | None = None,
    viewport: str | None = None,
) -> Page:
    """A new browser (context) for ``user``, signed in, on ``path``."""
    page = open_page(language=language, viewport=viewport)
    go_signed_in(page, user, origin, path)
    return page


def go_signed_in(page: Page, user: User, origin: str, path: str) -> None:
    """Sign ``user`` in to ``page``'s browser and open ``path``."""
    sign_in_with_cookie(page, user, origin)
    response = page.goto(path)
    assert response is not None and response.status < 400, f"{path} answered {response}"


def conversation_of(coach: User, client: User) -> Conversation:
    return conversation_for_pair(coach=coach, client=client)


def conversation_path(conversation: Conversation) -> str:
    return f"/messages/{conversation.pk}/"


def wait_connected(page: Page) -> None:
    """Until the page's stream socket has said hello and been answered (``ready``)."""
    page.wait_for_function(
        "() => window.loomStream !== undefined && window.loomStream.state === 'connected'"
    )


def wait_chat_ready(page: Page) -> None:
    """Until chat.js runs the conversation page and its socket is up.

    chat.js is a module script, so it has run (rendered the log, wired the composer)
    by the page's load event; what remains is the stream's hello being answered.
    """
    page.wait_for_load_state("load")
    expect(page.locator("[data-chat-log]")).to_be_attached()
    wait_connected(page)


def mark_no_reload(page: Page) -> None:
    """Set a marker that a reload or navigation would wipe (checked by ``assert_no_reload``)."""
    page.evaluate("() => { window.__loomNoReload = true; }")


def assert_no_reload(page: Page) -> None:
    assert page.evaluate("() => window.__loomNoReload === true"), (
        f"{page.url}: the page reloaded or navigated; it should have updated in place"
    )


def message_article(page: Page, text: str) -> Locator:
    """The message whose body contains ``text``."""
    return page.locator("article.message").filter(has=page.locator(".message-body", has_text=text))


def composer(page: Page, language: str) -> Locator:
    return page.get_by_role("textbox", name=exact(t(language, "Message")))


def send(page: Page, language: str, text: str) -> None:
    """Type ``text`` into the composer and press Send."""
    box = composer(page, language)
    box.fill(text)
    page.get_by_role("button", name=exact(t(language, "Send"))).click()
    expect(box).to_have_value("")


def no_sideways_scroll(page: Page) -> None:
    """The page is no wider than the viewport (names the widest offenders when it is)."""
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    if widths["scroll"] <= widths["client"]:
        return
    wide = page.evaluate(
        """() => {
            const limit = document.documentElement.clientWidth;
            return [...document.querySelectorAll('body *')]
                .filter((el) => el.getBoundingClientRect().right > limit + 1
                    || el.getBoundingClientRect().left < -1)
                .slice(0, 6)
                .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
        }"""
    )
    raise AssertionError(f"{page.url}: scrolls sideways ({widths}); too wide: {wide}")


def badge_pattern(language: str, label: str, count: int) -> re.Pattern[str]:
    """The accessible name of a header link with ``count`` unread ("Notifications, 3 unread")."""
    text = t(language, "%(label)s, %(count)s unread") % {
        "label": t(language, label),
        "count": count,
    }
    return exact(text)

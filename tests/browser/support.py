"""Checks and helpers for the browser tests (the fixtures are in ``conftest.py``).

- ``axe_check(page)``: axe-core with the WCAG 2.1 A and AA rules; fails listing every
  violation (rule, impact, help, targets).
- ``check_page(page)``: ``<html lang dir>`` for the page's language, one ``<h1>``, no
  script or console errors (CSP violations show up there), then ``axe_check``.
- ``visit_and_check(page, path)``: navigate, expect a non-error status, ``check_page``.
- ``t(language, msgid)``: a string as the catalogs render it, so locators stay right
  before and after the Hebrew catalog is written.
"""

from __future__ import annotations

import contextlib
import re
import time
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import translation
from playwright.sync_api import ConsoleMessage, Locator, Page, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = Path(__file__).resolve().parents[2]
AXE_SOURCE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DIRECTIONS = {"en": "ltr", "he": "rtl"}
TOTP_SAFETY_SECONDS = 2.0

# What each open page has reported, and the language it was opened in.
_page_errors: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()
_page_languages: weakref.WeakKeyDictionary[Page, str] = weakref.WeakKeyDictionary()


def watch_page(page: Page, *, language: str) -> None:
    """Starts collecting the page's script and console errors."""
    errors: list[str] = []
    _page_errors[page] = errors
    _page_languages[page] = language

    def on_console(message: ConsoleMessage) -> None:
        # Chromium asks for /favicon.ico by itself; that request is not the page's.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"console error at {message.location.get('url', '?')}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"script error: {error}"))


def page_language(page: Page) -> str:
    return _page_languages.get(page, "en")


_AXE_RUN = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    nodes: violation.nodes.map((node) => ({
      target: node.target.join(' '),
      summary: node.failureSummary || '',
    })),
  }));
}"""


def axe_check(page: Page) -> None:
    """Runs axe-core (WCAG 2.1 A + AA) on the current page; fails on any violation.

    ``page.evaluate`` is not subject to the page's CSP, so axe runs under the real
    policy instead of a relaxed one (an injected ``<script>`` would be blocked).
    """
    page.wait_for_load_state("load")
    # Contrast is computed from the rendered fonts: wait until they are in.
    page.evaluate("() => document.fonts.ready.then(() => true)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE_PATH.read_text(encoding="utf-8") + "\n;0")
    violations: list[dict[str, Any]] = page.evaluate(_AXE_RUN, WCAG_TAGS)
    if violations:
        lines = [f"axe-core: {len(violations)} WCAG 2.1 A/AA violation(s) on {page.url}"]
        for violation in violations:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"][:8]:
                summary = " ".join(node["summary"].split())[:300]
                lines.append(f"    {node['target']}  — {summary}")
        pytest.fail("\n".join(lines), pytrace=False)


def check_page(page: Page, *, language: str | None = None) -> None:
    """What every visited page passes: language and direction, one h1, no errors, axe."""
    page.wait_for_load_state("load")
    expected = language or page_language(page)
    html = page.locator("html")
    found = (html.get_attribute("lang"), html.get_attribute("dir"))
    assert found == (expected, DIRECTIONS[expected]), (
        f"{page.url}: <html lang dir> is {found}, expected ({expected!r}, {DIRECTIONS[expected]!r})"
    )
    headings = page.locator("h1").count()
    assert headings == 1, f"{page.url}: expected one <h1>, found {headings}"
    errors = _page_errors.get(page, [])
    assert not errors, f"{page.url}: the browser reported errors:\n" + "\n".join(errors)
    axe_check(page)


def visit_and_check(page: Page, path: str, *, language: str | None = None) -> Response:
    response = page.goto(path)
    assert response is not None, f"no response for {path}"
    assert response.status < 400, f"{path} answered {response.status}"
    check_page(page, language=language)
    return response


_ASSETS = """() => ({
  sheets: [...document.querySelectorAll('link[rel=stylesheet]')].map((link) => [link.href, !!link.sheet]),
  htmx: typeof window.htmx !== 'undefined',
  fonts: [...document.fonts].filter((face) => face.status === 'loaded').map((face) => face.family.replaceAll('"', '')),
  bodyFont: getComputedStyle(document.body).fontFamily,
})"""
FONTS = {"en": "Inter", "he": "Heebo"}


def assert_assets_loaded(page: Page) -> None:
    """The stylesheets, htmx and the language's font really loaded (axe judges real styles)."""
    page.evaluate("() => document.fonts.ready.then(() => true)")
    assets = page.evaluate(_ASSETS)
    missing = [href for href, loaded in assets["sheets"] if not loaded]
    assert assets["sheets"] and not missing, f"stylesheets not loaded: {missing or 'none linked'}"
    assert assets["htmx"], "htmx did not load"
    font = FONTS[page_language(page)]
    assert font in assets["bodyFont"], f"body font is {assets['bodyFont']}, expected {font} first"
    assert font in assets["fonts"], f"{font} was not loaded; loaded faces: {assets['fonts']}"


def assert_skip_link_leads_to_main(page: Page) -> None:
    """From the top of the page, Tab focuses the skip link first; Enter moves focus to #main."""
    page.wait_for_load_state("load")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    # Chromium may apply the focus styles a moment after the key press when several
    # browsers share a busy machine: give the focused link a moment to come on screen
    # (the assertions below still fail if it never does).
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            "() => document.activeElement && document.activeElement.getAttribute('href')"
            " === '#main' && document.activeElement.getBoundingClientRect().top >= 0",
            timeout=3000,
        )
    # Where focus is and where that element is drawn, read in one go.
    focused = page.evaluate(
        """() => {
            const element = document.activeElement;
            const box = element.getBoundingClientRect();
            return {
                tag: element.tagName,
                href: element.getAttribute('href'),
                box: {x: box.x, y: box.y, width: box.width, height: box.height},
            };
        }"""
    )
    box = focused.pop("box")
    assert focused == {"tag": "A", "href": "#main"}, (
        f"{page.url}: the first Tab stop is {focused}, not the skip link"
    )
    size = page.viewport_size
    assert size is not None
    assert box["width"] > 0 and box["height"] > 0, "the focused skip link is not shown"
    inside = (
        box["x"] >= 0
        and box["x"] + box["width"] <= size["width"] + 1
        and 0 <= box["y"] < size["height"]
    )
    assert inside, f"the focused skip link is off screen: {box}"
    page.keyboard.press("Enter")
    try:
        page.wait_for_function(
            "() => document.activeElement && document.activeElement.id === 'main'"
        )
    except PlaywrightTimeoutError:
        active = page.evaluate(
            "() => document.activeElement && document.activeElement.outerHTML.slice(0, 200)"
        )
        pytest.fail(
            f"{page.url}: Enter on the skip link left focus on {active}, not on #main",
            pytrace=False,
        )


def t(language: str, message: str) -> str:
    """``message`` as the catalogs render it in ``language``."""
    with translation.override(language):
        return translation.gettext(message)


def exact(text: str) -> re.Pattern[str]:
    """An accessible-name matcher for exactly ``text``, ignoring surrounding whitespace.

    "/" is escaped too: Playwright writes the pattern into a ``/.../`` selector, and
    Hebrew's gender-inclusive forms (such as "מאמן/ת") are full of slashes.
    """
    return re.compile(rf"^\s*{_escape(text)}\s*$")


def containing(text: str) -> re.Pattern[str]:
    """An accessible-name matcher for names that contain ``text``."""
    return re.compile(_escape(text))


def _escape(text: str) -> str:
    return re.escape(text).replace("/", r"\/")


def totp_code(secret: str) -> str:
    """The RFC 6238 code for ``secret`` now, computed with allauth's HOTP.

    allauth accepts only the current 30-second window (``MFA_TOTP_TOLERANCE`` 0), so a
    code read in the window's last moments would reach the server too late. Like a
    person watching the app, wait for the fresh code then (at most two seconds).
    """
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < TOTP_SAFETY_SECONDS:
        time.sleep(left + 0.05)
    counter = int(time.time()) // period
    return format_hotp_value(hotp_value(secret, counter))


def submit(page: Page, button_name: str, *, language: str | None = None) -> None:
    """Clicks the submit button called ``button_name`` (a msgid) and waits for the next page."""
    name = t(language or page_language(page), button_name)
    with page.expect_navigation():
        page.get_by_role("button", name=exact(name)).click()
    page.wait_for_load_state("load")


def textbox(page: Page, label: str, *, language: str | None = None) -> Locator:
    """The text field whose accessible name is ``label`` (a msgid, in the page's language).

    By accessible name rather than label text: a label's text also holds decorations
    hidden from assistive technology, such as the required-field asterisk.
    """
    return page.get_by_role("textbox", name=exact(t(language or page_language(page), label)))


def checkbox(page: Page, label: str, *, language: str | None = None) -> Locator:
    return page.get_by_role("checkbox", name=exact(t(language or page_language(page), label)))


def fill(page: Page, label: str, value: str, *, language: str | None = None) -> None:
    """Fills the text field labelled ``label`` (a msgid, in the page's language)."""
    textbox(page, label, language=language).fill(value)


def sign_in(page: Page, *, email: str, password: str, totp_secret: str | None = None) -> None:
    """Signs in on the sign-in page the browser is on, through the MFA step when asked.

    The caller has checked the sign-in page and checks wherever sign-in lands.
    """
    fill(page, "Email", email)
    fill(page, "Password", password)
    submit(page, "Sign in")
    if totp_secret is None:
        return
    check_page(page)
    fill(page, "Authenticator code or recovery code", totp_code(totp_secret))
    submit(page, "Verify")
    # With trusted browsers on, allauth offers to skip the second step here next time.
    not_now = page.get_by_role("button", name=exact(t(page_language(page), "Not now")))
    if not_now.count():
        check_page(page)
        submit(page, "Not now")


def activate_totp(page: Page, *, password: str) -> str:
    """On "Set up an authenticator app": read the manual key, answer with a code, turn it on.

    Confirms the password first when allauth asks to re-authenticate (the caller has
    checked the page the browser is on). Returns the secret.
    """
    if urlsplit(page.url).path == "/accounts/reauthenticate/":
        fill(page, "Password", password)
        submit(page, "Confirm")
        check_page(page)
    secret = textbox(page, "Key for manual entry").input_value().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}=*", secret), f"not a base32 secret: {secret!r}"
    fill(page, "Authenticator code", totp_code(secret))
    submit(page, "Turn on")
    return secret

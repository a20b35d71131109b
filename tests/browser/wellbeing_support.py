"""Helpers shared by the journal, check-in, goal, progress and safety browser tests.

(This module holds no tests; it is named ``test_*`` only because the browser helper's
files are ``tests/browser/test_journal*``, ``test_wellbeing*`` and ``test_safety*``.)

The issue's pages are checked the way the rest of the browser tier checks pages:
``check_page`` (lang/dir, one h1, no script or console errors, axe-core WCAG 2.1 A/AA
with 0 violations) on every page visited, plus no sideways scrolling. People are signed
in with a session cookie made in the test (the sign-in pages have their own tests), in
English at 1280 px and in Hebrew at 375 px.
"""

from __future__ import annotations

from typing import Any, Literal

from playwright.sync_api import Locator, Page, Response, expect

from loom.accounts.models import User
from tests.browser.messaging_support import no_sideways_scroll
from tests.browser.support import check_page, exact, t

# (language, viewport) pairs every flow runs in: the issue asks for English and Hebrew,
# 375 and 1280 px; each flow covers both widths across its two runs.
LANGUAGE_VIEWPORTS = [("en", "1280"), ("he", "375")]
LANGUAGE_VIEWPORT_IDS = ["en-1280", "he-375"]

# Entry, comment and goal texts the people type, in their own language.
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Before the presentation",
        "body": "My chest felt *tight* before the meeting; three slow breaths helped.",
        "comment": "What did you notice right after the three breaths?",
        "goal": "Sleep seven hours on work nights",
        "why": "I think more clearly when I am rested.",
        "measure": "Five nights out of seven for a month.",
        "milestone1": "Screens off at ten",
        "milestone2": "Same wake-up time all week",
        "proposal": "Speak up once in every team meeting",
        "crisis": "Everything is too much. I want to kill myself.",
    },
    "he": {
        "title": "לפני המצגת",
        "body": "החזה שלי היה *מכווץ* לפני הפגישה; שלוש נשימות איטיות עזרו.",
        "comment": "מה שמת לב אליו מיד אחרי שלוש הנשימות?",
        "goal": "לישון שבע שעות בלילות עבודה",
        "why": "אני חושבת בבהירות כשאני נחה.",
        "measure": "חמישה לילות מתוך שבעה במשך חודש.",
        "milestone1": "לכבות מסכים בעשר",
        "milestone2": "אותה שעת השכמה כל השבוע",
        "proposal": "לדבר פעם אחת בכל פגישת צוות",
        "crisis": "הכול יותר מדי בשבילי. אני רוצה להתאבד.",
    },
}


def speak(user: User, language: str, *, tz: str | None = None) -> User:
    """``user`` uses Loom in ``language`` (and, when given, lives in ``tz``)."""
    user.language = language
    fields = ["language"]
    if tz:
        user.timezone = tz
        fields.append("timezone")
    user.save(update_fields=fields)
    return user


def visit(page: Page, path: str) -> Response:
    """Open ``path``; it answers below 400 and passes ``check_page``; nothing scrolls sideways."""
    response = page.goto(path)
    assert response is not None, f"no response for {path}"
    assert response.status < 400, f"{path} answered {response.status}"
    checked(page)
    return response


def checked(page: Page) -> None:
    """The page the browser is on passes ``check_page`` and does not scroll sideways."""
    check_page(page)
    no_sideways_scroll(page)


def click_and_wait(page: Page, locator: Locator) -> None:
    """Click something that navigates (a link or a submit button) and wait for the new page."""
    with page.expect_navigation():
        locator.click()
    page.wait_for_load_state("load")
    checked(page)


def press(page: Page, language: str, button: str, *, scope: Any = None) -> None:
    """Press the button called ``button`` (a msgid), wait for the next page and check it."""
    where = scope if scope is not None else page
    click_and_wait(page, where.get_by_role("button", name=exact(t(language, button))))


def main(page: Page) -> Locator:
    return page.locator("main")


def scale_control(page: Page, language: str, label: str) -> Locator:
    """The 1–10 control called ``label``: a slider, a number field, or a radio group."""
    name = exact(t(language, label))
    roles: tuple[Literal["slider", "spinbutton", "radiogroup", "group"], ...] = (
        "slider",
        "spinbutton",
        "radiogroup",
        "group",
    )
    for role in roles:
        control = page.get_by_role(role, name=name)
        if control.count():
            return control.first
    raise AssertionError(f"{page.url}: no 1–10 control called {t(language, label)!r}")


def set_scale(page: Page, language: str, label: str, value: int) -> None:
    """Set the 1–10 control called ``label`` to ``value``, whichever kind it is."""
    control = scale_control(page, language, label)
    tag = control.evaluate("(el) => el.tagName.toLowerCase()")
    if tag == "input":
        control.fill(str(value))
        expect(control).to_have_value(str(value))
    else:  # a group of radio buttons named 1..10
        radio = control.get_by_role("radio", name=exact(str(value)))
        radio.check()
        expect(radio).to_be_checked()


def focus_before(page: Page, target: Locator) -> None:
    """Focus the element just before ``target`` in the Tab order, so the next Tab reaches it."""
    target.evaluate(
        """(target) => {
            const focusable = [...document.querySelectorAll(
                'a[href], button, input, select, textarea, summary, [tabindex]'
            )].filter((el) => !el.disabled && el.tabIndex >= 0 && el.type !== 'hidden'
                && el.getClientRects().length > 0);
            const index = focusable.indexOf(target);
            if (index < 1) throw new Error('nothing focusable before the target');
            focusable[index - 1].focus();
        }"""
    )


def has_focus_ring(locator: Locator) -> bool:
    """The focused element shows a focus indicator (an outline or a ring)."""
    return bool(
        locator.evaluate(
            "(el) => { const s = getComputedStyle(el);"
            " return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0"
            " || (s.boxShadow && s.boxShadow !== 'none'); }"
        )
    )


def tables_behind_charts(page: Page) -> int:
    """Every chart (``svg[role=img]`` with a name) has a table alternative on the page.

    Opens each "Show as table" disclosure and returns the number of charts; fails when a
    chart has no name or the page has fewer tables than charts.
    """
    charts = page.locator("main svg[role='img']")
    count = charts.count()
    for index in range(count):
        label = charts.nth(index).get_attribute("aria-label") or ""
        labelled_by = charts.nth(index).get_attribute("aria-labelledby") or ""
        assert label.strip() or labelled_by.strip(), f"{page.url}: chart {index} has no name"
    summaries = page.locator("main details > summary")
    for index in range(summaries.count()):
        summary = summaries.nth(index)
        details = summary.locator("xpath=..")
        if details.get_attribute("open") is None and details.locator("table").count():
            summary.click()
    tables = page.locator("main table")
    assert tables.count() >= count, (
        f"{page.url}: {count} charts but only {tables.count()} tables as their alternative"
    )
    for index in range(tables.count()):
        table = tables.nth(index)
        if table.is_visible():
            assert table.locator("th").count(), f"{page.url}: table {index} has no header cells"
    return count

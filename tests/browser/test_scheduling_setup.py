"""The coach's availability editor with the keyboard only, then the slot preview.

Dana (English, New York) and Eli (Hebrew, Jerusalem) each sign in, open the
availability page and, with Tab, typing and Enter only (no mouse click), set Monday's
hours in two ranges, add a third row and clear it again, copy Monday to the other
weekdays and save. The saved hours are in the database, the preview lists bookable
times, axe-core reports no violations before and after, and at 375 px the page does
not scroll sideways. The session types and settings pages are checked the same way.
"""

from __future__ import annotations

import re
from datetime import time

import pytest
from playwright.sync_api import Page, expect

from loom.scheduling.models import WeeklyAvailability
from tests.browser.conftest import PageOpener
from tests.browser.support import check_page, sign_in, t, visit_and_check
from tests.scheduling.support import session_type
from tests.world import PASSWORD, World

pytestmark = pytest.mark.browser

COACHES = {"en": "dana", "he": "eli"}
AVAILABILITY = "/coach/scheduling/availability/"
# Enough Tab presses to reach any control of the page from its top.
TAB_LIMIT = 250


def _focused_id(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement ? document.activeElement.id : ''"))


def _tab_to(page: Page, element_id: str, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the element with ``element_id`` has focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _press in range(TAB_LIMIT):
        if _focused_id(page) == element_id:
            return
        page.keyboard.press(key)
    pytest.fail(f"Tab never reached #{element_id}", pytrace=False)


def _tab_to_button(page: Page, name: str) -> None:
    """Press Tab until a button whose visible text starts with ``name`` has focus."""
    script = "() => document.activeElement && document.activeElement.tagName === 'BUTTON' ? document.activeElement.innerText.trim() : ''"
    for _press in range(TAB_LIMIT):
        if str(page.evaluate(script)).startswith(name):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached the button {name!r}", pytrace=False)


def _twelve_hour_control(page: Page) -> bool:
    """Whether this Chromium's time inputs ask for AM/PM. They follow Chromium's own UI
    locale, not the page's language, so ask a detached probe input how it parses."""
    probe_id = "time-probe"
    page.evaluate(
        """(id) => {
            const probe = document.createElement('input');
            probe.type = 'time';
            probe.id = id;
            probe.setAttribute('aria-label', 'probe');
            document.body.append(probe);
            probe.focus();
        }""",
        probe_id,
    )
    page.keyboard.type("0900")
    twelve = page.locator(f"#{probe_id}").input_value() == ""
    page.evaluate("(id) => document.getElementById(id).remove()", probe_id)
    return twelve


def _type_time(page: Page, element_id: str, value: str, *, twelve_hour: bool) -> None:
    """Type ``HH:MM`` into the focused time input as a person would."""
    assert _focused_id(page) == element_id
    hour, minute = (int(part) for part in value.split(":"))
    if twelve_hour:
        page.keyboard.type(f"{(hour % 12) or 12:02d}{minute:02d}{'P' if hour >= 12 else 'A'}")
    else:
        page.keyboard.type(f"{hour:02d}{minute:02d}")
    expect(page.locator(f"#{element_id}")).to_have_value(value)


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


@pytest.mark.parametrize(("language", "viewport"), [("en", "375"), ("he", "375"), ("en", "1280")])
def test_keyboard_only_weekly_hours_then_preview(
    open_page: PageOpener, server_url: str, language: str, viewport: str
) -> None:
    world = World.build()
    coach = getattr(world, COACHES[language])
    session_type(coach, name_en="Coaching hour", name_he="שעת אימון", minimum_notice_minutes=0)
    session_type(coach, name_en="Long walk", name_he="הליכה ארוכה", duration_minutes=240)
    page = open_page()
    page.goto(f"/accounts/login/?next={AVAILABILITY}")
    sign_in(page, email=coach.email, password=PASSWORD)
    expect(page).to_have_url(f"{server_url}{AVAILABILITY}")
    check_page(page)
    _no_sideways_scroll(page)
    expect(page.locator("#slot-preview")).to_contain_text(t(language, "No bookable times"))

    # Monday: 09:00–12:00 and 13:00–17:00, typed into the rows the page offers.
    twelve = _twelve_hour_control(page)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    _tab_to(page, "day0-start-1")
    _type_time(page, "day0-start-1", "09:00", twelve_hour=twelve)
    _tab_to(page, "day0-end-1")
    _type_time(page, "day0-end-1", "12:00", twelve_hour=twelve)
    _tab_to(page, "day0-start-2")
    _type_time(page, "day0-start-2", "13:00", twelve_hour=twelve)
    _tab_to(page, "day0-end-2")
    _type_time(page, "day0-end-2", "17:00", twelve_hour=twelve)

    # A row added with the keyboard gets focus; removing it returns focus to a row.
    _tab_to_button(page, t(language, "Add a range on %(day)s") % {"day": t(language, "Monday")})
    rows_before = page.locator("[data-day='0'] [data-range-row]").count()
    page.keyboard.press("Enter")
    expect(page.locator("[data-day='0'] [data-range-row]")).to_have_count(rows_before + 1)
    assert _focused_id(page) == f"day0-start-{rows_before + 1}"
    _tab_to_button(page, t(language, "Remove"))
    page.keyboard.press("Enter")
    expect(page.locator("[data-day='0'] [data-range-row]")).to_have_count(rows_before)

    # Copy Monday to Tuesday–Friday in the page, then save with Enter in a time field.
    _tab_to_button(page, t(language, "Copy Monday to weekdays"))
    page.keyboard.press("Enter")
    expect(page.locator("#day4-start-2")).to_have_value("13:00")
    expect(page.locator("#day4-end-2")).to_have_value("17:00")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    _tab_to(page, "day0-start-1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")

    saved = list(
        WeeklyAvailability.objects.filter(coach=coach)
        .order_by("weekday", "start_time")
        .values_list("weekday", "start_time", "end_time")
    )
    assert saved == [
        (day, start, end)
        for day in range(5)
        for start, end in ((time(9), time(12)), (time(13), time(17)))
    ]
    expect(page.locator("#day3-start-2")).to_have_value("13:00")
    # Any seven days hold at least four weekdays: the preview now lists times.
    expect(page.locator("#slot-preview .slot-list time").first).to_be_visible()
    assert page.locator("#slot-preview .slot-list time").count() >= 4 * 7
    check_page(page)
    _no_sideways_scroll(page)

    # Another type in the preview, with the arrow keys: the preview follows (htmx).
    long_walk = "הליכה ארוכה" if language == "he" else "Long walk"
    expect(page.locator("#slot-preview")).not_to_contain_text(long_walk)
    # The preview is at the end of the page: there, Shift+Tab is the short way.
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    _tab_to(page, "preview-type", backwards=True)
    page.keyboard.press("ArrowDown")
    expect(page.locator("#slot-preview")).to_contain_text(long_walk)
    expect(page).to_have_url(re.compile(r"\?preview_type=\d+$"))
    check_page(page)
    # Saving again keeps the type chosen last in the preview.
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    _tab_to(page, "day0-start-1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#preview-type option:checked")).to_have_text(long_walk)
    expect(page.locator("#slot-preview")).to_contain_text(long_walk)


@pytest.mark.parametrize(("language", "viewport"), [("en", "375"), ("he", "375")])
def test_setup_pages_pass_axe_and_fit_a_phone(
    open_page: PageOpener, server_url: str, language: str, viewport: str
) -> None:
    world = World.build()
    coach = getattr(world, COACHES[language])
    kind = session_type(coach, name_en="Walk and talk", name_he="הליכה ושיחה", capacity=5)
    page = open_page()
    page.goto("/accounts/login/?next=/coach/scheduling/types/")
    sign_in(page, email=coach.email, password=PASSWORD)
    for path in (
        "/coach/scheduling/types/",
        "/coach/scheduling/types/new/",
        f"/coach/scheduling/types/{kind.pk}/",
        "/coach/scheduling/settings/",
    ):
        visit_and_check(page, path)
        _no_sideways_scroll(page)

    # The address shows only for in-person sessions (and is still checked by the server).
    page.goto("/coach/scheduling/types/new/")
    address = page.locator("input[name='address']")
    expect(address).to_be_hidden()
    page.locator("input[name='location_kind'][value='in_person']").check()
    expect(address).to_be_visible()

    # A whole day off has no times: they show for the other kinds of date change only.
    page.goto(AVAILABILITY)
    start = page.locator("input[name='override-start_time']")
    expect(start).to_be_hidden()
    page.locator("input[name='override-kind'][value='extra']").check()
    expect(start).to_be_visible()
    check_page(page)
    _no_sideways_scroll(page)

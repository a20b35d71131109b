"""The NPS survey in a real browser, in English (1280 px) and Hebrew (375 px).

The admin's NPS page first has no answers. A client whose session was just completed
opens their home page and meets the survey, once: a region named by the question, which
mentions the session; 11 radio buttons in a labelled group (two rows at 375 px, each at
least 44 px). They answer 9 with the keyboard alone, add a comment and send: the panel
is replaced in place by a thank-you status that takes focus. A reload does not show the
survey again. The admin's NPS moves from no answers to 100. Every page visited passes
``check_page`` (lang/dir, one h1, no browser errors, axe-core: 0 WCAG 2.1 A/AA
violations) with the survey on it, and nothing scrolls sideways.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from loom.analytics.models import NpsResponse
from loom.core.context import system_context
from tests.accounts.security_support import enable_totp
from tests.analytics.test_nps_support import completed_session
from tests.browser.conftest import PageOpener
from tests.browser.messaging_support import open_as, sign_in_with_cookie
from tests.browser.support import exact, t
from tests.browser.wellbeing_support import (
    LANGUAGE_VIEWPORT_IDS,
    LANGUAGE_VIEWPORTS,
    checked,
    focus_before,
    has_focus_ring,
    main,
    speak,
    visit,
)
from tests.world import World

pytestmark = pytest.mark.browser

ADMIN_PAGE = "/admin-area/analytics/nps/?range=30"
COMMENT = {"en": "Clear and calm sessions.", "he": "פגישות ברורות ורגועות."}


def _score(page: Page) -> str:
    return (main(page).locator("[data-nps-score]").text_content() or "").strip()


def _panel(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#nps-survey")


@pytest.mark.parametrize(("language", "viewport"), LANGUAGE_VIEWPORTS, ids=LANGUAGE_VIEWPORT_IDS)
def test_survey_once_after_a_session_and_the_admin_score_moves(
    open_page: PageOpener, server_url: str, language: str, viewport: str
) -> None:
    world = World.build()
    client = speak(world.avi, language)
    admin = speak(world.admin, language)
    enable_totp(admin)

    # Before: no answers.
    admin_page = open_as(open_page, admin, server_url, ADMIN_PAGE)
    checked(admin_page)
    expect(admin_page.get_by_role("heading", level=1)).to_have_text(
        exact(t(language, "NPS survey"))
    )
    assert _score(admin_page) == t(language, "No answers yet")
    charts = main(admin_page).locator("svg[role='img']")
    expect(charts).to_have_count(1)
    assert main(admin_page).locator("table").count() >= 2

    # The coach has just marked the session completed.
    completed_session(world.dana, client, completed_at=timezone.now() - timedelta(minutes=5))

    page = open_as(open_page, client, server_url, reverse("client:home"))
    checked(page)
    panel = _panel(page)
    expect(panel).to_have_count(1)
    region = page.get_by_role("region", name=exact(panel.locator("h2").inner_text()))
    expect(region).to_be_visible()
    heading = panel.locator("h2").inner_text()
    assert t(language, "Loom") in heading
    group = panel.get_by_role("group", name=exact(t(language, "Your score from 0 to 10")))
    radios = group.get_by_role("radio")
    expect(radios).to_have_count(11)
    expect(group).to_have_attribute("aria-describedby", "nps-end-low nps-end-high")
    # 44 px targets (each number's box: its label, which the radio fills); at 375 px the
    # scale wraps onto two rows.
    options = panel.locator(".nps-option")
    boxes = [options.nth(index).bounding_box() for index in range(11)]
    assert all(box and box["width"] >= 44 and box["height"] >= 44 for box in boxes), boxes
    rows = {round(box["y"]) for box in boxes if box}
    assert len(rows) == (2 if viewport == "375" else 1), rows

    # Keyboard only: Tab into the group, arrow to 9, Tab to the comment, Tab to Send.
    focus_before(page, radios.nth(0))
    page.keyboard.press("Tab")
    expect(radios.nth(0)).to_be_focused()
    for _ in range(9):
        page.keyboard.press("ArrowDown")
    nine = group.get_by_role("radio", name=exact("9"))
    expect(nine).to_be_checked()
    expect(nine).to_be_focused()
    assert has_focus_ring(nine.locator("xpath=..")), "the chosen score shows no focus"
    page.keyboard.press("Tab")
    comment = panel.get_by_role(
        "textbox", name=exact(t(language, "What is the main reason for your score? (optional)"))
    )
    expect(comment).to_be_focused()
    page.keyboard.type(COMMENT[language])
    page.keyboard.press("Tab")
    expect(panel.get_by_role("button", name=exact(t(language, "Send")))).to_be_focused()
    page.keyboard.press("Enter")

    # Replaced in place (no navigation) by the thank-you status, which takes focus.
    status = page.get_by_role("status").filter(
        has_text=t(language, "Thank you for your answer. It helps us make Loom better.")
    )
    expect(status).to_be_visible()
    expect(page.locator("[data-nps-thanks]")).to_be_focused()
    expect(page.locator("[data-nps-panel]")).to_have_count(0)
    checked(page)
    with system_context():
        stored = list(NpsResponse.objects.values_list("score", "trigger", "comment"))
    assert stored == [(9, "session", COMMENT[language])]

    # Never twice: a reload shows no survey.
    visit(page, reverse("client:home"))
    expect(_panel(page)).to_have_count(0)

    # The admin's NPS moved from no answers to 100.
    visit(admin_page, ADMIN_PAGE)
    assert _score(admin_page) == "100"
    expect(main(admin_page).locator("#nps-comments-table")).to_contain_text(COMMENT[language])


def test_without_javascript_not_now_goes_back_and_closes_the_survey(
    browser: Browser, server_url: str
) -> None:
    """The panel's plain forms: "Not now" posts, comes back to the same page with a
    message, and the survey is gone for the month."""
    world = World.build()
    completed_session(world.dana, world.maya, completed_at=timezone.now() - timedelta(hours=1))
    context = browser.new_context(
        base_url=server_url, java_script_enabled=False, viewport={"width": 375, "height": 812}
    )
    try:
        page = context.new_page()
        sign_in_with_cookie(page, world.maya, server_url)
        page.goto("/client/resources/")
        panel = _panel(page)
        expect(panel).to_have_count(1)
        with page.expect_navigation():
            panel.get_by_role("button", name=exact("Not now")).click()
        assert page.url.endswith("/client/resources/")
        expect(page.get_by_text("Got it. We will not ask again this month.")).to_be_visible()
        expect(_panel(page)).to_have_count(0)
        with system_context():
            assert list(NpsResponse.objects.values_list("score", "trigger")) == [(None, "session")]
    finally:
        context.close()

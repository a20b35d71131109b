"""The coach analytics page in a real browser, in English (1280 px) and Hebrew (375 px).

Dana, with a small practice (sessions over the last weeks, a no-show, a client idle
for 40 days, a client who shares a falling mood), opens Analytics from the main
navigation with the keyboard alone, switches to the last 4 weeks, asks for a custom
range (first a backwards one, which is refused with a message, then a good one), reads
the sessions chart's table alternative, and follows the attention link of the idle
client to that client's page. Every page passes ``check_page`` (lang/dir, one h1, no
browser errors, axe-core: 0 WCAG 2.1 A/AA violations) and does not scroll sideways.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from loom.scheduling.models import SessionStatus
from loom.wellbeing.models import SharingPreference
from tests.analytics.test_coach_support import activity, checkin, make_session
from tests.browser.conftest import PageOpener
from tests.browser.messaging_support import open_as
from tests.browser.support import exact, t
from tests.browser.wellbeing_support import (
    LANGUAGE_VIEWPORT_IDS,
    LANGUAGE_VIEWPORTS,
    checked,
    main,
    speak,
)
from tests.world import World

pytestmark = pytest.mark.browser


def _seed(world: World) -> None:
    now = timezone.now()
    dana, avi, noa = world.dana, world.avi, world.noa
    for days_back in (2, 9, 16):
        make_session(dana, avi, now - timedelta(days=days_back, hours=3))
    make_session(dana, noa, now - timedelta(days=5, hours=3), SessionStatus.NO_SHOW)
    make_session(dana, avi, now + timedelta(days=2), SessionStatus.SCHEDULED)
    activity(avi, now - timedelta(hours=2))
    activity(noa, now - timedelta(days=40))
    SharingPreference.objects.create(client=avi, share_checkins=True)
    today = now.date()
    for offset in (14, 15, 16):
        checkin(avi, today - timedelta(days=offset), 8)
    for offset in (0, 1, 2):
        checkin(avi, today - timedelta(days=offset), 3)


def _open_nav_item_by_keyboard(page: Page, language: str, name: str, viewport: str) -> None:
    if viewport == "375":
        toggle = page.get_by_role("button", name=exact(t(language, "Menu")))
        toggle.focus()
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")
    link = page.get_by_role("navigation", name=exact(t(language, "Main"))).get_by_role(
        "link", name=exact(t(language, name))
    )
    link.focus()
    expect(link).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    checked(page)


@pytest.mark.parametrize(("language", "viewport"), LANGUAGE_VIEWPORTS, ids=LANGUAGE_VIEWPORT_IDS)
def test_dana_reads_her_analytics(
    open_page: PageOpener, server_url: str, language: str, viewport: str
) -> None:
    world = World.build()
    dana = speak(world.dana, language)
    _seed(world)

    page = open_as(open_page, dana, server_url, reverse("coach:home"))
    checked(page)
    _open_nav_item_by_keyboard(page, language, "Analytics", viewport)
    assert page.url.endswith(reverse("analytics_coach:dashboard"))
    expect(page.get_by_role("heading", level=1)).to_have_text(exact(t(language, "Analytics")))

    # A preset range.
    presets = main(page).get_by_role("navigation", name=exact(t(language, "Preset ranges")))
    last_four = presets.get_by_role("link").first
    with page.expect_navigation():
        last_four.click()
    checked(page)
    expect(
        main(page)
        .get_by_role("navigation", name=exact(t(language, "Preset ranges")))
        .get_by_role("link")
        .first
    ).to_have_attribute("aria-current", "page")
    assert "range=4" in page.url

    # A custom range backwards: refused with a message, the default range shown.
    # Dana's today: the form refuses days after it in her zone.
    today = timezone.now().astimezone(ZoneInfo(dana.timezone)).date()
    start_field = main(page).get_by_label(exact(t(language, "From")))
    end_field = main(page).get_by_label(exact(t(language, "To")))
    start_field.fill((today - timedelta(days=3)).isoformat())
    end_field.fill((today - timedelta(days=10)).isoformat())
    with page.expect_navigation():
        main(page).get_by_role("button", name=exact(t(language, "Show range"))).click()
    checked(page)
    expect(main(page).get_by_role("alert")).to_contain_text(
        t(
            language,
            "That range cannot be shown. Check the dates below; the last 12 weeks are shown meanwhile.",
        )
    )
    expect(main(page)).to_contain_text(
        t(language, "The end date must be on or after the start date.")
    )

    # A good custom range: the last 30 days.
    start = today - timedelta(days=30)
    main(page).get_by_label(exact(t(language, "From"))).fill(start.isoformat())
    main(page).get_by_label(exact(t(language, "To"))).fill(today.isoformat())
    with page.expect_navigation():
        main(page).get_by_role("button", name=exact(t(language, "Show range"))).click()
    checked(page)
    assert "range=custom" in page.url
    expect(main(page).get_by_role("alert")).to_have_count(0)

    # The sessions chart is a named image; its table alternative has the same weeks.
    chart = main(page).locator("svg[role='img']").first
    labelled_by = chart.get_attribute("aria-labelledby") or ""
    expect(page.locator(f"[id='{labelled_by}']")).to_have_text(
        t(language, "Completed, cancelled and missed sessions per week")
    )
    table = main(page).get_by_role(
        "table", name=t(language, "Sessions per week (table of the charts above)")
    )
    expect(table).to_be_visible()
    body_rows = table.locator("tbody tr")
    assert body_rows.count() >= 5
    completed = sum(
        int(body_rows.nth(index).locator("td").first.inner_text().strip())
        for index in range(body_rows.count())
    )
    assert completed == 3
    expect(table).to_contain_text(t(language, "Completion rate"))

    # The attention list names the idle client and links to her page.
    attention = main(page).get_by_role(
        "region", name=exact(t(language, "Clients who may need attention"))
    )
    idle = attention.locator("li[data-reason='inactive']")
    expect(idle).to_have_count(1)
    expect(idle).to_contain_text("40")
    expect(attention.locator("li[data-reason='mood_falling']")).to_have_count(1)
    expect(attention.locator("li[data-reason='no_show']")).to_have_count(1)
    link = attention.get_by_role("link", name=exact(world.noa.full_name))
    with page.expect_navigation():
        link.click()
    checked(page)
    assert page.url.endswith(reverse("coach:client", args=[world.noa.pk]))

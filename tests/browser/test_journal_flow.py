"""The practice journal's story in a real browser, in English (1280 px) and Hebrew (375 px).

A client writes an entry, choosing the body zone by keyboard (Tab into "Where in your
body?", Space checks "Chest"; the body map's zone lights up with it), sets mood and
energy and saves; shares the entry with their coach. The coach, in another browser,
opens the client's Journal tab, opens the entry and comments; the client sees the
comment; the client stops sharing, and the coach's reload of the entry's address is
a 404. Every page visited passes ``check_page`` (lang/dir, one h1, no browser errors,
axe-core: 0 WCAG 2.1 A/AA violations) and does not scroll sideways.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from loom.core.models import AuditLog
from loom.journal.models import Comment, Entry
from tests.browser.conftest import PageOpener
from tests.browser.messaging_support import open_as
from tests.browser.support import exact, t
from tests.browser.wellbeing_support import (
    LANGUAGE_VIEWPORT_IDS,
    LANGUAGE_VIEWPORTS,
    TEXTS,
    checked,
    click_and_wait,
    focus_before,
    has_focus_ring,
    main,
    press,
    set_scale,
    speak,
    visit,
)
from tests.world import World

pytestmark = pytest.mark.browser

ZONE_BEFORE_CHEST = ("Head", "Face and jaw", "Throat", "Neck", "Shoulders")


def _zone_look(page, key: str) -> str:
    """What the body map's shape for zone ``key`` looks like (fill, stroke, class, state)."""
    return page.locator(f"#zone-{key}").evaluate(
        "(el) => { const s = getComputedStyle(el);"
        " return [s.fill, s.stroke, s.strokeWidth, el.getAttribute('class') || '',"
        " el.getAttribute('data-selected') || ''].join('|'); }"
    )


@pytest.mark.parametrize(("language", "viewport"), LANGUAGE_VIEWPORTS, ids=LANGUAGE_VIEWPORT_IDS)
def test_write_share_comment_unshare(
    open_page: PageOpener, server_url: str, language: str, viewport: str
) -> None:
    world = World.build()
    client = speak(world.avi, language)
    coach = speak(world.dana, language)
    text = TEXTS[language]

    # The client's journal, then a new entry.
    page = open_as(open_page, client, server_url, reverse("journal:list"))
    checked(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        exact(t(language, "Practice journal"))
    )
    click_and_wait(page, main(page).get_by_role("link", name=exact(t(language, "New entry"))))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        exact(t(language, "New journal entry"))
    )
    page.get_by_role("textbox", name=exact(t(language, "Title"))).fill(text["title"])
    page.get_by_role("textbox", name=exact(t(language, "What did you notice?"))).fill(text["body"])

    # The body map by keyboard: Tab into the fieldset, on to "Chest", Space.
    zones = page.get_by_role("group", name=exact(t(language, "Where in your body?")))
    expect(zones).to_be_visible()
    boxes = zones.get_by_role("checkbox")
    first = boxes.first
    focus_before(page, first)
    page.keyboard.press("Tab")
    expect(first).to_be_focused()
    expect(first).to_have_accessible_name(exact(t(language, ZONE_BEFORE_CHEST[0])))
    for label in ZONE_BEFORE_CHEST[1:]:
        page.keyboard.press("Tab")
        expect(zones.get_by_role("checkbox", name=exact(t(language, label)))).to_be_focused()
    page.keyboard.press("Tab")
    chest = zones.get_by_role("checkbox", name=exact(t(language, "Chest")))
    expect(chest).to_be_focused()
    assert has_focus_ring(chest), f"{page.url}: the focused checkbox shows no focus indicator"
    before = _zone_look(page, "chest")
    page.keyboard.press("Space")
    expect(chest).to_be_checked()
    # The figure follows the list (body-map.js): the chest shape looks selected now.
    page.wait_for_function(
        "(before) => { const el = document.getElementById('zone-chest');"
        " const s = getComputedStyle(el);"
        " return [s.fill, s.stroke, s.strokeWidth, el.getAttribute('class') || '',"
        " el.getAttribute('data-selected') || ''].join('|') !== before; }",
        arg=before,
    )
    assert _zone_look(page, "chest") != before
    # The figure is decoration for assistive technology: the list is the control.
    expect(page.locator("svg:has(#zone-chest)")).to_have_attribute("aria-hidden", "true")

    set_scale(page, language, "Mood (1–10)", 7)
    set_scale(page, language, "Energy (1–10)", 4)
    press(page, language, "Save entry")

    entry = Entry.objects.get(author=client)
    assert entry.body_areas == ["chest"] and entry.mood == 7 and entry.energy == 4
    entry_path = reverse("journal:entry", args=[entry.pk])
    assert page.url.endswith(entry_path), page.url
    expect(main(page)).to_contain_text(t(language, "Chest"))

    # Share it with the coach (Dana is Avi's only coach).
    press(page, language, "Share with coach")
    entry.refresh_from_db()
    assert entry.shared_with_id == coach.pk and entry.shared_at is not None
    expect(page.get_by_role("button", name=exact(t(language, "Stop sharing")))).to_be_visible()

    # The coach: the client's Journal tab, the entry, a comment.
    coach_page = open_as(
        open_page, coach, server_url, reverse("coach:client_tab", args=[client.pk, "journal"])
    )
    checked(coach_page)
    click_and_wait(coach_page, main(coach_page).get_by_role("link", name=text["title"]).first)
    coach_entry_path = reverse("journal_coach:entry", args=[entry.pk])
    assert coach_page.url.endswith(coach_entry_path), coach_page.url
    expect(coach_page.get_by_role("heading", level=1)).to_have_text(
        exact(t(language, "Journal entry"))
    )
    expect(main(coach_page)).to_contain_text(text["body"].replace("*", ""))
    # Every coach access to a shared entry is audited.
    assert AuditLog.objects.filter(
        action="journal.entry_viewed", actor_id=coach.pk, target_id=str(entry.pk)
    ).exists()
    coach_page.get_by_role("textbox", name=exact(t(language, "Add a comment"))).fill(
        text["comment"]
    )
    press(coach_page, language, "Post comment")
    assert Comment.objects.filter(entry=entry, author=coach).count() == 1
    expect(main(coach_page)).to_contain_text(text["comment"])

    # The client sees the comment on their entry.
    visit(page, entry_path)
    expect(main(page)).to_contain_text(text["comment"])

    # The client stops sharing; the comment stays readable for them.
    press(page, language, "Stop sharing")
    entry.refresh_from_db()
    assert entry.shared_with_id is None and entry.shared_at is None
    expect(page.get_by_role("button", name=exact(t(language, "Share with coach")))).to_be_visible()
    expect(main(page)).to_contain_text(text["comment"])

    # The coach's reload of the entry's address: 404, and no text of it on the page.
    response = coach_page.reload()
    assert response is not None and response.status == 404, (
        f"{coach_entry_path} answered {response and response.status} after un-sharing"
    )
    assert text["title"] not in coach_page.content()
    # The Journal tab no longer lists it (a fresh page: the 404 above is in this one's
    # console log, and check_page fails on console errors).
    tab = open_as(
        open_page, coach, server_url, reverse("coach:client_tab", args=[client.pk, "journal"])
    )
    checked(tab)
    expect(main(tab).get_by_role("link", name=text["title"])).to_have_count(0)

"""The crisis safety net in a real browser, in English (1280 px) and Hebrew (375 px).

A client whose journal entry contains crisis language sees, on the very next page, the
support panel (a region headed "You don't have to face this alone", focus moved to it)
with the lines of their own region: 988 for a client in New York, ERAN's 1201 for a
client in Israel. The detection is logged for review without the text; with the
client's consent their coach is counted as told. The full "Crisis support" page opens
for the client and for someone signed out. Every page visited passes ``check_page``
(lang/dir, one h1, no browser errors, axe-core: 0 WCAG 2.1 A/AA violations) and does
not scroll sideways.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from loom.accounts.models import ClientProfile, CrisisSignal
from loom.journal.models import Entry
from tests.browser.conftest import PageOpener
from tests.browser.messaging_support import open_as
from tests.browser.support import exact, t
from tests.browser.wellbeing_support import (
    LANGUAGE_VIEWPORT_IDS,
    LANGUAGE_VIEWPORTS,
    TEXTS,
    checked,
    main,
    press,
    speak,
    visit,
)
from tests.world import World

pytestmark = pytest.mark.browser

# Where the client lives decides the lines: (time zone, the number the panel must offer).
REGIONS = {"en": ("America/New_York", "988"), "he": ("Asia/Jerusalem", "1201")}
PANEL_TITLE = "You don't have to face this alone"


@pytest.mark.parametrize(("language", "viewport"), LANGUAGE_VIEWPORTS, ids=LANGUAGE_VIEWPORT_IDS)
def test_crisis_words_show_the_local_lines(
    open_page: PageOpener, server_url: str, language: str, viewport: str
) -> None:
    world = World.build()
    zone, number = REGIONS[language]
    client = speak(world.avi, language, tz=zone)
    speak(world.dana, language)
    # This client agreed that their coach is told straight away.
    ClientProfile.objects.filter(user=client).update(crisis_contact_consent_at=timezone.now())

    page = open_as(open_page, client, server_url, reverse("journal:new"))
    checked(page)
    page.get_by_role("textbox", name=exact(t(language, "What did you notice?"))).fill(
        TEXTS[language]["crisis"]
    )
    press(page, language, "Save entry")

    entry = Entry.objects.get(author=client)
    assert page.url.endswith(reverse("journal:entry", args=[entry.pk])), page.url
    panel = page.get_by_role("region", name=exact(t(language, PANEL_TITLE)))
    expect(panel).to_be_visible()
    # Focus moves to the panel (safety.js), so a screen reader starts there.
    expect(page.locator("#crisis-panel")).to_be_focused()
    call = panel.get_by_role(
        "link", name=exact(t(language, "Call %(number)s") % {"number": number})
    )
    expect(call.first).to_be_visible()
    expect(call.first).to_have_attribute("href", f"tel:{number}")
    checked(page)

    # Logged for review: which phrase group and how severe, never the words.
    signal = CrisisSignal.objects.get(client=client, source="journal_entry", source_id=entry.pk)
    assert signal.consent is True and signal.coaches_notified == 1
    assert TEXTS[language]["crisis"] not in str(signal.matched)

    # The panel is shown once: the next page does not repeat it.
    visit(page, reverse("journal:list"))
    expect(page.get_by_role("region", name=exact(t(language, PANEL_TITLE)))).to_have_count(0)

    # The full support page, signed in and signed out.
    visit(page, reverse("safety:crisis_lines"))
    expect(page.get_by_role("heading", level=1)).to_have_text(exact(t(language, "Crisis support")))
    expect(main(page)).to_contain_text(number)
    anonymous = open_page(language=language)
    visit(anonymous, reverse("safety:crisis_lines"))
    expect(anonymous.get_by_role("heading", level=1)).to_have_text(
        exact(t(language, "Crisis support"))
    )

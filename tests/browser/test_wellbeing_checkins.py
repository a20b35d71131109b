"""Emotion check-ins in a real browser, in English (1280 px) and Hebrew (375 px).

Six earlier days are recorded through the service (three after 7+ hours of sleep with
a good mood, three after less with a low one). In the browser the client checks in: the
mood meter by keyboard (the arrow keys move the 2-D grid, which updates the two
labelled number fields), an emotion with its intensity, the hours slept. The history
shows the heat map (with its table alternative) and the check-in; the trends page shows
the mood chart and the sleep insight, labelled as a correlation. A client without
enough days gets no insight, only the sentence saying when insights appear. Every page
visited passes ``check_page`` (lang/dir, one h1, no browser errors, axe-core: 0 WCAG
2.1 A/AA violations) and does not scroll sideways.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from loom.core.context import acting_as
from loom.wellbeing.checkins import checkin_record
from loom.wellbeing.heatmap import cell_label
from loom.wellbeing.models import CheckIn
from tests.browser.conftest import PageOpener
from tests.browser.messaging_support import open_as
from tests.browser.support import containing, exact, t
from tests.browser.wellbeing_support import (
    LANGUAGE_VIEWPORT_IDS,
    LANGUAGE_VIEWPORTS,
    checked,
    main,
    press,
    speak,
    tables_behind_charts,
    visit,
)
from tests.world import World

pytestmark = pytest.mark.browser

SLEEP_SENTENCE = (
    "On days with 7+ hours of sleep your mood averaged %(with)s, and %(without)s on other days."
)
CORRELATION = "This shows things that go together, not what causes what."
NOT_ENOUGH = "Insights appear once you have at least 3 days with and 3 days without a factor."


def _seed_week(client) -> None:
    """Days 1–3 back: 8 h of sleep, pleasant 8; days 4–6 back: 5 h, pleasant 4."""
    now = timezone.now()
    with acting_as(client.pk):
        for days_back in range(1, 7):
            rested = days_back <= 3
            checkin_record(
                client=client,
                pleasantness=8 if rested else 4,
                energy=7 if rested else 3,
                emotions=[("calm", 6)] if rested else [("tired", 7)],
                sleep_hours=8 if rested else 5,
                occurred_at=now - timedelta(days=days_back),
            )


def _number(page: Page, language: str, label: str):
    return page.get_by_role("spinbutton", name=exact(t(language, label))).or_(
        page.get_by_role("slider", name=exact(t(language, label)))
    )


def _mood_meter_by_keyboard(page: Page, language: str) -> tuple[int, int]:
    """Move the mood meter with the arrow keys; the two labelled fields follow it."""
    pleasant = _number(page, language, "How pleasant (1–10)")
    energy = _number(page, language, "Energy (1–10)")
    start_pleasant = int(pleasant.input_value() or 0)
    start_energy = int(energy.input_value() or 0)
    grid = main(page).get_by_role("slider", name=exact(t(language, "Mood meter")))
    expect(grid).to_be_visible()
    grid.focus()
    expect(grid).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    # Towards "pleasant" is rightwards in English and leftwards in Hebrew, when the
    # grid is mirrored; either way one of the two keys raises pleasantness.
    page.keyboard.press("ArrowRight" if language == "en" else "ArrowLeft")
    moved_pleasant = int(pleasant.input_value() or 0)
    if moved_pleasant <= start_pleasant:
        page.keyboard.press("ArrowLeft" if language == "en" else "ArrowRight")
        page.keyboard.press("ArrowLeft" if language == "en" else "ArrowRight")
        moved_pleasant = int(pleasant.input_value() or 0)
    moved_energy = int(energy.input_value() or 0)
    assert moved_energy != start_energy, "the arrow keys did not move the energy field"
    assert moved_pleasant != start_pleasant, "the arrow keys did not move the pleasantness field"
    valuetext = grid.get_attribute("aria-valuetext") or ""
    assert str(moved_pleasant) in valuetext and str(moved_energy) in valuetext, (
        f"the meter says {valuetext!r}, the fields {moved_pleasant}/{moved_energy}"
    )
    return moved_pleasant, moved_energy


@pytest.mark.parametrize(("language", "viewport"), LANGUAGE_VIEWPORTS, ids=LANGUAGE_VIEWPORT_IDS)
def test_checkins_heat_map_trends_and_insight(
    open_page: PageOpener, server_url: str, language: str, viewport: str
) -> None:
    world = World.build()
    client = speak(world.avi, language)
    fresh = speak(world.noa, language)
    _seed_week(client)

    page = open_as(open_page, client, server_url, reverse("wellbeing_checkins:list"))
    checked(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(exact(t(language, "Check-ins")))
    visit(page, reverse("wellbeing_checkins:new"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        exact(t(language, "How are you feeling?"))
    )
    pleasant, energy = _mood_meter_by_keyboard(page, language)

    calm = t(language, "Calm")
    main(page).get_by_role("checkbox", name=exact(calm)).check()
    intensity = t(language, "Intensity of %(emotion)s (1–10)") % {"emotion": calm}
    page.get_by_role("spinbutton", name=exact(intensity)).or_(
        page.get_by_role("slider", name=exact(intensity))
    ).fill("6")
    detail = (
        main(page)
        .locator("details")
        .filter(has=page.get_by_text(t(language, "Add detail"), exact=True))
    )
    if detail.count() and detail.first.get_attribute("open") is None:
        detail.first.locator("summary").click()
    sleep = page.get_by_role("spinbutton", name=exact(t(language, "Hours of sleep last night")))
    sleep.fill("8")
    press(page, language, "Save check-in")

    saved = CheckIn.objects.filter(client=client).order_by("-occurred_at").first()
    assert saved is not None
    assert (saved.pleasantness, saved.energy) == (pleasant, energy)
    assert saved.emotions == [{"emotion": "calm", "intensity": 6}]
    assert float(saved.sleep_hours or 0) == 8.0
    assert page.url.split("?")[0].endswith(reverse("wellbeing_checkins:list")), page.url

    # The heat map: today's cell is named with its date, mood and count; the older days too.
    with translation.override(language):
        today_label = cell_label(saved.local_date, float(saved.pleasantness), 1)
        rested_label = cell_label(saved.local_date - timedelta(days=1), 8.0, 1)
    heat = main(page).get_by_role("group", name=containing(t(language, "Mood by day")))
    expect(heat.get_by_role("img", name=exact(today_label))).to_have_count(1)
    expect(heat.get_by_role("img", name=exact(rested_label))).to_have_count(1)
    summary = main(page).get_by_text(t(language, "Show as table"), exact=True).first
    expect(summary).to_be_visible()
    summary.click()
    expect(main(page).locator("table").first).to_be_visible()
    checked(page)

    # Trends: the mood chart with its table, and the sleep insight as a correlation.
    visit(page, reverse("wellbeing_progress:trends"))
    assert tables_behind_charts(page) >= 1
    sentence_start = t(language, SLEEP_SENTENCE).split("%(")[0].strip()
    insights = main(page)
    expect(insights).to_contain_text(containing(sentence_start))
    expect(insights).to_contain_text(t(language, CORRELATION))
    expect(insights).not_to_contain_text(t(language, NOT_ENOUGH))
    checked(page)

    # A client with no history: no insight, only when insights will appear.
    other = open_as(open_page, fresh, server_url, reverse("wellbeing_progress:trends"))
    checked(other)
    expect(main(other)).to_contain_text(t(language, NOT_ENOUGH))
    expect(main(other)).not_to_contain_text(containing(sentence_start))

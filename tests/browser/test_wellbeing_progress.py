"""The progress dashboard and the coach's Progress tab in a real browser, in English
(1280 px) and Hebrew (375 px).

A client with a week of check-ins, a few journal entries and a goal with milestones
opens "Your progress" (both ranges), the trends page and the sharing choices; every
chart is an inline SVG with a name and a table alternative, and nothing scrolls
sideways at 375 px. The coach sees the client's Progress tab — the mood chart and its
table only because the client shares check-ins, the goal because goals are shared —
and the roster's per-client summary. When the client stops sharing check-ins, the
coach's tab says so and shows no chart. Every page visited passes ``check_page``
(lang/dir, one h1, no browser errors, axe-core: 0 WCAG 2.1 A/AA violations).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from loom.core.context import acting_as
from loom.journal.days import local_today
from loom.journal.services import entry_create
from loom.wellbeing.checkins import checkin_record
from loom.wellbeing.goals import goal_create, milestone_toggle
from loom.wellbeing.sharing import sharing_update
from tests.browser.conftest import PageOpener
from tests.browser.messaging_support import open_as
from tests.browser.support import exact, t
from tests.browser.wellbeing_support import (
    LANGUAGE_VIEWPORT_IDS,
    LANGUAGE_VIEWPORTS,
    TEXTS,
    checked,
    main,
    speak,
    tables_behind_charts,
    visit,
)
from tests.world import World

pytestmark = pytest.mark.browser


def _seed(client, language: str) -> None:
    """A week of check-ins, three journal entries and a goal with one of two milestones done."""
    now = timezone.now()
    text = TEXTS[language]
    with acting_as(client.pk):
        for days_back in range(0, 7):
            checkin_record(
                client=client,
                pleasantness=4 + days_back % 5,
                energy=3 + days_back % 6,
                emotions=[("calm", 5)],
                sleep_hours=6 + days_back % 3,
                occurred_at=now - timedelta(days=days_back, minutes=5),
            )
        for days_back in range(3):
            entry_create(
                author=client,
                written_on=local_today(client) - timedelta(days=days_back),
                title=f"{text['title']} {days_back + 1}",
                body=text["body"],
                mood=6,
                practices=["breathing"],
            )
        goal = goal_create(
            client=client,
            title=text["goal"],
            why=text["why"],
            milestones=[(text["milestone1"], None), (text["milestone2"], None)],
        )
        first = goal.milestones.order_by("position", "id")[0]
        milestone_toggle(client=client, milestone_id=first.pk, done=True)
        sharing_update(client=client, share_checkins=True, share_goals=True)


@pytest.mark.parametrize(("language", "viewport"), LANGUAGE_VIEWPORTS, ids=LANGUAGE_VIEWPORT_IDS)
def test_dashboard_trends_and_coach_tab(
    open_page: PageOpener, server_url: str, language: str, viewport: str
) -> None:
    world = World.build()
    client = speak(world.avi, language)
    coach = speak(world.dana, language)
    _seed(client, language)
    text = TEXTS[language]

    page = open_as(open_page, client, server_url, reverse("wellbeing_progress:dashboard"))
    checked(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(exact(t(language, "Your progress")))
    assert tables_behind_charts(page) >= 1
    expect(main(page)).to_contain_text(text["goal"])
    expect(main(page).locator("progress").first).to_have_attribute("value", "50")
    checked(page)
    visit(page, reverse("wellbeing_progress:dashboard") + "?range=90")
    assert tables_behind_charts(page) >= 1
    visit(page, reverse("wellbeing_progress:trends"))
    assert tables_behind_charts(page) >= 2  # mood over time and the weekday pattern at least
    checked(page)
    visit(page, reverse("wellbeing_progress:sharing"))

    # The coach's Progress tab: the shared moods (chart + table) and the shared goal.
    coach_page = open_as(
        open_page, coach, server_url, reverse("coach:client_tab", args=[client.pk, "progress"])
    )
    checked(coach_page)
    assert tables_behind_charts(coach_page) >= 1
    expect(main(coach_page)).to_contain_text(text["goal"])
    checked(coach_page)
    expect(
        main(coach_page).get_by_role("link", name=exact(t(language, "Propose a goal")))
    ).to_be_visible()
    # The roster shows a summary per client.
    visit(coach_page, reverse("coach:roster"))

    # The client stops sharing check-ins: the coach's tab says so and draws no chart.
    with acting_as(client.pk):
        sharing_update(client=client, share_checkins=False, share_goals=True)
    visit(coach_page, reverse("coach:client_tab", args=[client.pk, "progress"]))
    expect(main(coach_page).locator("svg[role='img']")).to_have_count(0)
    expect(main(coach_page)).to_contain_text(
        t(language, "%(name)s has not shared check-ins with you.") % {"name": client.display_name}
    )

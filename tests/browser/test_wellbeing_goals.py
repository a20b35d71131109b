"""Goals in a real browser, in English (1280 px) and Hebrew (375 px).

The client creates a goal with two milestones, completes the first (the next page
celebrates it in a ``role="status"`` message, and the progress bar moves to 50 %); the
coach proposes a goal from the client's page; the client finds the proposal at the top
of Goals and accepts it. Every page visited passes ``check_page`` (lang/dir, one h1, no
browser errors, axe-core: 0 WCAG 2.1 A/AA violations) and does not scroll sideways.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from loom.wellbeing.models import Goal
from tests.browser.conftest import PageOpener
from tests.browser.messaging_support import open_as
from tests.browser.support import exact, t
from tests.browser.wellbeing_support import (
    LANGUAGE_VIEWPORT_IDS,
    LANGUAGE_VIEWPORTS,
    TEXTS,
    checked,
    click_and_wait,
    main,
    press,
    speak,
    visit,
)
from tests.world import World

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("language", "viewport"), LANGUAGE_VIEWPORTS, ids=LANGUAGE_VIEWPORT_IDS)
def test_goal_milestones_celebration_and_proposal(
    open_page: PageOpener, server_url: str, language: str, viewport: str
) -> None:
    world = World.build()
    client = speak(world.avi, language)
    coach = speak(world.dana, language)
    text = TEXTS[language]

    # A new goal with two milestones.
    page = open_as(open_page, client, server_url, reverse("wellbeing_goals:list"))
    checked(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(exact(t(language, "Goals")))
    # The header's link (the empty state offers the same one).
    click_and_wait(page, main(page).get_by_role("link", name=exact(t(language, "New goal"))).first)
    page.get_by_role("textbox", name=exact(t(language, "Goal"))).fill(text["goal"])
    page.get_by_role("textbox", name=exact(t(language, "Why it matters"))).fill(text["why"])
    page.get_by_role("textbox", name=exact(t(language, "How will you know?"))).fill(text["measure"])
    milestone = t(language, "Milestone %(number)s")
    page.get_by_role("textbox", name=exact(milestone % {"number": 1})).fill(text["milestone1"])
    page.get_by_role("textbox", name=exact(milestone % {"number": 2})).fill(text["milestone2"])
    press(page, language, "Save goal")

    goal = Goal.objects.get(client=client, proposed_by=None)
    assert goal.status == Goal.Status.ACTIVE
    assert [m.title for m in goal.milestones.all()] == [text["milestone1"], text["milestone2"]]
    detail_path = reverse("wellbeing_goals:detail", args=[goal.pk])
    assert page.url.endswith(detail_path), page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(exact(text["goal"]))

    # Complete the first milestone: the next page celebrates it, once, as a status message.
    mark_done = t(language, "Mark %(title)s done") % {"title": text["milestone1"]}
    press(page, language, mark_done)
    celebration = main(page).get_by_role("status")
    expect(celebration).to_be_visible()
    expect(celebration).to_contain_text(
        t(language, "Milestone reached: %(title)s!") % {"title": text["milestone1"]}
    )
    goal.refresh_from_db()
    assert goal.progress == 50
    expect(page.locator("progress#goal-progress")).to_have_attribute("value", "50")
    expect(
        page.get_by_role(
            "button",
            name=exact(t(language, "Mark %(title)s not done") % {"title": text["milestone1"]}),
        )
    ).to_have_attribute("aria-pressed", "true")
    visit(page, detail_path)
    expect(main(page).get_by_role("status")).to_have_count(0)

    # The coach proposes a goal from the client's page.
    coach_page = open_as(
        open_page, coach, server_url, reverse("wellbeing_goals:propose", args=[client.pk])
    )
    checked(coach_page)
    coach_page.get_by_role("textbox", name=exact(t(language, "Goal"))).fill(text["proposal"])
    press(coach_page, language, "Propose goal")
    proposal = Goal.objects.get(client=client, proposed_by=coach)
    assert proposal.status == Goal.Status.PROPOSED

    # The client sees it at the top of Goals and accepts it.
    visit(page, reverse("wellbeing_goals:list"))
    expect(main(page)).to_contain_text(text["proposal"])
    accept = main(page).get_by_role("button", name=exact(t(language, "Accept goal"))).first
    click_and_wait(page, accept)
    proposal.refresh_from_db()
    assert proposal.status == Goal.Status.ACTIVE and proposal.accepted_at is not None

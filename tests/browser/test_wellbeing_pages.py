"""Every journal, check-in, goal, progress, data and safety page, in the other two
combinations the flows leave out: English at 375 px and Hebrew at 1280 px.

The flows (``test_journal_flow`` … ``test_safety_crisis``) run English at 1280 px and
Hebrew at 375 px and visit the pages of their story; this sweep opens every page of the
issue — edit and delete confirmations, the quick check-in, the coach's prompts and
proposal pages, the data export and erase pages, the safety settings and the admins'
review — with data in them, as the client, the coach and an admin. Each passes
``check_page`` (lang/dir, one h1, no browser errors, axe-core: 0 WCAG 2.1 A/AA
violations) and does not scroll sideways.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from loom.accounts.models import CrisisSignal
from loom.accounts.safety import safety_check
from loom.core.context import acting_as, system_context
from loom.journal.services import entry_create
from loom.journal.sharing import comment_add, entry_share, prompt_create
from loom.wellbeing.checkins import checkin_record
from loom.wellbeing.goals import goal_create, goal_propose
from loom.wellbeing.sharing import sharing_update
from tests.browser.conftest import PageOpener
from tests.browser.messaging_support import sign_in_with_cookie
from tests.browser.wellbeing_support import TEXTS, speak, visit
from tests.world import World

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("language", "viewport"), [("en", "375"), ("he", "1280")], ids=["en-375", "he-1280"]
)
def test_every_wellbeing_page(
    open_page: PageOpener, server_url: str, language: str, viewport: str
) -> None:
    world = World.build()
    client = speak(world.avi, language)
    coach = speak(world.dana, language)
    admin = speak(world.admin, language)
    text = TEXTS[language]
    now = timezone.now()

    with acting_as(coach.pk):
        prompt = prompt_create(coach=coach, text=text["why"])
    with acting_as(client.pk):
        entry = entry_create(
            author=client,
            title=text["title"],
            body=text["body"],
            mood=6,
            energy=5,
            emotions=["calm", "curious"],
            body_areas=["chest", "shoulders"],
            practices=["breathing"],
            prompt_id=prompt.pk,
        ).entry
        entry_share(author=client, entry_id=entry.pk, coach_id=coach.pk)
        for days_back in range(4):
            checkin = checkin_record(
                client=client,
                pleasantness=5 + days_back,
                energy=4 + days_back,
                emotions=[("calm", 6), ("tired", 3)],
                sensations=["tension"],
                trigger=text["why"],
                coping_strategy="breathing",
                coping_helped=4,
                sleep_hours=7.5,
                occurred_at=now - timedelta(days=days_back, minutes=1),
            ).checkin
        goal = goal_create(
            client=client,
            title=text["goal"],
            why=text["why"],
            measure=text["measure"],
            milestones=[(text["milestone1"], None), (text["milestone2"], None)],
        )
        sharing_update(client=client, share_checkins=True, share_goals=True)
    with acting_as(coach.pk):
        comment_add(author=coach, entry_id=entry.pk, body=text["comment"])
        proposal = goal_propose(coach=coach, client_id=client.pk, title=text["proposal"])
    # A detection for the admins' review page (the text is never kept).
    with system_context():
        safety_check(client=client, text=text["crisis"], source="journal_entry", source_id=entry.pk)
    assert CrisisSignal.objects.filter(client=client).exists()
    milestone = goal.milestones.order_by("position", "id")[0]

    page = open_page()
    sign_in_with_cookie(page, client, server_url)
    for path in (
        reverse("journal:list"),
        reverse("journal:new"),
        reverse("journal:entry", args=[entry.pk]),
        reverse("journal:edit", args=[entry.pk]),
        reverse("journal:delete", args=[entry.pk]),
        reverse("wellbeing_checkins:list"),
        reverse("wellbeing_checkins:new"),
        reverse("wellbeing_checkins:new") + "?quick=1",
        reverse("wellbeing_checkins:detail", args=[checkin.pk]),
        reverse("wellbeing_checkins:edit", args=[checkin.pk]),
        reverse("wellbeing_checkins:delete", args=[checkin.pk]),
        reverse("wellbeing_goals:list"),
        reverse("wellbeing_goals:list") + "?show=proposed",
        reverse("wellbeing_goals:new"),
        reverse("wellbeing_goals:detail", args=[goal.pk]),
        reverse("wellbeing_goals:detail", args=[proposal.pk]),
        reverse("wellbeing_goals:edit", args=[goal.pk]),
        reverse("wellbeing_goals:delete", args=[goal.pk]),
        reverse("wellbeing_goals:milestone_edit", args=[milestone.pk]),
        reverse("wellbeing_progress:dashboard"),
        reverse("wellbeing_progress:trends") + "?range=365",
        reverse("wellbeing_progress:sharing"),
        reverse("wellbeing_data:page"),
        reverse("wellbeing_data:erase"),
        reverse("safety:settings"),
        reverse("safety:crisis_lines"),
    ):
        visit(page, path)

    coach_page = open_page()
    sign_in_with_cookie(coach_page, coach, server_url)
    for path in (
        reverse("coach:roster"),
        reverse("coach:client_tab", args=[client.pk, "journal"]),
        reverse("journal_coach:entry", args=[entry.pk]),
        reverse("journal_coach:prompts"),
        reverse("journal_coach:prompt_edit", args=[prompt.pk]),
        reverse("journal_coach:prompt_delete", args=[prompt.pk]),
        reverse("coach:client_tab", args=[client.pk, "progress"]),
        reverse("wellbeing_goals:propose", args=[client.pk]),
        reverse("wellbeing_goals:withdraw", args=[proposal.pk]),
    ):
        visit(coach_page, path)

    admin_page = open_page()
    sign_in_with_cookie(admin_page, admin, server_url)
    visit(admin_page, reverse("safety:review"))

"""A group session in a real browser: the last seat, the waitlist, an offer accepted.

One client takes the last seat; a second joins the waitlist; the first gives the seat
up; the second is offered it and accepts. English at phone width and Hebrew (right
to left) at desktop width; axe reports no violation on any page visited, and neither
client ever sees the other's name.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from loom.accounts.models import CoachClient, Role
from loom.scheduling.models import (
    SeatStatus,
    Session,
    SessionSeat,
    SessionType,
    WaitlistEntry,
    WaitlistStatus,
)
from tests.browser.conftest import PageOpener
from tests.browser.support import check_page, containing, sign_in, t, visit_and_check
from tests.scheduling.support import hours, session_type
from tests.world import PASSWORD, World, make_user

pytestmark = pytest.mark.browser


def _click(page: Page, language: str, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=containing(t(language, name))).first.click()
    check_page(page)


@pytest.mark.parametrize(("language", "viewport"), [("en", "375"), ("he", "1280")])
def test_last_seat_waitlist_release_offer_accept(open_page: PageOpener, language: str) -> None:
    world = World.build()
    first = world.avi if language == "en" else world.noa
    second = make_user(
        f"second.{language}@example.com",
        role=Role.CLIENT,
        full_name="Second Client",
        language=language,
        tz="Asia/Jerusalem" if language == "he" else "America/New_York",
    )
    CoachClient.objects.create(coach=world.dana, client=second)
    kind = SessionType.objects.create(
        coach=world.dana, name_en="Circle", name_he="מעגל", duration_minutes=60, capacity=2
    )
    starts_at = (timezone.now() + timedelta(days=3)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    session = Session.objects.create(
        coach=world.dana,
        client=None,
        capacity=2,
        session_type=kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        coach_timezone=world.dana.timezone,
    )
    # One seat is taken already, by someone neither client should ever see named.
    filler = world.maya
    CoachClient.objects.create(coach=world.dana, client=filler)
    SessionSeat.objects.create(session=session, client=filler)
    detail = f"/client/groups/{session.pk}/"

    # The first client takes the last seat from the list.
    one = open_page()
    visit_and_check(one, "/accounts/login/?next=/client/groups/")
    sign_in(one, email=first.email, password=PASSWORD)
    expect(one).to_have_url(re.compile(r"/client/groups/$"))
    check_page(one)
    _click(one, language, "Take a seat")
    assert SessionSeat.objects.filter(client=first, status=SeatStatus.TAKEN).exists()
    expect(one.get_by_text(t(language, "You have a seat")).first).to_be_visible()

    # The second finds it full and joins the waitlist.
    two = open_page()
    visit_and_check(two, "/accounts/login/?next=/client/groups/")
    sign_in(two, email=second.email, password=PASSWORD)
    check_page(two)
    assert two.get_by_role("button", name=containing(t(language, "Take a seat"))).count() == 0
    _click(two, language, "Join the waitlist")
    assert WaitlistEntry.objects.get(client=second).status == WaitlistStatus.WAITING

    # The first gives the seat up on the session's page.
    visit_and_check(one, detail)
    one.get_by_role("textbox").first.fill("Sorry")
    _click(one, language, "Give up my seat")
    assert SessionSeat.objects.get(client=first).status == SeatStatus.CANCELLED

    # The second is offered the seat and accepts it.
    visit_and_check(two, detail)
    expect(two.get_by_text(t(language, "A seat is held for you."))).to_be_visible()
    _click(two, language, "Accept the seat")
    assert SessionSeat.objects.filter(client=second, status=SeatStatus.TAKEN).exists()
    assert WaitlistEntry.objects.get(client=second).status == WaitlistStatus.ACCEPTED
    expect(two.get_by_text(t(language, "You have a seat")).first).to_be_visible()

    # Neither page ever named another attendee.
    for page, other in ((one, second), (two, first)):
        html = page.content()
        for secret in (other.full_name, other.email, filler.full_name, filler.email):
            assert secret not in html


@pytest.mark.parametrize(
    ("language", "viewport", "who"), [("en", "1280", "dana"), ("he", "375", "eli")]
)
def test_coach_creates_a_group_session_and_sees_its_seats(
    open_page: PageOpener, language: str, who: str
) -> None:
    world = World.build()
    coach = getattr(world, who)
    hours(coach)
    session_type(coach, name_en="Circle", name_he="מעגל", capacity=4, minimum_notice_minutes=0)
    page = open_page()
    visit_and_check(page, "/accounts/login/?next=/coach/groups/")
    sign_in(page, email=coach.email, password=PASSWORD)
    expect(page).to_have_url(re.compile(r"/coach/groups/$"))
    check_page(page)
    _click(page, language, "Choose a time")
    page.locator(".slot-picker input[type=radio]").first.check()
    _click(page, language, "Create group session")
    created = Session.objects.get(coach=coach)
    assert created.client is None and created.capacity == 4
    expect(page).to_have_url(re.compile(rf"/coach/sessions/{created.pk}/$"))
    expect(page.get_by_text(t(language, "Nobody has taken a seat yet."))).to_be_visible()
    visit_and_check(page, "/coach/groups/")
    name = "מעגל" if language == "he" else "Circle"
    expect(page.get_by_role("link", name=containing(name))).to_be_visible()

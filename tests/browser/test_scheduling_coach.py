"""The coach's session pages in a browser, in English and Hebrew, at phone and desktop
widths: a client's request waits in the queue; the coach approves it, opens the
session, reschedules it through the slot grid, and looks at the week calendar and the
sessions list. Every page passes ``check_page`` (lang/dir, one h1, no browser errors,
axe-core: 0 WCAG 2.1 A/AA violations).
"""

from __future__ import annotations

from datetime import time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from loom.scheduling.forms import slot_value
from loom.scheduling.models import Session, SessionStatus
from loom.scheduling.selectors import slots_for_session_type
from loom.scheduling.services import (
    SessionTypeInput,
    session_book,
    session_type_create,
    weekly_availability_set,
)
from tests.browser.conftest import PageOpener
from tests.browser.support import check_page, exact, sign_in, submit, t, visit_and_check
from tests.world import PASSWORD, World

pytestmark = pytest.mark.browser

CASES = [("en", "1280"), ("he", "375")]


@pytest.mark.parametrize(("language", "viewport"), CASES)
def test_coach_approves_a_request_and_reschedules_it(
    open_page: PageOpener, language: str, viewport: str
) -> None:
    world = World.build()
    coach, client = (world.dana, world.avi) if language == "en" else (world.eli, world.maya)
    weekly_availability_set(
        coach=coach, ranges=[(day, time(8, 0), time(20, 0)) for day in range(7)]
    )
    kind = session_type_create(
        coach=coach,
        data=SessionTypeInput(
            name_en="Coaching", name_he="אימון", duration_minutes=60, booking_mode="request"
        ),
    )
    now = timezone.now()
    slots = slots_for_session_type(kind, start=now + timedelta(days=2), end=now + timedelta(days=5))
    request = session_book(
        actor=client,
        coach=coach,
        client=client,
        session_type=kind,
        starts_at=slots[0].starts_at,
    )
    assert request.status == SessionStatus.REQUESTED
    new_time = slots[-1].starts_at

    page = open_page(language=language)
    visit_and_check(page, "/accounts/login/?next=/coach/sessions/requests/")
    sign_in(page, email=coach.email, password=PASSWORD)
    assert urlsplit(page.url).path == "/coach/sessions/requests/", page.url
    check_page(page, language=language)

    # The decline dialog opens from the queue (and closes again, nothing declined).
    page.get_by_role(
        "link", name=exact(t(language, "Decline") + " " + _the_request(language, client))
    ).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    check_page(page, language=language)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Approve.
    with page.expect_navigation():
        page.get_by_role(
            "button", name=exact(t(language, "Approve") + " " + _the_request(language, client))
        ).click()
    check_page(page, language=language)
    request.refresh_from_db()
    assert request.status == SessionStatus.SCHEDULED

    # The session page, then the reschedule page with its slot grid.
    visit_and_check(page, f"/coach/sessions/{request.pk}/", language=language)
    with page.expect_navigation():
        page.get_by_role("link", name=exact(t(language, "Reschedule"))).click()
    check_page(page, language=language)
    # The days fold: open the new time's day (with the keyboard), then choose the time.
    radio = page.locator(f"#slot-{slot_value(new_time).lower().replace(':', '')}")
    day = page.locator("details.sc-slot-day", has=radio)
    if not day.evaluate("(details) => details.open"):
        day.locator("summary").focus()
        page.keyboard.press("Enter")
    radio.check()
    submit(page, "Move the session", language=language)
    assert urlsplit(page.url).path == f"/coach/sessions/{request.pk}/", page.url
    check_page(page, language=language)
    moved = Session.objects.get(pk=request.pk)
    assert moved.starts_at == new_time
    assert moved.sequence == request.sequence + 1

    # The week of the new time on the calendar, and the sessions list.
    week = new_time.astimezone(ZoneInfo(coach.timezone)).date().isoformat()
    visit_and_check(page, f"/coach/sessions/calendar/?week={week}", language=language)
    expect(page.locator(f'a[href="/coach/sessions/{request.pk}/"]')).to_have_count(1)
    visit_and_check(page, "/coach/sessions/", language=language)
    visit_and_check(page, "/coach/", language=language)


def _the_request(language: str, client: object) -> str:
    """The hidden end of the queue's button names: "the request from <name>"."""
    return t(language, "the request from %(name)s") % {"name": client.display_name}  # type: ignore[attr-defined]

"""Issue 3's end-to-end booking test, in English and in Hebrew.

A client books a session through the pages (type, slot in their own zone with the
coach's alongside, confirm); the coach sees it on their sessions page and reschedules
it through the coach session page's slot grid; the client's emails, delivered to a
real SMTP server through the outbox, carry calendar files for the same event (one
UID) with a growing SEQUENCE; the client then cancels inside the coach's cutoff and
the late cancellation is flagged on both sides' pages. Every page visited passes
``check_page`` (lang/dir, one h1, no browser errors, axe-core: 0 WCAG 2.1 A/AA
violations).

The clock is the real one (the browser keeps real cookies): the coach works every
day, so there are always times to book.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from email.message import EmailMessage
from typing import Any

import icalendar
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from loom.core.outbox import outbox_drain
from loom.scheduling.forms import slot_value
from loom.scheduling.models import Session, SessionStatus
from loom.scheduling.selectors import slots_for_session_type
from loom.scheduling.services import (
    SessionTypeInput,
    scheduling_settings_update,
    session_type_create,
    weekly_availability_set,
)
from tests.browser.conftest import PageOpener
from tests.browser.support import check_page, exact, fill, sign_in, submit, t, visit_and_check
from tests.smtp import SmtpServer
from tests.world import PASSWORD, World

pytestmark = pytest.mark.browser

# The client books about five days ahead; the coach moves it to about two days ahead,
# inside the 72-hour cutoff, so the client's cancellation afterwards is late.
CUTOFF_HOURS = 72
BOOK_AHEAD = timedelta(days=5)
MOVE_AHEAD = timedelta(days=2)
NAMES = {"en": "Focus session", "he": "מפגש מיקוד"}
REASONS = {"en": "I am unwell", "he": "אני לא מרגיש טוב"}


def _setup(language: str) -> tuple[World, Any]:
    world = World.build()
    for person in (world.dana, world.avi):
        person.language = language
        person.save(update_fields=["language"])
    weekly_availability_set(
        coach=world.dana, ranges=[(day, time(0, 0), time(23, 45)) for day in range(7)]
    )
    kind = session_type_create(
        coach=world.dana,
        data=SessionTypeInput(
            name_en=NAMES["en"],
            name_he=NAMES["he"],
            duration_minutes=60,
            minimum_notice_minutes=60,
            booking_horizon_days=30,
        ),
    )
    scheduling_settings_update(coach=world.dana, cancellation_cutoff_hours=CUTOFF_HOURS)
    return world, kind


def _first_slot_after(kind: Any, moment: datetime, *, exclude: int | None = None) -> datetime:
    slots = slots_for_session_type(
        kind, start=moment, end=moment + timedelta(days=1), exclude_session_id=exclude
    )
    assert slots, f"no slot offered after {moment}"
    return slots[0].starts_at


def _fits_the_width(page: Page) -> None:
    """Nothing scrolls sideways (the 375 px phone width included)."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"{page.url}: the page is {overflow}px wider than the window"


def _calendar_emails(
    mail: SmtpServer, address: str, count: int
) -> list[tuple[str, Any, EmailMessage]]:
    """At least ``count`` emails to ``address`` with a calendar file, as (METHOD, VEVENT,
    message), in the order of their SEQUENCE."""
    outbox_drain()
    found: list[tuple[str, Any, EmailMessage]] = []
    for total in range(1, 60):
        messages = [message for message in mail.wait_for(total) if message["To"] == address]
        found = [
            (*_calendar_event(message), message) for message in messages if _has_calendar(message)
        ]
        if len(found) >= count:
            break
    assert len(found) >= count, f"expected {count} calendar emails to {address}, got {len(found)}"
    return sorted(found, key=lambda entry: int(entry[1]["SEQUENCE"]))


def _has_calendar(message: EmailMessage) -> bool:
    return any(part.get_content_type() == "text/calendar" for part in message.iter_attachments())


def _calendar_event(message: EmailMessage) -> tuple[str, Any]:
    [attachment] = [
        part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"
    ]
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    [event] = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event


@pytest.mark.parametrize(("language", "viewport"), [("en", "1280"), ("he", "375")])
def test_client_books_coach_reschedules_client_cancels_late(
    open_page: PageOpener, mail_via_smtp: SmtpServer, language: str, viewport: str
) -> None:
    world, kind = _setup(language)
    now = timezone.now()
    booked_at = _first_slot_after(kind, now + BOOK_AHEAD)

    # --- The client books: type, slot (own zone, coach's alongside), confirm.
    client_page = open_page()
    visit_and_check(client_page, "/accounts/login/?next=/client/sessions/book/")
    sign_in(client_page, email=world.avi.email, password=PASSWORD)
    check_page(client_page)
    assert client_page.url.endswith("/client/sessions/book/")
    expect(client_page.get_by_role("heading", name=exact(NAMES[language]))).to_be_visible()
    with client_page.expect_navigation():
        client_page.get_by_role("link", name=exact(t(language, "Choose a time"))).click()
    check_page(client_page)
    # Avi is in Jerusalem, Dana in New York: the coach's time is shown alongside.
    slot_link = client_page.locator(f'a[href*="start={slot_value(booked_at).replace(":", "%3A")}"]')
    expect(slot_link).to_contain_text("America/New_York")
    _fits_the_width(client_page)
    # Keyboard: the slots are links in reading order; Enter follows one.
    slot_link.focus()
    with client_page.expect_navigation():
        client_page.keyboard.press("Enter")
    check_page(client_page)
    submit(client_page, "Book this session")
    check_page(client_page)
    _fits_the_width(client_page)
    session = Session.objects.get(client=world.avi)
    assert (session.starts_at, session.status) == (booked_at, SessionStatus.SCHEDULED)
    assert client_page.url.endswith(f"/client/sessions/{session.pk}/")
    expect(client_page.locator("main")).to_contain_text("Asia/Jerusalem")
    expect(client_page.locator("main")).to_contain_text("America/New_York")

    # --- The coach sees it on their sessions page, and moves it on the session page.
    coach_page = open_page()
    visit_and_check(coach_page, "/accounts/login/?next=/coach/sessions/")
    sign_in(coach_page, email=world.dana.email, password=PASSWORD)
    check_page(coach_page)
    session_link = coach_page.locator(f'main a[href="/coach/sessions/{session.pk}/"]').first
    expect(session_link).to_be_visible()
    with coach_page.expect_navigation():
        session_link.click()
    check_page(coach_page)
    with coach_page.expect_navigation():
        coach_page.get_by_role("link", name=exact(t(language, "Reschedule"))).click()
    check_page(coach_page)
    moved_to = _first_slot_after(kind, now + MOVE_AHEAD, exclude=session.pk)
    new_time = coach_page.locator(f'input[name="starts_at"][value="{slot_value(moved_to)}"]')
    # Each day of the grid folds; only the first one starts open.
    day = coach_page.locator("details.sc-slot-day", has=new_time)
    if day.get_attribute("open") is None:
        day.locator("summary").click()
    new_time.check()
    submit(coach_page, "Move the session")
    check_page(coach_page)
    session.refresh_from_db()
    assert (session.starts_at, session.sequence) == (moved_to, 1)

    # --- The client's emails: the booking's invitation, then the same event updated.
    (booked_method, booked_event, _booked), (moved_method, moved_event, moved_mail) = (
        _calendar_emails(mail_via_smtp, world.avi.email, 2)[:2]
    )
    assert booked_method == moved_method == "REQUEST"
    assert str(booked_event["UID"]) == str(moved_event["UID"]) == session.uid
    assert int(moved_event["SEQUENCE"]) > int(booked_event["SEQUENCE"])
    assert booked_event.decoded("DTSTART") == booked_at
    assert moved_event.decoded("DTSTART") == moved_to
    assert moved_mail["Content-Language"] == language

    # --- The client's home and list show the moved session; moving it again is
    # refused now that it is inside the cutoff.
    visit_and_check(client_page, "/client/")
    expect(client_page.locator(f'main a[href="/client/sessions/{session.pk}/"]')).to_be_visible()
    visit_and_check(client_page, "/client/sessions/")
    visit_and_check(client_page, f"/client/sessions/{session.pk}/reschedule/")
    expect(client_page.locator("main .alert")).to_be_visible()

    # --- The client cancels inside the cutoff: warned, allowed, flagged.
    visit_and_check(client_page, f"/client/sessions/{session.pk}/")
    expect(client_page.locator("main")).to_contain_text(
        t(
            language,
            "It is now within that notice period: if you cancel, it will be recorded as a late cancellation.",
        )
    )
    with client_page.expect_navigation():
        client_page.get_by_role("link", name=exact(t(language, "Cancel session"))).click()
    check_page(client_page)
    expect(client_page.get_by_role("alert")).to_contain_text(
        t(language, "This will be recorded as a late cancellation.")
    )
    fill(client_page, "Reason (optional)", REASONS[language])
    submit(client_page, "Cancel anyway")
    check_page(client_page)
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED and session.late_cancellation
    expect(client_page.locator("main")).to_contain_text(t(language, "Late cancellation"))
    expect(client_page.locator("main")).to_contain_text(REASONS[language])
    visit_and_check(client_page, "/client/sessions/?when=past")
    expect(client_page.locator("main")).to_contain_text(t(language, "Late cancellation"))
    _fits_the_width(client_page)

    visit_and_check(coach_page, f"/coach/sessions/{session.pk}/")
    expect(coach_page.locator("main")).to_contain_text(t(language, "Late cancellation"))
    expect(coach_page.locator("main")).to_contain_text(REASONS[language])

    # The cancellation's calendar file removes the same event.
    cancel_method, cancel_event, _cancelled = _calendar_emails(mail_via_smtp, world.avi.email, 3)[2]
    assert cancel_method == "CANCEL"
    assert str(cancel_event["UID"]) == session.uid
    assert int(cancel_event["SEQUENCE"]) > int(moved_event["SEQUENCE"])

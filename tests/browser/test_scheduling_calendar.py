"""Calendar subscription in a real browser: create the private link, copy it, subscribe.

English at desktop width and Hebrew (right to left) at phone width; axe reports no
violation on any page visited.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from loom.scheduling.models import CalendarFeed, Session, SessionEvent, SessionType
from tests.browser.conftest import PageOpener
from tests.browser.support import check_page, exact, sign_in, t, visit_and_check
from tests.world import PASSWORD, World

pytestmark = pytest.mark.browser

FEED_URL = re.compile(r"^https?://[^/]+/calendar/feed/[A-Za-z0-9_-]{43}\.ics$")


@pytest.mark.parametrize(
    ("language", "viewport", "who"), [("en", "1280", "dana"), ("he", "375", "noa")]
)
def test_person_creates_a_calendar_link_and_copies_it(
    open_page: PageOpener, server_url: str, language: str, who: str
) -> None:
    world = World.build()
    person = getattr(world, who)
    page = open_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
    visit_and_check(page, "/accounts/login/?next=/account/calendar/")
    sign_in(page, email=person.email, password=PASSWORD)
    expect(page).to_have_url(re.compile(r"/account/calendar/$"))
    check_page(page)

    with page.expect_navigation():
        page.get_by_role("button", name=exact(t(language, "Create calendar link"))).click()
    check_page(page)
    field = page.get_by_role("textbox", name=exact(t(language, "Calendar link")))
    url = field.input_value()
    assert FEED_URL.match(url), url
    # The copy button exists only with a working clipboard (progressive enhancement).
    copy = page.get_by_role("button", name=exact(t(language, "Copy link")))
    expect(copy).to_be_visible()
    copy.click()
    expect(page.get_by_text(t(language, "Calendar link copied."))).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == url
    webcal = page.get_by_role("link", name=exact(t(language, "Open in your calendar app")))
    assert webcal.get_attribute("href") == "webcal://" + url.split("://", 1)[1]

    # A calendar app fetches the URL without any sign-in.
    feed = page.context.request.get(url)
    assert feed.status == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert feed.text().startswith("BEGIN:VCALENDAR\r\n")
    assert CalendarFeed.objects.get(user=person).last_fetched_at is not None

    # Reloading the page never shows the link again; revoking stops it at once.
    visit_and_check(page, "/account/calendar/")
    assert url not in page.content()
    with page.expect_navigation():
        page.get_by_role("button", name=exact(t(language, "Revoke link"))).click()
    check_page(page)
    assert page.context.request.get(url).status == 404


@pytest.mark.parametrize(("language", "viewport"), [("en", "375"), ("he", "1280")])
def test_old_email_link_says_the_session_moved(
    open_page: PageOpener, server_url: str, language: str
) -> None:
    world = World.build()
    client = world.avi if language == "en" else world.noa
    kind = SessionType.objects.create(coach=world.dana, name_en="Coaching", duration_minutes=60)
    starts_at = (timezone.now() + timedelta(days=3)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    session = Session.objects.create(
        coach=world.dana,
        client=client,
        session_type=kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        coach_timezone=world.dana.timezone,
    )
    # Moved by hand (the slot rules are not what this page is about).
    Session.objects.filter(pk=session.pk).update(
        starts_at=starts_at + timedelta(days=1),
        ends_at=starts_at + timedelta(days=1, hours=1),
        sequence=1,
    )
    session.refresh_from_db()
    SessionEvent.objects.create(
        session=session,
        actor=world.dana,
        occurred_at=timezone.now(),
        kind="rescheduled",
        old_starts_at=starts_at,
        new_starts_at=session.starts_at,
    )

    page = open_page()
    visit_and_check(page, f"/accounts/login/?next=/sessions/{session.pk}/%3Fv%3D0")
    sign_in(page, email=client.email, password=PASSWORD)
    expect(page).to_have_url(re.compile(rf"/sessions/{session.pk}/\?v=0$"))
    check_page(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        exact(t(language, "This session moved"))
    )
    expect(page.get_by_role("link", name=exact(t(language, "See the session now")))).to_be_visible()

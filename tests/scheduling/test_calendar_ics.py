""" "Add to calendar": the .ics download, Google and Outlook links, and the session panel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
import time_machine
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from loom.accounts.models import User
from loom.scheduling.calendar_feed import google_calendar_url, outlook_calendar_url
from loom.scheduling.models import LocationKind, Session, SessionPrivateNote
from loom.scheduling.services import session_book, session_cancel, session_reschedule
from tests.conftest import signed_in
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

pytestmark = pytest.mark.django_db

NOW = utc(2026, 6, 1, 12, 0)
# Tuesday 2026-06-02 14:00 UTC: 10:00 in New York (Dana), 17:00 in Jerusalem (Avi).
TUESDAY_10 = utc(2026, 6, 2, 14, 0)
WEDNESDAY_10 = utc(2026, 6, 3, 14, 0)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def booked(world: World, clock: Any) -> Session:
    hours(world.dana, "09:00", "17:00", days=range(5))
    return session_book(
        actor=world.avi,
        coach=world.dana,
        client=world.avi,
        session_type=session_type(world.dana, description_en="Bring your notebook"),
        starts_at=TUESDAY_10,
    )


def _download(user: User, session: Session) -> Any:
    return signed_in(user).get(reverse("scheduling_calendar:session_ics", args=[session.pk]))


def _event(body: bytes) -> Any:
    calendar = icalendar.Calendar.from_ical(body)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_download_matches_the_stored_session_for_each_party(world: World, booked: Session) -> None:
    for user in (world.avi, world.dana):
        response = _download(user, booked)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert "attachment" in response["Content-Disposition"]
        assert "no-store" in response["Cache-Control"]
        calendar, event = _event(response.content)
        assert str(calendar["METHOD"]) == "PUBLISH"
        assert str(event["UID"]) == booked.uid
        assert int(event["SEQUENCE"]) == booked.sequence
        # Times resolve to the stored instants; written in the coach's zone with a VTIMEZONE.
        assert event.decoded("DTSTART") == booked.starts_at
        assert event.decoded("DTEND") == booked.ends_at
        assert event["DTSTART"].params["TZID"] == "America/New_York"
        [zone] = calendar.walk("VTIMEZONE")
        assert str(zone["TZID"]) == "America/New_York"
        # The meeting link is the location, the URL and part of the description.
        assert str(event["LOCATION"]) == booked.meeting_url
        assert str(event["URL"]) == booked.meeting_url
        assert booked.meeting_url in str(event["DESCRIPTION"])
        assert f"/sessions/{booked.pk}/?v={booked.sequence}" in str(event["DESCRIPTION"])


def test_download_names_the_other_party_but_never_an_address_or_note(
    world: World, booked: Session
) -> None:
    SessionPrivateNote.objects.create(session=booked, coach=world.dana, body="Secret coach thought")
    avi_copy = _download(world.avi, booked).content.decode()
    dana_copy = _download(world.dana, booked).content.decode()
    _calendar, avi_event = _event(avi_copy.encode())
    _calendar, dana_event = _event(dana_copy.encode())
    assert str(avi_event["SUMMARY"]) == "Coaching with Dana Levi"
    assert str(dana_event["SUMMARY"]) == "Coaching with Avi Mizrahi"
    for text in (avi_copy, dana_copy):
        assert "@example.com" not in text
        assert "mailto:" not in text
        assert "Secret coach thought" not in text


def test_download_uid_is_stable_and_sequence_grows_after_a_reschedule(
    world: World, booked: Session
) -> None:
    _calendar, before = _event(_download(world.avi, booked).content)
    moved = session_reschedule(actor=world.dana, session=booked, starts_at=WEDNESDAY_10)
    _calendar, after = _event(_download(world.avi, moved).content)
    assert str(after["UID"]) == str(before["UID"]) == booked.uid
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after.decoded("DTSTART") == WEDNESDAY_10
    assert after.decoded("DTEND") == WEDNESDAY_10 + timedelta(hours=1)


def test_download_is_for_the_parties_only(world: World, booked: Session) -> None:
    for outsider in (world.eli, world.maya, world.noa, world.admin):
        assert _download(outsider, booked).status_code == 404
    anonymous = Client().get(reverse("scheduling_calendar:session_ics", args=[booked.pk]))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))
    response = signed_in(world.avi).get(
        reverse("scheduling_calendar:session_ics", args=[2_000_000_000])
    )
    assert response.status_code == 404


def test_google_and_outlook_links_carry_utc_times_and_no_address(
    world: World, booked: Session
) -> None:
    google = urlsplit(google_calendar_url(booked, viewer=world.avi))
    assert google.netloc == "calendar.google.com"
    query = parse_qs(google.query)
    assert query["action"] == ["TEMPLATE"]
    assert query["dates"] == ["20260602T140000Z/20260602T150000Z"]
    assert query["text"] == ["Coaching with Dana Levi"]
    assert query["location"] == [booked.meeting_url]
    outlook = urlsplit(outlook_calendar_url(booked, viewer=world.dana))
    assert outlook.netloc == "outlook.live.com"
    query = parse_qs(outlook.query)
    assert query["startdt"] == ["2026-06-02T14:00:00Z"]
    assert query["enddt"] == ["2026-06-02T15:00:00Z"]
    assert query["subject"] == ["Coaching with Avi Mizrahi"]
    for url in (google_calendar_url(booked, viewer=world.avi), outlook.geturl()):
        assert "example.com" not in url


def _panel(session: Session, user: Any) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load session_calendar %}{% session_calendar_links session %}")
    return template.render(Context({"request": request, "session": session}))


def test_panel_shows_join_and_add_to_calendar_to_both_parties(
    world: World, booked: Session
) -> None:
    for user in (world.avi, world.dana):
        html = _panel(booked, user)
        assert "Join the video call" in html
        assert f'href="{booked.meeting_url}"' in html
        assert reverse("scheduling_calendar:session_ics", args=[booked.pk]) in html
        assert "calendar.google.com/calendar/render?action=TEMPLATE" in html
        assert "outlook.live.com/calendar/0/action/compose" in html
        assert "@example.com" not in html


def test_panel_is_empty_for_someone_else(world: World, booked: Session) -> None:
    from django.contrib.auth.models import AnonymousUser

    for user in (world.eli, world.noa, world.admin, AnonymousUser()):
        assert _panel(booked, user).strip() == ""


def test_panel_hides_the_link_and_calendar_once_cancelled(world: World, booked: Session) -> None:
    cancelled = session_cancel(actor=world.avi, session=booked, reason="")
    html = _panel(cancelled, world.avi)
    assert booked.meeting_url not in html
    assert "Add to calendar" not in html
    assert "no meeting link" in html


def test_panel_shows_an_address_with_a_map_link_or_phone(world: World, clock: Any) -> None:
    hours(world.dana, "09:00", "17:00", days=range(5))
    office = session_type(
        world.dana, location_kind=LocationKind.IN_PERSON, address="12 Herzl St, Tel Aviv"
    )
    session = session_book(
        actor=world.avi,
        coach=world.dana,
        client=world.avi,
        session_type=office,
        starts_at=TUESDAY_10,
    )
    html = _panel(session, world.avi)
    assert "12 Herzl St, Tel Aviv" in html
    assert "https://www.google.com/maps/search/?api=1&amp;query=12+Herzl+St%2C+Tel+Aviv" in html
    assert "Join the video call" not in html
    phone = session_type(world.dana, name_en="Call", location_kind=LocationKind.PHONE)
    call = session_book(
        actor=world.avi,
        coach=world.dana,
        client=world.avi,
        session_type=phone,
        starts_at=WEDNESDAY_10,
    )
    assert "Phone call" in _panel(call, world.avi)


def test_an_own_link_with_unusual_characters_still_makes_valid_calendars(
    world: World, clock: Any
) -> None:
    from loom.core.models import OutboxMessage
    from loom.scheduling.models import CoachSchedulingSettings

    hours(world.dana, "09:00", "17:00", days=range(5))
    link = "https://meet.example.com/room?id={42}|x^y"
    CoachSchedulingSettings.objects.update_or_create(
        coach=world.dana, defaults={"own_meeting_url": link}
    )
    session = session_book(
        actor=world.avi,
        coach=world.dana,
        client=world.avi,
        session_type=session_type(world.dana),
        starts_at=TUESDAY_10,
    )
    assert session.meeting_url == link
    _calendar, event = _event(_download(world.avi, session).content)
    assert str(event["URL"]) == "https://meet.example.com/room?id=%7B42%7D%7Cx%5Ey"
    assert str(event["LOCATION"]) == link
    assert OutboxMessage.objects.filter(recipient=world.avi.email).count() == 1

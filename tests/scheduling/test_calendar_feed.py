"""Private calendar feeds: tokens shown once and stored hashed, revocable, read by parsers."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from typing import Any

import icalendar
import pytest
import recurring_ical_events
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loom.accounts.models import User
from loom.core.context import acting_as
from loom.core.models import AuditLog
from loom.scheduling.calendar_feed import calendar_feed_create
from loom.scheduling.models import (
    CalendarFeed,
    SeatStatus,
    Session,
    SessionPrivateNote,
    SessionSeat,
    SessionStatus,
    SessionType,
)
from loom.scheduling.services import session_book, session_cancel, session_reschedule
from tests.conftest import signed_in
from tests.scheduling.support import hours, session_type, utc
from tests.security.conftest import APP_ROLE, application_connections
from tests.world import World

pytestmark = pytest.mark.django_db

NOW = utc(2026, 6, 1, 12, 0)
TUESDAY_10 = utc(2026, 6, 2, 14, 0)
WEDNESDAY_10 = utc(2026, 6, 3, 14, 0)
FEED_URL = re.compile(r"https?://[^\s\"<]+/calendar/feed/([A-Za-z0-9_-]{43})\.ics")


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
        session_type=session_type(world.dana),
        starts_at=TUESDAY_10,
    )


def _token_for(user: User) -> str:
    new = calendar_feed_create(user=user)
    match = FEED_URL.fullmatch(new.url)
    assert match, new.url
    return match.group(1)


def _fetch(token: str) -> Any:
    return Client().get(f"/calendar/feed/{token}.ics")


def _events(body: bytes) -> list[Any]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def _make_sessions(coach: User, client: User, count: int, *, first: Any = TUESDAY_10) -> None:
    kind = SessionType.objects.create(coach=coach, name_en="Bulk", duration_minutes=30)
    Session.objects.bulk_create(
        Session(
            coach=coach,
            client=client,
            session_type=kind,
            starts_at=first + timedelta(hours=index),
            ends_at=first + timedelta(hours=index, minutes=30),
            coach_timezone=coach.timezone,
            meeting_url=f"https://meet.jit.si/Loom-bulk{index:030d}",
        )
        for index in range(count)
    )


# --- The page ---------------------------------------------------------------------------------


def test_creating_a_feed_shows_the_url_once_and_stores_only_its_hash(
    world: World, settings: Any
) -> None:
    browser = signed_in(world.avi)
    page = browser.get(reverse("scheduling_calendar:feeds"))
    assert page.status_code == 200
    assert "Create calendar link" in page.content.decode()

    created = browser.post(reverse("scheduling_calendar:feed_create"))
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    html = created.content.decode()
    [token] = set(FEED_URL.findall(html))
    host = settings.LOOM_BASE_URL.split("://", 1)[1]
    assert f'href="webcal://{host}/calendar/feed/{token}.ics"' in html
    assert 'data-copy-target="calendar-feed-url"' in html
    feed = CalendarFeed.objects.get(user=world.avi)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(CalendarFeed.objects.values()))
    # Shown once: the page afterwards has no URL, only replace and revoke.
    later = browser.get(reverse("scheduling_calendar:feeds")).content.decode()
    assert token not in later
    assert "Replace link" in later and "Revoke link" in later
    # A second create is refused with a message, and changes nothing.
    again = browser.post(reverse("scheduling_calendar:feed_create"), follow=True)
    assert "You already have a calendar link" in again.content.decode()
    assert CalendarFeed.objects.filter(user=world.avi).count() == 1


def test_revoke_stops_the_url_at_once(world: World, booked: Session) -> None:
    token = _token_for(world.avi)
    assert _fetch(token).status_code == 200
    response = signed_in(world.avi).post(reverse("scheduling_calendar:feed_revoke"))
    assert response.status_code == 302
    assert _fetch(token).status_code == 404
    assert CalendarFeed.objects.get(user=world.avi).revoked_at is not None


def test_replace_revokes_the_old_url_and_shows_a_new_one(world: World, booked: Session) -> None:
    old = _token_for(world.avi)
    response = signed_in(world.avi).post(reverse("scheduling_calendar:feed_replace"))
    assert response.status_code == 200
    [new] = set(FEED_URL.findall(response.content.decode()))
    assert new != old
    assert _fetch(old).status_code == 404
    assert _fetch(new).status_code == 200
    assert CalendarFeed.objects.filter(user=world.avi, revoked_at__isnull=True).count() == 1


# --- The feed ---------------------------------------------------------------------------------


def test_client_feed_lists_their_sessions_as_a_parser_reads_them(
    world: World, booked: Session, clock: Any
) -> None:
    SessionPrivateNote.objects.create(session=booked, coach=world.dana, body="Coach-only remark")
    token = _token_for(world.avi)
    response = _fetch(token)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    body = response.content
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == booked.uid
    assert int(str(event["SEQUENCE"])) == booked.sequence
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event.decoded("DTSTART") == booked.starts_at
    assert event.decoded("DTEND") == booked.ends_at
    assert str(event["SUMMARY"]) == "Coaching with Dana Levi"
    assert str(event["STATUS"]) == "CONFIRMED"
    text = body.decode()
    assert "Coach-only remark" not in text
    assert "@example.com" not in text and "mailto:" not in text
    # An independent expansion over the day agrees with the stored instant.
    [occurrence] = recurring_ical_events.of(calendar).between(date(2026, 6, 2), date(2026, 6, 3))
    assert occurrence.decoded("DTSTART") == booked.starts_at


def test_coach_feed_names_clients_only_and_keeps_cancelled_ones_as_cancelled(
    world: World, booked: Session
) -> None:
    other = session_book(
        actor=world.dana,
        coach=world.dana,
        client=world.noa,
        session_type=booked.session_type,
        starts_at=WEDNESDAY_10,
    )
    session_cancel(actor=world.noa, session=other, reason="Travelling")
    token = _token_for(world.dana)
    events = {str(event["UID"]): event for event in _events(_fetch(token).content)}
    assert str(events[booked.uid]["SUMMARY"]) == "Coaching with Avi Mizrahi"
    assert str(events[other.uid]["SUMMARY"]) == "Coaching with Noa Peretz"
    assert str(events[other.uid]["STATUS"]) == "CANCELLED"
    assert int(events[other.uid]["SEQUENCE"]) == 1
    text = _fetch(token).content.decode()
    assert "@example.com" not in text
    assert "Travelling" not in text


def test_sequence_grows_and_times_follow_a_reschedule(world: World, booked: Session) -> None:
    token = _token_for(world.avi)
    [before] = _events(_fetch(token).content)
    session_reschedule(actor=world.dana, session=booked, starts_at=WEDNESDAY_10)
    [after] = _events(_fetch(token).content)
    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after.decoded("DTSTART") == WEDNESDAY_10


def test_feed_window_keeps_active_sessions_and_the_last_60_days(
    world: World, clock: Any, settings: Any
) -> None:
    kind = SessionType.objects.create(coach=world.dana, name_en="Old", duration_minutes=60)

    def make(days_ago: int, status: str) -> Session:
        starts_at = NOW - timedelta(days=days_ago)
        return Session.objects.create(
            coach=world.dana,
            client=world.avi,
            session_type=kind,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            coach_timezone=world.dana.timezone,
            status=status,
        )

    recent = make(59, SessionStatus.COMPLETED)
    old = make(61, SessionStatus.COMPLETED)
    old_cancelled = make(70, SessionStatus.CANCELLED)
    future = make(-90, SessionStatus.SCHEDULED)
    uids = {str(event["UID"]) for event in _events(_fetch(_token_for(world.dana)).content)}
    assert recent.uid in uids and future.uid in uids
    assert old.uid not in uids and old_cancelled.uid not in uids


def test_client_feed_includes_group_seats_with_the_coach_name_only(
    world: World, clock: Any
) -> None:
    kind = SessionType.objects.create(
        coach=world.dana, name_en="Circle", duration_minutes=60, capacity=8
    )
    group = Session.objects.create(
        coach=world.dana,
        client=None,
        capacity=8,
        session_type=kind,
        starts_at=TUESDAY_10,
        ends_at=TUESDAY_10 + timedelta(hours=1),
        coach_timezone=world.dana.timezone,
    )
    SessionSeat.objects.create(session=group, client=world.avi)
    SessionSeat.objects.create(session=group, client=world.noa, status=SeatStatus.CANCELLED)
    [avi_event] = _events(_fetch(_token_for(world.avi)).content)
    assert str(avi_event["SUMMARY"]) == "Circle with Dana Levi"
    assert str(avi_event["STATUS"]) == "CONFIRMED"
    [noa_event] = _events(_fetch(_token_for(world.noa)).content)
    assert str(noa_event["STATUS"]) == "CANCELLED"
    [dana_event] = _events(_fetch(_token_for(world.dana)).content)
    assert str(dana_event["SUMMARY"]) == "Circle (group session)"
    assert "Avi" not in _fetch(_token_for(world.maya)).content.decode()


@pytest.mark.parametrize(
    "token",
    [
        "x" * 43,  # well formed, unknown
        "short",
        "x" * 44,
        "bad%20token" + "x" * 32,
        "x" * 42 + ".",
        "x" * 4000,
    ],
)
def test_unknown_or_malformed_tokens_are_404_and_write_nothing(
    world: World, booked: Session, token: str
) -> None:
    _token_for(world.avi)
    feeds_before = list(CalendarFeed.objects.values())
    audits_before = AuditLog.objects.count()
    response = _fetch(token)
    assert response.status_code == 404
    assert list(CalendarFeed.objects.values()) == feeds_before
    assert AuditLog.objects.count() == audits_before


def test_revoked_token_is_404_and_writes_nothing(world: World, booked: Session) -> None:
    token = _token_for(world.avi)
    with acting_as(world.avi.pk):
        signed_in(world.avi).post(reverse("scheduling_calendar:feed_revoke"))
    feeds_before = list(CalendarFeed.objects.values())
    assert _fetch(token).status_code == 404
    assert list(CalendarFeed.objects.values()) == feeds_before


def test_last_fetch_is_recorded_at_most_once_a_minute(
    world: World, booked: Session, clock: Any
) -> None:
    token = _token_for(world.avi)
    _fetch(token)
    first = CalendarFeed.objects.get(user=world.avi).last_fetched_at
    assert first == NOW
    clock.shift(timedelta(seconds=30))
    with CaptureQueriesContext(connection) as queries:
        _fetch(token)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert CalendarFeed.objects.get(user=world.avi).last_fetched_at == first
    clock.shift(timedelta(seconds=31))
    _fetch(token)
    assert CalendarFeed.objects.get(user=world.avi).last_fetched_at == NOW + timedelta(seconds=61)


def test_fetches_are_throttled_per_token(world: World, booked: Session, settings: Any) -> None:
    settings.LOOM_CALENDAR_FEED_FETCHES_PER_HOUR = 2
    avi_token = _token_for(world.avi)
    dana_token = _token_for(world.dana)
    assert _fetch(avi_token).status_code == 200
    assert _fetch(avi_token).status_code == 200
    refused = _fetch(avi_token)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    # Another person's feed has its own allowance.
    assert _fetch(dana_token).status_code == 200


@pytest.mark.parametrize("role", ["coach", "client"])
def test_feed_query_count_does_not_grow_with_sessions(world: World, clock: Any, role: str) -> None:
    owner = world.dana if role == "coach" else world.avi
    token = _token_for(owner)

    def count(sessions: int, first: Any) -> tuple[int, int]:
        _make_sessions(world.dana, world.avi, sessions, first=first)
        with CaptureQueriesContext(connection) as queries:
            response = _fetch(token)
        assert response.status_code == 200
        return len(queries.captured_queries), len(_events(response.content))

    few_queries, few_events = count(5, TUESDAY_10)
    clock.shift(timedelta(minutes=2))  # the fetch is recorded again: same write each time
    many_queries, many_events = count(45, TUESDAY_10 + timedelta(days=10))
    assert (few_events, many_events) == (5, 50)
    assert many_queries == few_queries
    assert few_queries <= 5


@pytest.mark.postgres
def test_feed_reads_through_row_level_security_as_the_application_role(
    app_role: str, transactional_db: None
) -> None:
    world = World.build()
    _make_sessions(world.dana, world.avi, 3)
    _make_sessions(world.eli, world.maya, 2, first=TUESDAY_10 + timedelta(days=1))
    token = _token_for(world.avi)
    with application_connections(APP_ROLE):
        response = _fetch(token)
        assert response.status_code == 200
        assert len(_events(response.content)) == 3
        assert _fetch("x" * 43).status_code == 404
    assert CalendarFeed.objects.get(user=world.avi).last_fetched_at is not None


# --- The API ----------------------------------------------------------------------------------


def test_api_creates_lists_replaces_and_revokes(world: World, booked: Session) -> None:
    api = signed_in(world.avi)
    url = "/api/v1/scheduling/calendar-feeds"
    assert api.get(url).json() == []
    created = api.post(url, "{}", content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    [token] = FEED_URL.findall(body["url"])
    assert body["webcal_url"].startswith("webcal://")
    assert _fetch(token).status_code == 200
    listed = api.get(url).json()
    assert [feed["active"] for feed in listed] == [True]
    assert token not in str(listed)
    conflict = api.post(url, "{}", content_type="application/json")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "feed_exists"
    replaced = api.post(url, '{"replace": true}', content_type="application/json")
    assert replaced.status_code == 201
    assert _fetch(token).status_code == 404
    assert api.delete(url).status_code == 204
    assert api.delete(url).json()["code"] == "no_feed"
    assert [feed["active"] for feed in api.get(url).json()] == [False, False]


def test_api_refuses_bad_bodies_without_writing(world: World) -> None:
    api = signed_in(world.avi)
    url = "/api/v1/scheduling/calendar-feeds"
    for body in ('{"replace": "maybe"}', "[]", "not json"):
        response = api.post(url, body, content_type="application/json")
        assert response.status_code in (400, 422), body
    assert not CalendarFeed.objects.exists()
    assert signed_in(world.admin).get(url).status_code == 403

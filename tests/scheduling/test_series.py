"""Weekly series: same wall-clock time every week across both 2026 clock changes."""

from __future__ import annotations

import base64
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.utils import translation

from loom.accounts.models import User
from loom.core.errors import Conflict, DomainError, Forbidden
from loom.core.models import OutboxMessage
from loom.scheduling.models import AvailabilityOverride, OverrideKind, Session
from loom.scheduling.series import session_book_weekly_series
from loom.scheduling.services import SlotUnavailable, session_book, session_reschedule
from tests.scheduling.support import hours, session_type, utc
from tests.scheduling.told import emails_to, notices_to
from tests.world import World

pytestmark = pytest.mark.django_db

JERUSALEM = ZoneInfo("Asia/Jerusalem")
NEW_YORK = ZoneInfo("America/New_York")
# Monday 2026-03-02, 09:00 in Jerusalem (UTC+2 until the 27th).
FIRST = utc(2026, 3, 2, 7, 0)


@pytest.fixture
def eli_and_maya(world: World) -> World:
    world.maya.timezone = "America/New_York"
    world.maya.save(update_fields=["timezone"])
    hours(world.eli, "09:00", "17:00")
    return world


@pytest.fixture(autouse=True)
def _before_the_changes() -> Any:
    with time_machine.travel(utc(2026, 3, 1, 12, 0), tick=False):
        yield


def _book(world: World, **kwargs: Any) -> list[Session]:
    values: dict[str, Any] = {
        "actor": world.eli,
        "client": world.maya,
        "session_type": session_type(world.eli),
        "first_starts_at": FIRST,
        "count": 6,
    }
    values.update(kwargs)
    return session_book_weekly_series(**values)


def _calendar_of(person: User) -> icalendar.Calendar:
    [message] = emails_to(person)
    [attachment] = message.payload["attachments"]
    return icalendar.Calendar.from_ical(base64.b64decode(attachment["content"]))


def test_a_weekly_series_stays_at_nine_in_jerusalem_across_both_changes(
    eli_and_maya: World,
) -> None:
    sessions = _book(eli_and_maya)
    assert len({session.series for session in sessions}) == 1
    assert [s.starts_at.astimezone(JERUSALEM).time() for s in sessions] == [time(9)] * 6
    # New York sees it move by the hour the two countries' changes differ.
    assert [s.starts_at.astimezone(NEW_YORK).strftime("%H:%M") for s in sessions] == [
        "02:00",  # 2 March: both in winter time
        "03:00",  # 9 March: the US has changed, Israel not yet
        "03:00",
        "03:00",  # 23 March
        "02:00",  # 30 March: both in summer time
        "02:00",
    ]
    assert [s.starts_at.astimezone(JERUSALEM).date() for s in sessions] == [
        date(2026, 3, 2) + timedelta(weeks=week) for week in range(6)
    ]


def test_one_email_per_party_with_every_session_in_an_independently_parsed_file(
    eli_and_maya: World,
) -> None:
    sessions = _book(eli_and_maya)
    for person in (eli_and_maya.eli, eli_and_maya.maya):
        calendar = _calendar_of(person)
        events = sorted(calendar.walk("VEVENT"), key=lambda event: event["DTSTART"].dt)
        assert [str(event["UID"]) for event in events] == [s.uid for s in sessions]
        for event, session in zip(events, sessions, strict=True):
            assert event["DTSTART"].dt == session.starts_at
            assert event["DTEND"].dt == session.ends_at
            assert event["DTSTART"].params["TZID"] == "Asia/Jerusalem"
        assert calendar.walk("VTIMEZONE")
    [to_maya] = emails_to(eli_and_maya.maya)
    assert to_maya.payload["subject"] == "6 sessions booked: Coaching with Eli Cohen"
    # Maya reads her own zone: 2 March 02:00 in New York.
    assert "(America/New_York)" in to_maya.payload["text"]
    # Maya is told (one session_booked notice for the series); Eli, who booked it,
    # gets his email as a receipt.
    [notice] = notices_to(eli_and_maya.maya)
    assert notice["kind"] == "session_booked"
    assert notice["source"] == f"series:{sessions[0].series}:user:{eli_and_maya.maya.pk}"
    assert notice["url"] == f"/sessions/{sessions[0].pk}/"
    assert notices_to(eli_and_maya.eli) == []


def test_a_week_that_cannot_be_booked_books_nothing_and_names_the_date(
    eli_and_maya: World,
) -> None:
    AvailabilityOverride.objects.create(
        coach=eli_and_maya.eli, date=date(2026, 3, 16), kind=OverrideKind.UNAVAILABLE_DAY
    )
    with translation.override("en"), pytest.raises(SlotUnavailable) as refused:
        _book(eli_and_maya)
    assert "March 16, 2026" in str(refused.value)
    assert not Session.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_taken_week_is_a_conflict_and_books_nothing(eli_and_maya: World) -> None:
    kind = session_type(eli_and_maya.eli)
    session_book(
        actor=eli_and_maya.eli,
        coach=eli_and_maya.eli,
        client=eli_and_maya.maya,
        session_type=kind,
        starts_at=FIRST + timedelta(weeks=2),
    )
    with pytest.raises((Conflict, SlotUnavailable)):
        _book(eli_and_maya, session_type=kind)
    assert Session.objects.count() == 1


def test_each_session_of_a_series_moves_on_its_own(eli_and_maya: World) -> None:
    sessions = _book(eli_and_maya)
    moved = session_reschedule(
        actor=eli_and_maya.eli,
        session=sessions[1],
        starts_at=sessions[1].starts_at + timedelta(hours=2),
        reason="Clash",
    )
    assert moved.sequence == 1
    others = Session.objects.exclude(pk=moved.pk).order_by("starts_at")
    assert [s.sequence for s in others] == [0] * 5
    assert [s.starts_at for s in others] == [s.starts_at for s in sessions if s.pk != moved.pk]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"count": 1}, DomainError),
        ({"count": 27}, DomainError),
        ({"interval_weeks": 0}, DomainError),
        ({"interval_weeks": 5}, DomainError),
    ],
)
def test_bad_series_are_refused(eli_and_maya: World, kwargs: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        _book(eli_and_maya, **kwargs)
    assert not Session.objects.exists()


def test_only_a_coach_books_a_series(eli_and_maya: World) -> None:
    with pytest.raises(Forbidden):
        _book(eli_and_maya, actor=eli_and_maya.maya)
    assert not Session.objects.exists()


def test_a_group_type_cannot_be_a_series(eli_and_maya: World) -> None:
    with pytest.raises(DomainError) as refused:
        _book(eli_and_maya, session_type=session_type(eli_and_maya.eli, capacity=4))
    assert refused.value.code == "series_group_type"


def test_the_coach_books_a_series_from_the_booking_page(eli_and_maya: World) -> None:
    from django.urls import reverse

    from tests.conftest import signed_in

    kind = session_type(eli_and_maya.eli)
    response = signed_in(eli_and_maya.eli).post(
        reverse("scheduling_coach:book"),
        {
            "client": eli_and_maya.maya.pk,
            "type": kind.pk,
            "starts_at": "2026-03-02T07:00Z",
            "repeat": "4",
        },
    )
    assert response.status_code == 302
    sessions = list(Session.objects.order_by("starts_at"))
    assert len(sessions) == 4 and len({s.series for s in sessions}) == 1
    assert [s.starts_at.astimezone(JERUSALEM).time() for s in sessions] == [time(9)] * 4


def test_a_series_page_booking_that_fails_books_nothing(eli_and_maya: World) -> None:
    from django.urls import reverse

    from tests.conftest import signed_in

    AvailabilityOverride.objects.create(
        coach=eli_and_maya.eli, date=date(2026, 3, 9), kind=OverrideKind.UNAVAILABLE_DAY
    )
    eli_and_maya.eli.language = "en"
    eli_and_maya.eli.save(update_fields=["language"])
    kind = session_type(eli_and_maya.eli)
    response = signed_in(eli_and_maya.eli).post(
        reverse("scheduling_coach:book"),
        {
            "client": eli_and_maya.maya.pk,
            "type": kind.pk,
            "starts_at": "2026-03-02T07:00Z",
            "repeat": "3",
        },
    )
    assert response.status_code == 400
    assert "March 9, 2026" in response.content.decode()
    assert not Session.objects.exists()


def test_the_api_books_a_series_and_refuses_a_blocked_week(eli_and_maya: World) -> None:
    from tests.conftest import signed_in

    kind = session_type(eli_and_maya.eli)
    client = signed_in(eli_and_maya.eli)
    body = {
        "session_type_id": kind.pk,
        "client_id": eli_and_maya.maya.pk,
        "starts_at": "2026-03-02T07:00:00+00:00",
        "count": 5,
    }
    AvailabilityOverride.objects.create(
        coach=eli_and_maya.eli, date=date(2026, 3, 23), kind=OverrideKind.UNAVAILABLE_DAY
    )
    refused = client.post("/api/v1/scheduling/series", body, content_type="application/json")
    assert refused.status_code == 409
    assert not Session.objects.exists()

    AvailabilityOverride.objects.all().delete()
    booked = client.post("/api/v1/scheduling/series", body, content_type="application/json")
    assert booked.status_code == 201
    assert [item["starts_at"][11:16] for item in booked.json()] == ["07:00"] * 4 + ["06:00"]
    too_many = client.post(
        "/api/v1/scheduling/series", {**body, "count": 27}, content_type="application/json"
    )
    assert too_many.status_code == 422
    other_client = client.post(
        "/api/v1/scheduling/series",
        {**body, "client_id": eli_and_maya.avi.pk},
        content_type="application/json",
    )
    assert other_client.status_code == 404

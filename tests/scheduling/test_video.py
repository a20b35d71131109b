"""Meeting links: a Jitsi room or the coach's own link, set at booking and kept for life."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine

from loom.scheduling.models import LocationKind
from loom.scheduling.services import (
    scheduling_settings_update,
    session_book,
    session_cancel,
    session_reschedule,
)
from loom.scheduling.video import (
    ROOM_PREFIX,
    jitsi_room_url,
    meeting_url_for_new_session,
    visible_meeting_url,
)
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

pytestmark = pytest.mark.django_db

NOW = utc(2026, 6, 1, 12, 0)
TUESDAY_10 = utc(2026, 6, 2, 14, 0)
WEDNESDAY_10 = utc(2026, 6, 3, 14, 0)
ROOM = re.compile(r"^https://meet\.jit\.si/Loom-[A-Za-z0-9_-]{20,}$")


@pytest.fixture
def dana(world: World) -> Any:
    with time_machine.travel(NOW, tick=False):
        hours(world.dana, "09:00", "17:00", days=range(5))
        yield world


def _book(world: World, **fields: Any) -> Any:
    return session_book(
        actor=world.avi,
        coach=world.dana,
        client=world.avi,
        session_type=session_type(world.dana, **fields),
        starts_at=TUESDAY_10,
    )


def test_jitsi_rooms_are_unique_random_and_not_derived_from_ids() -> None:
    rooms = {jitsi_room_url() for _ in range(500)}
    assert len(rooms) == 500
    for room in rooms:
        assert ROOM.match(room), room
        name = room.rsplit("/", 1)[1]
        # 128 random bits: at least 20 url-safe characters after the prefix, no digits-only id.
        assert len(name) - len(ROOM_PREFIX) >= 20
        assert not name[len(ROOM_PREFIX) :].isdecimal()


def test_jitsi_base_url_comes_from_settings(settings: Any) -> None:
    settings.LOOM_JITSI_BASE_URL = "https://video.example.org/rooms/"
    assert re.match(
        r"^https://video\.example\.org/rooms/Loom-[A-Za-z0-9_-]{20,}$", jitsi_room_url()
    )


def test_video_booking_gets_a_jitsi_room(dana: World) -> None:
    session = _book(dana)
    assert ROOM.match(session.meeting_url)


def test_two_bookings_get_different_rooms(dana: World) -> None:
    first = _book(dana)
    second = session_book(
        actor=dana.noa,
        coach=dana.dana,
        client=dana.noa,
        session_type=first.session_type,
        starts_at=WEDNESDAY_10,
    )
    assert first.meeting_url != second.meeting_url


def test_coach_own_link_is_used_when_set(dana: World) -> None:
    scheduling_settings_update(coach=dana.dana, own_meeting_url="https://zoom.example.com/j/123")
    session = _book(dana)
    assert session.meeting_url == "https://zoom.example.com/j/123"


def test_in_person_and_phone_sessions_get_no_link(dana: World) -> None:
    in_person = session_type(dana.dana, location_kind=LocationKind.IN_PERSON, address="1 Main St")
    phone = session_type(dana.dana, name_en="Call", location_kind=LocationKind.PHONE)
    assert meeting_url_for_new_session(coach=dana.dana, session_type=in_person) == ""
    assert meeting_url_for_new_session(coach=dana.dana, session_type=phone) == ""
    session = _book(dana, location_kind=LocationKind.PHONE)
    assert session.meeting_url == ""


def test_link_survives_a_reschedule_and_disappears_when_cancelled(dana: World) -> None:
    session = _book(dana)
    link = session.meeting_url
    with time_machine.travel(NOW, tick=False):
        moved = session_reschedule(actor=dana.dana, session=session, starts_at=WEDNESDAY_10)
    moved.refresh_from_db()
    assert moved.meeting_url == link
    assert visible_meeting_url(moved) == link
    with time_machine.travel(NOW, tick=False):
        cancelled = session_cancel(actor=dana.avi, session=moved, reason="")
    assert cancelled.meeting_url == link  # kept in the row, for the history
    assert visible_meeting_url(cancelled) == ""

"""The client home's sessions card: the next session with its join link, open action items."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loom.scheduling.models import ActionItem, LocationKind, Session
from loom.scheduling.services import session_book
from tests.conftest import signed_in
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

pytestmark = pytest.mark.django_db

NOW = utc(2026, 6, 1, 12, 0)
TUESDAY_10 = utc(2026, 6, 2, 14, 0)
MEETING = "https://meet.example.org/Loom-abcdefghijklmnopqrstuv"


@pytest.fixture
def dana(world: World) -> Any:
    with time_machine.travel(NOW, tick=False):
        hours(world.dana, "09:00", "17:00", days=range(5))
        yield world


def _book(world: World, **fields: Any) -> Session:
    session = session_book(
        actor=world.avi,
        coach=world.dana,
        client=world.avi,
        session_type=session_type(world.dana, **fields),
        starts_at=TUESDAY_10,
    )
    # The meeting link is the calendar helper's; set one so the card's button is tested.
    Session.objects.filter(pk=session.pk).update(meeting_url=MEETING)
    return session


def _home(world: World) -> str:
    response = signed_in(world.avi).get("/client/")
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def test_home_shows_the_next_session_in_both_zones_with_the_join_link(dana: World) -> None:
    session = _book(dana)

    page = _home(dana)

    assert reverse("scheduling_client:detail", args=[session.pk]) in page
    assert "Tuesday, June 2, 2026, 5 p.m.–6 p.m. (Asia/Jerusalem)" in page
    assert "10 a.m.–11 a.m. (America/New_York)" in page
    assert f'href="{MEETING}"' in page


def test_no_join_link_for_a_session_not_on_video(dana: World) -> None:
    _book(dana, location_kind=LocationKind.PHONE)

    assert MEETING not in _home(dana)


def test_home_without_sessions_offers_booking(dana: World) -> None:
    page = _home(dana)

    assert "Nothing booked yet" in page
    assert reverse("scheduling_client:book") in page


def test_home_lists_open_action_items_only(dana: World) -> None:
    session = _book(dana)
    ActionItem.objects.create(
        session=session,
        coach=dana.dana,
        client=dana.avi,
        title="Walk daily",
        due_on=date(2026, 6, 9),
    )
    ActionItem.objects.create(
        session=session, coach=dana.dana, client=dana.avi, title="Done one", completed_at=NOW
    )

    page = _home(dana)

    assert "Walk daily" in page and "due June 9, 2026" in page
    assert "Done one" not in page


def test_home_in_hebrew(dana: World) -> None:
    _book(dana)
    dana.avi.language = "he"
    dana.avi.save(update_fields=["language"])

    page = _home(dana)

    assert 'lang="he" dir="rtl"' in page
    assert "17:00" in page


def test_home_card_query_count_is_constant(dana: World) -> None:
    session = _book(dana)

    def scheduling_queries() -> int:
        client = signed_in(dana.avi)
        client.get("/client/")  # per-person caches (the NPS survey's offer) are warm
        with CaptureQueriesContext(connection) as queries:
            client.get("/client/")
        return sum("scheduling_" in query["sql"] for query in queries.captured_queries)

    few = scheduling_queries()
    for number in range(8):
        ActionItem.objects.create(
            session=session, coach=dana.dana, client=dana.avi, title=f"Item {number}"
        )

    assert scheduling_queries() == few

"""Bad input to the coach's session pages: refused clearly, nothing written."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.urls import reverse

from loom.scheduling.models import Session, SessionEvent
from loom.scheduling.services import session_book
from tests.conftest import signed_in
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

NOW = utc(2026, 6, 1, 12, 0)
TUESDAY_10 = utc(2026, 6, 2, 14, 0)
HUGE = "9" * 30


@pytest.fixture
def booked(world: World) -> Any:
    with time_machine.travel(NOW, tick=False):
        hours(world.dana, "09:00", "17:00", days=range(5))
        kind = session_type(world.dana)
        session = session_book(
            actor=world.dana,
            coach=world.dana,
            client=world.avi,
            session_type=kind,
            starts_at=TUESDAY_10,
        )
        yield world, session, kind


@pytest.mark.parametrize(
    "path",
    [
        f"/coach/sessions/{HUGE}/",
        f"/coach/sessions/{HUGE}/reschedule/",
        "/coach/sessions/0/",
        "/coach/sessions/-1/",
        "/coach/sessions/abc/",
    ],
)
def test_unknown_or_malformed_ids_are_404(booked: Any, path: str) -> None:
    world, _session, _kind = booked
    assert signed_in(world.dana).get(path).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"page": HUGE},
        {"page": "-3"},
        {"page": "x"},
    ],
)
def test_today_page_parameters(booked: Any, query: dict[str, str]) -> None:
    world, _session, _kind = booked
    with time_machine.travel(NOW, tick=False):
        assert (
            signed_in(world.dana).get(reverse("scheduling_coach:today"), query).status_code == 200
        )


@pytest.mark.parametrize(
    "data",
    [
        {"client": HUGE, "type": "1", "starts_at": "2026-06-02T15:00Z"},
        {"client": "", "type": "", "starts_at": ""},
        {"client": "1\x00", "type": "1", "starts_at": "2026-06-02T15:00Z"},
        {"starts_at": "2026-06-02T15:00Z"},
    ],
)
def test_book_with_bad_choices_writes_nothing(booked: Any, data: dict[str, str]) -> None:
    world, _session, _kind = booked
    with time_machine.travel(NOW, tick=False):
        response = signed_in(world.dana).post(reverse("scheduling_coach:book"), data)
    assert response.status_code == 400
    assert Session.objects.count() == 1


@pytest.mark.parametrize(
    "value",
    [
        "2026-06-02T15:00+02:00",
        "2026-06-02T15:00",
        "1999-01-01T00:00Z",
        "9999-12-31T23:59Z",
        "2026-02-30T10:00Z",
        "<script>alert(1)</script>",
        "2026-06-02T15:00Z\x00",
        "x" * 5000,
    ],
)
def test_reschedule_with_bad_times_writes_nothing(booked: Any, value: str) -> None:
    world, session, _kind = booked
    events = SessionEvent.objects.count()
    with time_machine.travel(NOW, tick=False):
        response = signed_in(world.dana).post(
            reverse("scheduling_coach:reschedule", args=[session.pk]), {"starts_at": value}
        )
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.content.decode()
    session.refresh_from_db()
    assert session.starts_at == TUESDAY_10
    assert SessionEvent.objects.count() == events


def test_reschedule_reason_too_long_writes_nothing(booked: Any) -> None:
    world, session, _kind = booked
    with time_machine.travel(NOW, tick=False):
        response = signed_in(world.dana).post(
            reverse("scheduling_coach:reschedule", args=[session.pk]),
            {"starts_at": "2026-06-03T14:00Z", "reason": "x" * 1001},
        )
    assert response.status_code == 400
    session.refresh_from_db()
    assert session.starts_at == TUESDAY_10


def test_decline_of_a_scheduled_session_is_an_invalid_transition(booked: Any) -> None:
    world, session, _kind = booked
    with time_machine.travel(NOW, tick=False):
        response = signed_in(world.dana).post(
            reverse("scheduling_coach:decline", args=[session.pk]), {"reason": "No"}
        )
    assert response.status_code == 409
    assert "Only a requested session can be declined." in response.content.decode()
    session.refresh_from_db()
    assert session.status == "scheduled"


def test_posts_need_csrf(booked: Any) -> None:
    from django.test import Client

    world, session, _kind = booked
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.dana)
    response = browser.post(reverse("scheduling_coach:cancel", args=[session.pk]), {})
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.status == "scheduled"

"""Group session pages: the coach's list and new form, the client's list and page, the
panel on the session pages, the seat and waitlist actions; privacy and bad input."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from loom.accounts.models import CoachClient, User
from loom.scheduling import group_services
from loom.scheduling.forms import slot_value
from loom.scheduling.models import (
    SeatStatus,
    Session,
    SessionSeat,
    SessionType,
    WaitlistEntry,
    WaitlistStatus,
)
from tests.conftest import signed_in
from tests.factories import ClientFactory
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

NOW = utc(2026, 6, 1, 12, 0)
SLOT = utc(2026, 6, 2, 14, 0)  # Tuesday 10:00 New York


@dataclass
class Setup:
    world: World
    kind: SessionType
    session: Session
    gil: User


@pytest.fixture
def setup(world: World) -> Iterator[Setup]:
    hours(world.dana, days=range(5))
    kind = session_type(world.dana, name_en="Circle", capacity=2)
    with time_machine.travel(NOW, tick=False):
        session = group_services.group_session_create(
            actor=world.dana, session_type=kind, starts_at=SLOT
        )
        gil = ClientFactory(full_name="Gil Third", email="gil@example.com")
        CoachClient.objects.create(coach=world.dana, client=gil)
        yield Setup(world=world, kind=kind, session=session, gil=gil)


def _text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


# --- Coach -------------------------------------------------------------------------------------


def test_coach_list_shows_seats_and_waitlist_with_constant_queries(setup: Setup) -> None:
    w = setup.world
    group_services.seat_take(actor=w.avi, session=setup.session)
    group_services.seat_take(actor=w.noa, session=setup.session)
    group_services.waitlist_join(actor=setup.gil, session=setup.session)
    dana = signed_in(w.dana)
    dana.get("/coach/groups/")  # warm: the first request also loads the session
    with CaptureQueriesContext(connection) as one:
        response = dana.get("/coach/groups/")
    page = _text(response)
    assert response.status_code == 200
    assert "Circle" in page and "2 of 2" in page and "1 waiting" in page
    for day in (3, 4, 5):
        group_services.group_session_create(
            actor=w.dana, session_type=setup.kind, starts_at=utc(2026, 6, day, 14, 0)
        )
    with CaptureQueriesContext(connection) as four:
        assert dana.get("/coach/groups/").status_code == 200
    assert len(four) == len(one)


def test_coach_creates_a_group_session_from_the_offered_times(setup: Setup) -> None:
    dana = signed_in(setup.world.dana)
    step_one = dana.get("/coach/groups/new/")
    assert step_one.status_code == 200 and "Circle" in _text(step_one)
    step_two = dana.get(f"/coach/groups/new/?type={setup.kind.pk}")
    wanted = utc(2026, 6, 3, 14, 0)
    assert slot_value(wanted) in _text(step_two)
    response = dana.post(
        "/coach/groups/new/", {"type": setup.kind.pk, "starts_at": slot_value(wanted)}
    )
    created = Session.objects.get(starts_at=wanted)
    assert response.status_code == 302
    assert response["Location"] == f"/coach/sessions/{created.pk}/"
    assert created.client is None and created.capacity == 2


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"type": "abc", "starts_at": "2026-06-03T14:00Z"},
        {"type": "999999", "starts_at": "2026-06-03T14:00Z"},
        {"type": "{type}", "starts_at": "not a time"},
        {"type": "{type}", "starts_at": "2026-06-03T07:00Z"},  # outside her hours
        {"type": "{type}", "starts_at": "2026-06-02T14:00Z"},  # taken by the group itself
        {"type": "{type}", "starts_at": "2026-06-03T14:00Z\x00"},
    ],
)
def test_new_group_session_bad_input_is_a_form_error(setup: Setup, data: dict[str, str]) -> None:
    filled = {key: value.replace("{type}", str(setup.kind.pk)) for key, value in data.items()}
    response = signed_in(setup.world.dana).post("/coach/groups/new/", filled)
    assert response.status_code == 400
    assert Session.objects.count() == 1


def test_another_coachs_type_is_not_offered(setup: Setup, world: World) -> None:
    eli_kind = session_type(world.eli, name_en="Eli group", capacity=4)
    response = signed_in(world.dana).post(
        "/coach/groups/new/", {"type": eli_kind.pk, "starts_at": "2026-06-03T14:00Z"}
    )
    assert response.status_code == 400
    assert not Session.objects.filter(session_type=eli_kind).exists()


def test_coach_session_page_lists_attendees_and_waitlist(setup: Setup) -> None:
    w = setup.world
    seat = group_services.seat_take(actor=w.avi, session=setup.session)
    group_services.seat_take(actor=w.noa, session=setup.session)
    group_services.waitlist_join(actor=setup.gil, session=setup.session)
    group_services.seat_release(actor=w.avi, seat=seat, now=SLOT - timedelta(hours=1))
    page = _text(signed_in(w.dana).get(f"/coach/sessions/{setup.session.pk}/"))
    assert "Noa Peretz" in page and "Avi Mizrahi" in page and "Gil Third" in page
    assert "Late cancellation" in page
    assert "Seat offered" in page


# --- Client ------------------------------------------------------------------------------------


def test_client_takes_a_seat_then_sees_it_on_their_sessions(setup: Setup) -> None:
    avi = signed_in(setup.world.avi)
    listing = _text(avi.get("/client/groups/"))
    assert "Circle" in listing and "0 of 2 seats taken" in listing and "Take a seat<span" in listing
    response = avi.post(
        f"/client/groups/{setup.session.pk}/seat/", {"next": "/client/groups/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/client/groups/"
    assert "You have a seat" in _text(response)
    assert SessionSeat.objects.filter(client=setup.world.avi, status=SeatStatus.TAKEN).count() == 1
    group_page = _text(avi.get(f"/client/groups/{setup.session.pk}/"))
    assert f'href="/client/sessions/{setup.session.pk}/"' in group_page
    # The client's own session list and page include the group session.
    assert "Circle" in _text(avi.get("/client/sessions/"))
    detail = avi.get(f"/client/sessions/{setup.session.pk}/")
    assert detail.status_code == 200
    assert "1 of 2 seats taken" in _text(detail)


def test_client_pages_never_show_another_attendee(setup: Setup) -> None:
    w = setup.world
    group_services.seat_take(actor=w.noa, session=setup.session)
    group_services.seat_take(actor=w.avi, session=setup.session)
    group_services.waitlist_join(actor=setup.gil, session=setup.session)
    avi = signed_in(w.avi)
    for path in (
        "/client/groups/",
        f"/client/groups/{setup.session.pk}/",
        f"/client/sessions/{setup.session.pk}/",
        "/client/sessions/",
    ):
        page = _text(avi.get(path))
        for other in ("Noa Peretz", "noa@example.com", "Gil Third", "gil@example.com"):
            assert other not in page, (path, other)
    gil_page = _text(signed_in(setup.gil).get(f"/client/groups/{setup.session.pk}/"))
    assert "You are number 1 on the waitlist." in gil_page
    for other in ("Noa Peretz", "Avi Mizrahi", "avi@example.com"):
        assert other not in gil_page


def test_full_session_offers_the_waitlist_and_a_released_seat_is_offered(setup: Setup) -> None:
    w = setup.world
    group_services.seat_take(actor=w.noa, session=setup.session)
    seat = group_services.seat_take(actor=w.avi, session=setup.session)
    gil = signed_in(setup.gil)
    page = _text(gil.get("/client/groups/"))
    assert "Join the waitlist<span" in page and "Take a seat<span" not in page
    refused = gil.post(f"/client/groups/{setup.session.pk}/seat/", follow=True)
    assert "This session is full" in _text(refused)
    gil.post(f"/client/groups/{setup.session.pk}/waitlist/")
    assert WaitlistEntry.objects.get(client=setup.gil).status == WaitlistStatus.WAITING
    released = signed_in(w.avi).post(
        f"/client/groups/seats/{seat.pk}/release/", {"reason": "Sorry"}, follow=True
    )
    assert "You gave up your seat." in _text(released)
    offer_page = _text(gil.get(f"/client/groups/{setup.session.pk}/"))
    assert "A seat is held for you." in offer_page
    gil.post(f"/client/groups/{setup.session.pk}/waitlist/accept/")
    assert SessionSeat.objects.filter(client=setup.gil, status=SeatStatus.TAKEN).exists()


def test_client_list_has_constant_queries(setup: Setup) -> None:
    w = setup.world
    group_services.seat_take(actor=w.avi, session=setup.session)
    avi = signed_in(w.avi)
    avi.get("/client/groups/")  # warm: the first request also loads the session
    with CaptureQueriesContext(connection) as one:
        avi.get("/client/groups/")
    for day in (3, 4, 5):
        group_services.group_session_create(
            actor=w.dana, session_type=setup.kind, starts_at=utc(2026, 6, day, 14, 0)
        )
    with CaptureQueriesContext(connection) as four:
        page = _text(avi.get("/client/groups/"))
    assert page.count("Take a seat<span") == 3
    assert len(four) == len(one)


def test_foreign_and_missing_ids_are_not_found(setup: Setup) -> None:
    w = setup.world
    seat = group_services.seat_take(actor=w.avi, session=setup.session)
    maya = signed_in(w.maya)
    assert maya.get(f"/client/groups/{setup.session.pk}/").status_code == 404
    assert maya.post(f"/client/groups/{setup.session.pk}/seat/").status_code == 404
    assert maya.post(f"/client/groups/seats/{seat.pk}/release/").status_code == 404
    noa = signed_in(w.noa)
    assert noa.post(f"/client/groups/seats/{seat.pk}/release/").status_code == 404
    assert noa.get("/client/groups/99999999999999999999/").status_code == 404
    assert SessionSeat.objects.get(pk=seat.pk).status == SeatStatus.TAKEN


@pytest.mark.parametrize("reason", ["x" * 1001, "bad\x00byte", "bell\x07"])
def test_release_with_a_bad_reason_changes_nothing(setup: Setup, reason: str) -> None:
    seat = group_services.seat_take(actor=setup.world.avi, session=setup.session)
    response = signed_in(setup.world.avi).post(
        f"/client/groups/seats/{seat.pk}/release/", {"reason": reason}, follow=True
    )
    assert response.status_code == 200
    assert SessionSeat.objects.get(pk=seat.pk).status == SeatStatus.TAKEN


def test_next_must_stay_on_the_site(setup: Setup) -> None:
    response = signed_in(setup.world.avi).post(
        f"/client/groups/{setup.session.pk}/seat/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == f"/client/groups/{setup.session.pk}/"


def test_hebrew_client_page_is_right_to_left(setup: Setup) -> None:
    noa = signed_in(setup.world.noa)  # Noa reads Hebrew, in Jerusalem
    group_services.seat_take(actor=setup.world.noa, session=setup.session)
    for path in ("/client/groups/", f"/client/groups/{setup.session.pk}/"):
        page = _text(noa.get(path))
        assert 'lang="he" dir="rtl"' in page
        assert "17:00" in page  # 10:00 New York is 17:00 in Jerusalem


def test_pages_without_javascript_use_plain_forms(setup: Setup) -> None:
    page = _text(signed_in(setup.world.avi).get(f"/client/groups/{setup.session.pk}/"))
    assert 'method="post"' in page and "csrfmiddlewaretoken" in page


def test_anonymous_client_is_sent_to_sign_in(setup: Setup) -> None:
    response = Client().get("/client/groups/")
    assert response.status_code == 302 and "login" in response["Location"]

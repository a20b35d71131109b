"""The group session endpoints of the JSON API: list, create, seats, waitlist, privacy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loom.accounts.models import CoachClient, User
from loom.scheduling import group_services
from loom.scheduling.models import SeatStatus, Session, SessionSeat, SessionType
from tests.conftest import signed_in
from tests.factories import ClientFactory
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

NOW = utc(2026, 6, 1, 12, 0)
SLOT = utc(2026, 6, 2, 14, 0)
API = "/api/v1/scheduling/groups"


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


def _post(user: User, path: str, body: Any = None) -> Any:
    return signed_in(user).post(path, body or {}, content_type="application/json")


def test_coach_creates_and_lists_group_sessions(setup: Setup) -> None:
    w = setup.world
    created = _post(
        w.dana, API, {"session_type_id": setup.kind.pk, "starts_at": "2026-06-03T14:00:00Z"}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["capacity"], body["seats_taken"], body["places_left"]) == (2, 0, 2)
    assert body["attendees"] == [] and body["waitlist"] == []
    listed = signed_in(w.dana).get(API).json()
    assert [item["id"] for item in listed] == [setup.session.pk, body["id"]]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"session_type_id": "x", "starts_at": "2026-06-03T14:00:00Z"}, 422),
        ({"session_type_id": 1, "starts_at": "2026-06-03T14:00:00"}, 422),  # no zone
        ({"starts_at": "2026-06-03T14:00:00Z"}, 422),
        ({"session_type_id": 2_000_000_000, "starts_at": "2026-06-03T14:00:00Z"}, 404),
        ({"session_type_id": "{type}", "starts_at": "2026-06-03T07:00:00Z"}, 409),  # off hours
        ({"session_type_id": "{type}", "starts_at": "2026-06-02T14:00:00Z"}, 409),  # taken
    ],
)
def test_create_bad_input(setup: Setup, body: dict[str, Any], status: int) -> None:
    filled = {k: setup.kind.pk if v == "{type}" else v for k, v in body.items()}
    response = _post(setup.world.dana, API, filled)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert Session.objects.count() == 1


def test_seat_full_waitlist_release_offer_accept(setup: Setup) -> None:
    w = setup.world
    path = f"{API}/{setup.session.pk}"
    avi_seat = _post(w.avi, f"{path}/seat")
    assert avi_seat.status_code == 201
    assert _post(w.noa, f"{path}/seat").status_code == 201
    full = _post(setup.gil, f"{path}/seat")
    assert full.status_code == 409 and full.json()["code"] == "session_full"
    joined = _post(setup.gil, f"{path}/waitlist")
    assert joined.status_code == 201 and joined.json()["status"] == "waiting"
    released = _post(w.avi, f"{API}/seats/{avi_seat.json()['id']}/release", {"reason": "Ill"})
    assert released.status_code == 200 and released.json()["status"] == "cancelled"
    mine = signed_in(setup.gil).get(path).json()
    assert mine["my_waitlist"]["status"] == "offered"
    assert mine["places_left"] == 0  # held for Gil
    accepted = _post(setup.gil, f"{path}/waitlist/accept")
    assert accepted.status_code == 201
    assert SessionSeat.objects.filter(status=SeatStatus.TAKEN).count() == 2


def test_leave_the_waitlist(setup: Setup) -> None:
    w = setup.world
    group_services.seat_take(actor=w.avi, session=setup.session)
    group_services.seat_take(actor=w.noa, session=setup.session)
    path = f"{API}/{setup.session.pk}/waitlist"
    _post(setup.gil, path)
    left = signed_in(setup.gil).delete(path)
    assert left.status_code == 200 and left.json()["status"] == "left"
    assert signed_in(setup.gil).delete(path).status_code == 404


def test_client_sees_numbers_only_and_coach_sees_names(setup: Setup) -> None:
    w = setup.world
    group_services.seat_take(actor=w.noa, session=setup.session)
    group_services.seat_take(actor=w.avi, session=setup.session)
    group_services.waitlist_join(actor=setup.gil, session=setup.session)
    for path in (
        API,
        f"{API}/{setup.session.pk}",
        f"/api/v1/scheduling/sessions/{setup.session.pk}",
    ):
        text = signed_in(w.avi).get(path).content.decode()
        for other in ("Noa", "noa@example.com", "Gil", "gil@example.com"):
            assert other not in text, (path, other)
    detail = signed_in(w.avi).get(f"{API}/{setup.session.pk}").json()
    assert detail["attendees"] is None and detail["waitlist"] is None
    assert detail["my_seat"]["status"] == "taken"
    coach = signed_in(w.dana).get(f"{API}/{setup.session.pk}").json()
    assert {a["client"]["full_name"] for a in coach["attendees"]} == {"Noa Peretz", "Avi Mizrahi"}
    assert [e["client"]["full_name"] for e in coach["waitlist"]] == ["Gil Third"]
    assert "email" not in str(coach)


def test_foreign_ids_are_not_found(setup: Setup) -> None:
    w = setup.world
    seat = group_services.seat_take(actor=w.avi, session=setup.session)
    path = f"{API}/{setup.session.pk}"
    assert signed_in(w.maya).get(path).status_code == 404
    assert _post(w.maya, f"{path}/seat").status_code == 404
    assert _post(w.eli, f"{path}/seat").status_code == 404
    assert _post(w.noa, f"{API}/seats/{seat.pk}/release").status_code == 404
    assert _post(w.dana, f"{API}/seats/{seat.pk}/release").status_code == 404
    assert _post(w.dana, f"{path}/seat").status_code == 403
    assert signed_in(w.avi).get(f"{API}/99999999999999999999").status_code in (404, 422)
    bad_reason = _post(w.avi, f"{API}/seats/{seat.pk}/release", {"reason": "x" * 1001})
    assert bad_reason.status_code == 422
    control = _post(w.avi, f"{API}/seats/{seat.pk}/release", {"reason": "a\x00b"})
    assert control.status_code == 422
    assert SessionSeat.objects.get(pk=seat.pk).status == SeatStatus.TAKEN


def test_list_has_constant_queries(setup: Setup) -> None:
    w = setup.world
    group_services.seat_take(actor=w.avi, session=setup.session)
    avi = signed_in(w.avi)
    avi.get(API)
    with CaptureQueriesContext(connection) as one:
        avi.get(API)
    for day in (3, 4, 5):
        group_services.group_session_create(
            actor=w.dana,
            session_type=setup.kind,
            starts_at=utc(2026, 6, day, 14, 0) + timedelta(hours=0),
        )
    with CaptureQueriesContext(connection) as four:
        assert len(avi.get(API).json()) == 4
    assert len(four) == len(one)

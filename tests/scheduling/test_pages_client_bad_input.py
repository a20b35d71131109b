"""Bad input on the client's session pages: a clear 4xx answer, never a 500, nothing written."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.urls import reverse

from loom.scheduling.forms import slot_value
from loom.scheduling.models import Session, SessionEvent, SessionStatus, SessionType
from loom.scheduling.services import session_book
from tests.conftest import signed_in
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

pytestmark = pytest.mark.django_db

NOW = utc(2026, 6, 1, 12, 0)
TUESDAY_10 = utc(2026, 6, 2, 14, 0)
BOOK = "/client/sessions/book/"
WEIRD = [
    "x" * 5000,
    "\x00",
    "2026-06-02T14:00Z\x00",
    "<script>alert(1)</script>",
    "2026-02-30T10:00Z",
    "0001-01-01T00:00Z",
    "9999-12-31T23:45Z",
    "-1",
    "1e309",
    "2026-06-02T14:00+03:00",
    "\u202e2026-06-02T14:00Z",
]


@pytest.fixture
def dana(world: World) -> Any:
    with time_machine.travel(NOW, tick=False):
        hours(world.dana, "09:00", "17:00", days=range(5))
        yield world


@pytest.fixture
def kind(dana: World) -> SessionType:
    return session_type(dana.dana)


@pytest.mark.parametrize("value", WEIRD)
def test_weird_start_times_are_refused_at_every_step(
    dana: World, kind: SessionType, value: str
) -> None:
    client = signed_in(dana.avi)

    assert client.get(BOOK, {"type": kind.pk, "start": value}).status_code == 400
    assert client.post(BOOK, {"type": kind.pk, "start": value}).status_code == 400
    assert Session.objects.count() == 0


@pytest.mark.parametrize("value", [*WEIRD, "", "2026-13-01", "2026-06-01T00:00"])
def test_weird_date_pages_fall_back_to_today(dana: World, kind: SessionType, value: str) -> None:
    response = signed_in(dana.avi).get(BOOK, {"type": kind.pk, "from": value})

    if "\x00" in value:
        assert response.status_code == 400  # the site refuses NUL bytes before any view
        return
    assert response.status_code == 200
    assert "Monday, June 1, 2026" in response.content.decode()


@pytest.mark.parametrize("value", [*WEIRD, "", " ", "1.5", "None"])
def test_weird_type_ids_are_404_or_step_one(dana: World, value: str) -> None:
    client = signed_in(dana.avi)

    assert client.get(BOOK, {"type": value}).status_code in (200, 400, 404)
    assert client.post(BOOK, {"type": value, "start": slot_value(TUESDAY_10)}).status_code in (
        400,
        404,
    )
    assert Session.objects.count() == 0


def test_repeated_parameters_use_one_value_and_book_once(dana: World, kind: SessionType) -> None:
    client = signed_in(dana.avi)
    data = {"type": [kind.pk, kind.pk], "start": [slot_value(TUESDAY_10), "garbage"]}

    response = client.post(BOOK, data)

    # Django takes the last value of a repeated field: "garbage" is refused.
    assert response.status_code == 400
    assert Session.objects.count() == 0


def test_booking_twice_the_same_slot_is_a_clear_409(dana: World, kind: SessionType) -> None:
    client = signed_in(dana.avi)
    data = {"type": kind.pk, "start": slot_value(TUESDAY_10)}

    assert client.post(BOOK, data).status_code == 302
    again = client.post(BOOK, data)

    assert again.status_code == 409
    assert Session.objects.count() == 1
    assert SessionEvent.objects.count() == 1


@pytest.mark.parametrize(
    "reason", ["x" * 1001, "bad\x00byte", "bell\x07", "<script>alert(1)</script>" * 50]
)
@pytest.mark.parametrize("action", ["cancel", "reschedule"])
def test_bad_reasons_are_field_errors_and_change_nothing(
    dana: World, kind: SessionType, reason: str, action: str
) -> None:
    session = session_book(
        actor=dana.avi, coach=dana.dana, client=dana.avi, session_type=kind, starts_at=TUESDAY_10
    )
    data = {"reason": reason, "starts_at": slot_value(utc(2026, 6, 4, 15, 0))}

    response = signed_in(dana.avi).post(
        reverse(f"scheduling_client:{action}", args=[session.pk]), data
    )

    assert response.status_code == 400
    assert "<script>alert" not in response.content.decode()
    session.refresh_from_db()
    assert (session.status, session.starts_at, session.sequence) == (
        SessionStatus.SCHEDULED,
        TUESDAY_10,
        0,
    )


@pytest.mark.parametrize("value", ["0", "99999999", "-1"])
def test_unknown_session_ids_are_404(dana: World, value: str) -> None:
    client = signed_in(dana.avi)

    for name in ("detail", "reschedule", "cancel"):
        path = f"/client/sessions/{value}/" + ("" if name == "detail" else f"{name}/")
        assert client.get(path).status_code == 404


def test_a_booking_without_a_type_asks_for_one(dana: World) -> None:
    response = signed_in(dana.avi).post(BOOK, {"start": slot_value(TUESDAY_10)})

    assert response.status_code == 400
    assert "Choose a kind of session first." in response.content.decode()
    assert Session.objects.count() == 0

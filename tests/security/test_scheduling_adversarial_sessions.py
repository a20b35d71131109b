"""Adversarial review of one-to-one sessions through the JSON API and the pages.

Foreign ids, replayed POSTs, tampered fields, hostile datetimes and a client who is
no longer the coach's client. Every refusal must write nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from loom.accounts.models import CoachClient
from loom.scheduling.models import Session, SessionEvent, SessionStatus, SessionType
from loom.scheduling.services import session_book
from tests.conftest import signed_in
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

pytestmark = pytest.mark.django_db

NOW = utc(2026, 6, 1, 12, 0)  # Monday 08:00 New York
TUESDAY_10 = utc(2026, 6, 2, 14, 0)
WEDNESDAY_10 = utc(2026, 6, 3, 14, 0)
API = "/api/v1/scheduling"


@pytest.fixture
def w(world: World) -> Iterator[World]:
    with time_machine.travel(NOW, tick=False):
        hours(world.dana, "09:00", "17:00", days=range(5))
        hours(world.eli, "09:00", "17:00", days=range(5))
        yield world


def post(client: Client, path: str, body: Any = None) -> Any:
    return client.post(path, {} if body is None else body, content_type="application/json")


def _kind(coach: Any, **fields: Any) -> SessionType:
    return session_type(coach, **fields)


def _book(world: World, kind: SessionType, starts_at: Any = TUESDAY_10) -> Session:
    return session_book(
        actor=world.avi, coach=world.dana, client=world.avi, session_type=kind, starts_at=starts_at
    )


def _events(session: Session) -> list[str]:
    return list(
        SessionEvent.objects.filter(session=session).order_by("id").values_list("kind", flat=True)
    )


# --- Foreign ids ---------------------------------------------------------------------------


def test_another_coach_cannot_act_on_a_session(w: World) -> None:
    kind = _kind(w.dana, booking_mode="request")
    session = _book(w, kind)
    eli = signed_in(w.eli)
    for action in ("approve", "decline", "cancel", "start", "complete", "no-show"):
        response = post(eli, f"{API}/sessions/{session.pk}/{action}", {"reason": "x"})
        assert response.status_code == 404, (action, response.content)
    assert (
        post(
            eli, f"{API}/sessions/{session.pk}/reschedule", {"starts_at": WEDNESDAY_10.isoformat()}
        ).status_code
        == 404
    )
    for path in ("private-note", "summary"):
        response = eli.put(
            f"{API}/sessions/{session.pk}/{path}", {"body": "x"}, content_type="application/json"
        )
        assert response.status_code == 404, path
    session.refresh_from_db()
    assert session.status == SessionStatus.REQUESTED and session.starts_at == TUESDAY_10
    assert _events(session) == ["requested"]


def test_another_client_cannot_see_or_change_a_session(w: World) -> None:
    session = _book(w, _kind(w.dana))
    noa = signed_in(w.noa)
    assert noa.get(f"{API}/sessions/{session.pk}").status_code == 404
    assert post(noa, f"{API}/sessions/{session.pk}/cancel").status_code == 404
    assert noa.get(f"/client/sessions/{session.pk}/").status_code == 404
    assert noa.post(f"/client/sessions/{session.pk}/cancel/", {"reason": "x"}).status_code == 404
    for path in (
        f"/sessions/{session.pk}/",
        f"/sessions/{session.pk}/calendar.ics",
        f"/sessions/{session.pk}/notes/",
        f"/client/sessions/{session.pk}/reschedule/",
        f"{API}/sessions/{session.pk}/summary",
        f"{API}/sessions/{session.pk}/action-items",
        f"{API}/sessions/{session.pk}/attachments",
        f"{API}/sessions/{session.pk}/reflections",
    ):
        assert noa.get(path).status_code == 404, path
        other_coach = signed_in(w.eli).get(path)
        # A client page sends a coach to their own home; nothing of the session shows.
        assert other_coach.status_code in (302, 403, 404), path
        assert str(session.pk) not in other_coach.get("Location", ""), path
    response = noa.put(
        f"{API}/sessions/{session.pk}/preparation", {"body": "x"}, content_type="application/json"
    )
    assert response.status_code == 404
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED


def test_booking_with_another_coachs_type_or_client_is_refused(w: World) -> None:
    elis = _kind(w.eli)
    danas = _kind(w.dana)
    avi = signed_in(w.avi)
    response = post(
        avi, f"{API}/sessions", {"session_type_id": elis.pk, "starts_at": TUESDAY_10.isoformat()}
    )
    assert response.status_code == 404
    # A client cannot book for someone else.
    response = post(
        avi,
        f"{API}/sessions",
        {"session_type_id": danas.pk, "starts_at": TUESDAY_10.isoformat(), "client_id": w.noa.pk},
    )
    assert response.status_code == 403
    # A coach cannot book another coach's client.
    response = post(
        signed_in(w.dana),
        f"{API}/sessions",
        {"session_type_id": danas.pk, "starts_at": TUESDAY_10.isoformat(), "client_id": w.maya.pk},
    )
    assert response.status_code == 404
    assert Session.objects.count() == 0


# --- Replays -------------------------------------------------------------------------------


def test_approving_or_cancelling_twice_changes_nothing_the_second_time(w: World) -> None:
    session = _book(w, _kind(w.dana, booking_mode="request"))
    dana = signed_in(w.dana)
    assert post(dana, f"{API}/sessions/{session.pk}/approve").status_code == 200
    assert post(dana, f"{API}/sessions/{session.pk}/approve").status_code == 409
    avi = signed_in(w.avi)
    assert post(avi, f"{API}/sessions/{session.pk}/cancel").status_code == 200
    assert post(avi, f"{API}/sessions/{session.pk}/cancel").status_code == 409
    session.refresh_from_db()
    assert session.sequence == 2
    assert _events(session) == ["requested", "approved", "cancelled"]


# --- Hostile datetimes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "starts_at",
    [
        "2026-06-02T14:00:00",  # naive
        "2026-06-02T14:00:00[Mars/Olympus]",
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59+00:00",
        "9999-12-31T23:59:59-12:00",
        "2026-06-02T14:07:00+00:00",  # off the grid
        "not a date",
    ],
)
def test_hostile_start_times_are_refused_without_a_crash(w: World, starts_at: str) -> None:
    kind = _kind(w.dana)
    avi = signed_in(w.avi)
    response = post(avi, f"{API}/sessions", {"session_type_id": kind.pk, "starts_at": starts_at})
    assert 400 <= response.status_code < 500, response.content
    assert Session.objects.count() == 0


def test_hostile_reschedule_times_are_refused_without_a_crash(w: World) -> None:
    session = _book(w, _kind(w.dana))
    avi = signed_in(w.avi)
    for value in ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "2026-06-03T14:00"):
        response = post(avi, f"{API}/sessions/{session.pk}/reschedule", {"starts_at": value})
        assert 400 <= response.status_code < 500, (value, response.content)
    session.refresh_from_db()
    assert session.starts_at == TUESDAY_10 and session.sequence == 0


# --- A client who stopped being the coach's client -----------------------------------------


def _archive(world: World) -> None:
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(
        status=CoachClient.Status.ARCHIVED
    )


def test_former_client_cannot_move_a_session_into_the_coachs_calendar(w: World) -> None:
    session = _book(w, _kind(w.dana))
    _archive(w)
    response = post(
        signed_in(w.avi),
        f"{API}/sessions/{session.pk}/reschedule",
        {"starts_at": WEDNESDAY_10.isoformat()},
    )
    assert response.status_code in (403, 404), response.content
    session.refresh_from_db()
    assert session.starts_at == TUESDAY_10
    assert _events(session) == ["booked"]


def test_former_client_can_still_cancel(w: World) -> None:
    session = _book(w, _kind(w.dana))
    _archive(w)
    assert post(signed_in(w.avi), f"{API}/sessions/{session.pk}/cancel").status_code == 200


def test_former_client_cannot_book(w: World) -> None:
    kind = _kind(w.dana)
    _archive(w)
    response = post(
        signed_in(w.avi),
        f"{API}/sessions",
        {"session_type_id": kind.pk, "starts_at": TUESDAY_10.isoformat()},
    )
    assert response.status_code in (403, 404)
    assert Session.objects.count() == 0


# --- A group type booked as a one-to-one session -------------------------------------------


def test_a_group_type_cannot_be_booked_one_to_one_through_the_api(w: World) -> None:
    circle = _kind(w.dana, name_en="Circle", capacity=6)
    response = post(
        signed_in(w.avi),
        f"{API}/sessions",
        {"session_type_id": circle.pk, "starts_at": TUESDAY_10.isoformat()},
    )
    assert response.status_code == 404, response.content
    response = post(
        signed_in(w.dana),
        f"{API}/sessions",
        {"session_type_id": circle.pk, "starts_at": TUESDAY_10.isoformat(), "client_id": w.avi.pk},
    )
    assert response.status_code == 404, response.content
    assert Session.objects.count() == 0


def test_a_former_clients_request_cannot_be_approved(w: World) -> None:
    session = _book(w, _kind(w.dana, booking_mode="request"))
    _archive(w)
    response = post(signed_in(w.dana), f"{API}/sessions/{session.pk}/approve")
    assert response.status_code == 403, response.content
    session.refresh_from_db()
    assert session.status == SessionStatus.REQUESTED
    assert _events(session) == ["requested"]
    # Declining it is still possible (it clears the queue).
    response = post(signed_in(w.dana), f"{API}/sessions/{session.pk}/decline", {"reason": "Ended"})
    assert response.status_code == 200


# --- Hostile query strings on the pages ----------------------------------------------------

HOSTILE = (
    "",
    "x",
    "-1",
    "0",
    "99999999999999999999999",
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "2026-02-30",
    "2026-06-02T14:00:00+99:00",
    "2026-06-02T14:00:00[Mars/Olympus]",
    "<script>alert(1)</script>",
    "%00",
    "\u202e",
)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_query_values_never_crash_a_page(w: World, value: str) -> None:
    kind = _kind(w.dana)
    session = _book(w, kind)
    coach, client = signed_in(w.dana), signed_in(w.avi)
    coach.raise_request_exception = client.raise_request_exception = False
    for who, path, params in (
        (coach, "/coach/sessions/calendar/", {"week": value}),
        (coach, "/coach/sessions/", {"page": value}),
        (coach, "/coach/sessions/new/", {"client": value, "type": value}),
        (coach, "/coach/sessions/new/", {"client": w.avi.pk, "type": kind.pk, "from": value}),
        (coach, f"/coach/sessions/{session.pk}/reschedule/", {"from": value}),
        (coach, "/coach/scheduling/availability/", {"preview_type": value}),
        (client, "/client/sessions/", {"when": value, "page": value}),
        (client, "/client/sessions/book/", {"type": value}),
        (client, "/client/sessions/book/", {"type": kind.pk, "from": value}),
        (client, "/client/sessions/book/", {"type": kind.pk, "start": value}),
        (client, f"/client/sessions/{session.pk}/reschedule/", {"from": value}),
        (client, f"/sessions/{session.pk}/", {"v": value}),
        (client, "/notifications/", {"page": value}),
        (client, f"{API}/sessions", {"when": value, "page": value}),
        (client, f"{API}/session-types/{kind.pk}/slots", {"start": value, "end": value}),
    ):
        with time_machine.travel(NOW, tick=False):
            response = who.get(path, params)
        assert response.status_code < 500, (path, params, response.status_code)
        assert b"<script>alert(1)</script>" not in response.content, path


EDGE_SLOTS = ("0001-01-01T00:00Z", "9999-12-31T23:59Z", "2026-06-02T14:07Z", "2026-13-01T00:00Z")


@pytest.mark.parametrize("value", EDGE_SLOTS)
def test_edge_slot_values_in_posted_forms_never_crash_or_book(w: World, value: str) -> None:
    kind = _kind(w.dana)
    circle = _kind(w.dana, name_en="Circle", capacity=4)
    session = _book(w, kind)
    coach, client = signed_in(w.dana), signed_in(w.avi)
    coach.raise_request_exception = client.raise_request_exception = False
    for who, path, data in (
        (coach, "/coach/sessions/new/", {"client": w.avi.pk, "type": kind.pk, "starts_at": value}),
        (coach, f"/coach/sessions/{session.pk}/reschedule/", {"starts_at": value}),
        (coach, "/coach/groups/new/", {"type": circle.pk, "starts_at": value}),
        (client, "/client/sessions/book/", {"type": kind.pk, "start": value}),
        (client, f"/client/sessions/{session.pk}/reschedule/", {"starts_at": value}),
    ):
        with time_machine.travel(NOW, tick=False):
            response = who.post(path, data)
        assert response.status_code < 500, (path, data, response.status_code)
    session.refresh_from_db()
    assert session.starts_at == TUESDAY_10
    assert Session.objects.count() == 1


# --- Markup in names and reasons -----------------------------------------------------------

EVIL = '<img src=x onerror="alert(1)">'


def test_markup_in_type_names_and_reasons_is_never_live(w: World) -> None:
    from loom.core.models import OutboxMessage

    w.avi.full_name = f"Avi {EVIL}"
    w.avi.save(update_fields=["full_name"])
    kind = _kind(w.dana, name_en=f"Intro {EVIL}", name_he=f"היכרות {EVIL}")
    session = _book(w, kind)
    with time_machine.travel(NOW, tick=False):
        response = post(
            signed_in(w.avi), f"{API}/sessions/{session.pk}/cancel", {"reason": f"Sick {EVIL}"}
        )
    assert response.status_code == 200
    for message in OutboxMessage.objects.all():
        assert EVIL not in str(message.payload.get("html", "")), message.payload.get("subject")
    for who, path in (
        (w.avi, f"/client/sessions/{session.pk}/"),
        (w.avi, "/client/sessions/"),
        (w.dana, f"/coach/sessions/{session.pk}/"),
        (w.dana, "/coach/sessions/"),
        (w.dana, "/coach/scheduling/types/"),
        (w.avi, "/notifications/"),
    ):
        with time_machine.travel(NOW, tick=False):
            page = signed_in(who).get(path, {"past": "1"})
        assert page.status_code == 200, path
        assert EVIL not in page.content.decode(), path
        if path.endswith(f"/{session.pk}/"):
            assert "&lt;img src=x" in page.content.decode(), path  # shown, as text

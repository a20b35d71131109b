"""The scheduling JSON API: session types, availability, slots and sessions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from loom.scheduling.models import (
    AvailabilityOverride,
    Session,
    SessionEvent,
    SessionStatus,
    SessionType,
    WeeklyAvailability,
)
from loom.scheduling.services import session_book
from tests.conftest import signed_in
from tests.scheduling.support import hours, session_type, utc
from tests.security.conftest import APP_ROLE, application_connections
from tests.world import World

pytestmark = pytest.mark.django_db

# Monday 2026-06-01, 08:00 in New York (Dana's zone, UTC-4).
NOW = utc(2026, 6, 1, 12, 0)
# Tuesday 10:00 New York = 14:00 UTC = 17:00 Jerusalem (Avi's zone).
TUESDAY_10 = utc(2026, 6, 2, 14, 0)
API = "/api/v1/scheduling"
LONG = "x" * 10_000


@pytest.fixture
def dana(world: World) -> Any:
    with time_machine.travel(NOW, tick=False):
        hours(world.dana, "09:00", "17:00", days=range(5))
        yield world


def post(client: Client, path: str, body: Any = None) -> Any:
    return client.post(path, {} if body is None else body, content_type="application/json")


def put(client: Client, path: str, body: Any) -> Any:
    return client.put(path, body, content_type="application/json")


def _book(world: World, kind: SessionType, starts_at: datetime = TUESDAY_10) -> Session:
    return session_book(
        actor=world.avi, coach=world.dana, client=world.avi, session_type=kind, starts_at=starts_at
    )


def _assert_nothing_booked() -> None:
    assert Session.objects.count() == 0
    assert SessionEvent.objects.count() == 0


# --- Session types -----------------------------------------------------------------------------


def test_coach_creates_updates_and_deactivates_a_session_type(dana: World) -> None:
    coach = signed_in(dana.dana)
    response = post(coach, f"{API}/session-types", {"name_en": "Intro", "duration_minutes": 30})
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["name"], created["duration_minutes"], created["is_active"]) == (
        "Intro",
        30,
        True,
    )
    response = put(
        coach,
        f"{API}/session-types/{created['id']}",
        {"name_en": "Intro call", "duration_minutes": 45, "booking_mode": "request"},
    )
    assert response.status_code == 200, response.content
    assert SessionType.objects.get(pk=created["id"]).duration_minutes == 45
    response = post(coach, f"{API}/session-types/{created['id']}/deactivate")
    assert response.json()["is_active"] is False
    assert [item["id"] for item in coach.get(f"{API}/session-types").json()] == [created["id"]]


def test_client_sees_only_active_types_of_their_own_coach(dana: World) -> None:
    active = session_type(dana.dana, name_en="Active")
    retired = session_type(dana.dana, name_en="Retired")
    retired.is_active = False
    retired.save()
    session_type(dana.eli, name_en="Eli's")
    listed = signed_in(dana.avi).get(f"{API}/session-types").json()
    assert [item["id"] for item in listed] == [active.pk]
    assert signed_in(dana.maya).get(f"{API}/session-types").json()[0]["name"] == "Eli's"


def test_session_type_writes_are_for_coaches_only_and_foreign_ids_are_404(dana: World) -> None:
    kind = session_type(dana.dana)
    body = {"name_en": "Mine now", "duration_minutes": 30}
    assert post(signed_in(dana.avi), f"{API}/session-types", body).status_code == 403
    assert put(signed_in(dana.eli), f"{API}/session-types/{kind.pk}", body).status_code == 404
    response = post(signed_in(dana.eli), f"{API}/session-types/{kind.pk}/deactivate")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    kind.refresh_from_db()
    assert (kind.name_en, kind.is_active) == ("Coaching", True)


def test_invalid_session_type_is_422_with_the_field_and_nothing_written(dana: World) -> None:
    coach = signed_in(dana.dana)
    for body in (
        {"name_en": "Too long", "duration_minutes": 5000},
        {"name_en": LONG, "duration_minutes": 30},
        {"name_en": "Visit", "duration_minutes": 30, "location_kind": "in_person"},
        {"name_en": "Odd", "duration_minutes": 30, "colour": "red"},
    ):
        response = post(coach, f"{API}/session-types", body)
        assert response.status_code == 422, (body, response.content)
        assert response["Content-Type"].startswith("application/problem+json")
    assert not SessionType.objects.exists()


# --- Availability ------------------------------------------------------------------------------


def test_coach_replaces_weekly_hours_and_manages_overrides(dana: World) -> None:
    coach = signed_in(dana.dana)
    weekly = [
        {"weekday": 0, "start": "09:00:00", "end": "12:00:00"},
        {"weekday": 0, "start": "13:00:00", "end": "17:00:00"},
    ]
    response = put(coach, f"{API}/availability", {"weekly": weekly})
    assert response.status_code == 200, response.content
    assert response.json()["weekly"] == weekly
    assert response.json()["timezone"] == "America/New_York"
    assert WeeklyAvailability.objects.filter(coach=dana.dana).count() == 2
    response = post(
        coach, f"{API}/availability/overrides", {"date": "2026-06-03", "kind": "unavailable_day"}
    )
    assert response.status_code == 201, response.content
    override_id = response.json()["id"]
    assert coach.get(f"{API}/availability").json()["overrides"][0]["id"] == override_id
    assert coach.delete(f"{API}/availability/overrides/{override_id}").status_code == 204
    assert not AvailabilityOverride.objects.exists()


def test_overlapping_weekly_hours_are_422_and_keep_the_old_hours(dana: World) -> None:
    weekly = [
        {"weekday": 0, "start": "09:00:00", "end": "12:00:00"},
        {"weekday": 0, "start": "11:00:00", "end": "13:00:00"},
    ]
    response = put(signed_in(dana.dana), f"{API}/availability", {"weekly": weekly})
    assert response.status_code == 422
    assert WeeklyAvailability.objects.filter(coach=dana.dana).count() == 5


def test_availability_is_the_coachs_own(dana: World) -> None:
    override = AvailabilityOverride.objects.create(
        coach=dana.dana, date=NOW.date(), kind="unavailable_day"
    )
    assert signed_in(dana.avi).get(f"{API}/availability").status_code == 403
    response = signed_in(dana.eli).delete(f"{API}/availability/overrides/{override.pk}")
    assert response.status_code == 404
    assert AvailabilityOverride.objects.filter(pk=override.pk).exists()


# --- Slots -------------------------------------------------------------------------------------


def test_slots_are_given_in_utc_and_both_zones(dana: World) -> None:
    kind = session_type(dana.dana)
    response = signed_in(dana.avi).get(
        f"{API}/session-types/{kind.pk}/slots", {"start": "2026-06-02", "end": "2026-06-02"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["viewer_timezone"], body["coach_timezone"]) == (
        "Asia/Jerusalem",
        "America/New_York",
    )
    first = body["slots"][0]
    assert datetime.fromisoformat(first["starts_at"]) == utc(2026, 6, 2, 13, 0)
    assert first["starts_at_coach"] == "2026-06-02T09:00:00-04:00"
    assert first["starts_at_local"] == "2026-06-02T16:00:00+03:00"
    assert first["ends_at_local"] == "2026-06-02T17:00:00+03:00"
    # 09:00 to 16:00 every 15 minutes.
    assert len(body["slots"]) == 29


def test_slot_range_is_limited_and_foreign_types_are_404(dana: World) -> None:
    kind = session_type(dana.dana)
    avi = signed_in(dana.avi)
    path = f"{API}/session-types/{kind.pk}/slots"
    assert avi.get(path, {"start": "2026-06-01", "end": "2026-08-01"}).status_code == 200
    assert avi.get(path, {"start": "2026-06-01", "end": "2026-08-02"}).status_code == 422
    assert avi.get(path, {"start": "2026-06-05", "end": "2026-06-01"}).status_code == 422
    assert avi.get(path, {"start": "tomorrow", "end": "2026-06-01"}).status_code == 422
    assert avi.get(path, {"start": "9999-12-31"}).status_code == 422
    assert avi.get(path, {"start": "0001-01-01", "end": "0001-01-05"}).status_code == 422
    # Without dates: the two weeks from today.
    assert len(avi.get(path).json()["slots"]) > 0
    other = {"start": "2026-06-01", "end": "2026-06-02"}
    assert signed_in(dana.maya).get(path, other).status_code == 404
    assert signed_in(dana.eli).get(path, other).status_code == 404


# --- Sessions ----------------------------------------------------------------------------------


def test_client_books_and_the_coach_sees_it(dana: World) -> None:
    kind = session_type(dana.dana)
    response = post(
        signed_in(dana.avi),
        f"{API}/sessions",
        {"session_type_id": kind.pk, "starts_at": "2026-06-02T10:00:00-04:00"},
    )
    assert response.status_code == 201, response.content
    booked = response.json()
    assert booked["status"] == "scheduled"
    assert booked["client"] == {"id": dana.avi.pk, "full_name": "Avi Mizrahi"}
    assert "email" not in str(booked)
    coach_view = signed_in(dana.dana).get(f"{API}/sessions/{booked['id']}")
    assert coach_view.status_code == 200
    assert datetime.fromisoformat(coach_view.json()["starts_at"]) == TUESDAY_10


def test_coach_books_for_a_client_and_runs_the_lifecycle(dana: World) -> None:
    kind = session_type(dana.dana)
    coach = signed_in(dana.dana)
    response = post(
        coach,
        f"{API}/sessions",
        {"session_type_id": kind.pk, "starts_at": TUESDAY_10.isoformat(), "client_id": dana.noa.pk},
    )
    assert response.status_code == 201, response.content
    session_id = response.json()["id"]
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=5), tick=False):
        coach = signed_in(dana.dana)  # a day later the old session has timed out
        assert post(coach, f"{API}/sessions/{session_id}/start").json()["status"] == "in_progress"
        response = post(coach, f"{API}/sessions/{session_id}/complete")
        assert response.json()["status"] == "completed"
        past = coach.get(f"{API}/sessions", {"when": "past"}).json()
        assert [item["id"] for item in past["items"]] == [session_id]


def test_request_is_approved_or_declined_by_the_coach(dana: World) -> None:
    kind = session_type(dana.dana, booking_mode="request")
    first = _book(dana, kind)
    second = _book(dana, kind, TUESDAY_10 + timedelta(hours=2))
    coach = signed_in(dana.dana)
    assert post(signed_in(dana.avi), f"{API}/sessions/{first.pk}/approve").status_code == 403
    assert post(coach, f"{API}/sessions/{first.pk}/approve").json()["status"] == "scheduled"
    response = post(coach, f"{API}/sessions/{second.pk}/decline", {"reason": "Travelling"})
    assert (response.json()["status"], response.json()["cancellation_reason"]) == (
        "declined",
        "Travelling",
    )
    response = post(coach, f"{API}/sessions/{first.pk}/approve")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_client_reschedules_and_cancels(dana: World) -> None:
    session = _book(dana, session_type(dana.dana))
    avi = signed_in(dana.avi)
    new_start = TUESDAY_10 + timedelta(days=1)
    response = post(
        avi,
        f"{API}/sessions/{session.pk}/reschedule",
        {"starts_at": new_start.isoformat(), "reason": "Clash"},
    )
    assert response.status_code == 200, response.content
    assert datetime.fromisoformat(response.json()["starts_at"]) == new_start
    assert response.json()["sequence"] == 1
    response = post(avi, f"{API}/sessions/{session.pk}/cancel", {"reason": "Ill"})
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancellation_reason"] == "Ill"


def test_foreign_sessions_are_404_for_every_action(dana: World) -> None:
    session = _book(dana, session_type(dana.dana))
    for user in (dana.maya, dana.eli, dana.noa, dana.admin):
        client = signed_in(user)
        assert client.get(f"{API}/sessions/{session.pk}").status_code == 404
        for action in ("approve", "decline", "cancel", "start", "complete", "no-show"):
            response = post(client, f"{API}/sessions/{session.pk}/{action}", {"reason": "x"})
            assert response.status_code == 404, (user, action)
    session.refresh_from_db()
    assert (session.status, session.sequence) == (SessionStatus.SCHEDULED, 0)


@pytest.mark.parametrize(
    ("starts_at", "status", "code"),
    [
        ("2026-06-02T10:07:00-04:00", 409, "not_offered"),  # off the grid
        ("2026-06-02T20:00:00-04:00", 409, "not_offered"),  # outside hours
        ("2026-05-29T10:00:00-04:00", 409, "in_past"),
        ("2026-06-01T09:00:00-04:00", 409, "too_soon"),
        ("2027-06-01T10:00:00-04:00", 409, "beyond_horizon"),
        ("9999-12-31T23:59:00-14:00", 409, "beyond_horizon"),
        ("0001-01-01T00:00:00+14:00", 409, "in_past"),
    ],
)
def test_tampered_or_past_times_are_refused_with_a_code(
    dana: World, starts_at: str, status: int, code: str
) -> None:
    kind = session_type(dana.dana)
    response = post(
        signed_in(dana.avi), f"{API}/sessions", {"session_type_id": kind.pk, "starts_at": starts_at}
    )
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    _assert_nothing_booked()


def test_taken_wrong_length_and_naive_times_are_refused(dana: World) -> None:
    kind = session_type(dana.dana)
    avi = signed_in(dana.avi)
    response = post(
        avi,
        f"{API}/sessions",
        {
            "session_type_id": kind.pk,
            "starts_at": TUESDAY_10.isoformat(),
            "ends_at": (TUESDAY_10 + timedelta(hours=3)).isoformat(),
        },
    )
    assert (response.status_code, response.json()["code"]) == (422, "wrong_duration")
    response = post(
        avi, f"{API}/sessions", {"session_type_id": kind.pk, "starts_at": "2026-06-02T10:00:00"}
    )
    assert response.status_code == 422
    _assert_nothing_booked()
    _book(dana, kind)
    response = post(
        signed_in(dana.noa),
        f"{API}/sessions",
        {"session_type_id": kind.pk, "starts_at": TUESDAY_10.isoformat()},
    )
    assert response.status_code == 409
    assert response.json()["code"] in ("not_offered", "slot_taken")
    assert Session.objects.count() == 1


def test_booking_with_foreign_types_or_clients_is_404(dana: World) -> None:
    kind = session_type(dana.dana)
    eli_kind = session_type(dana.eli)
    body = {"session_type_id": eli_kind.pk, "starts_at": TUESDAY_10.isoformat()}
    assert post(signed_in(dana.avi), f"{API}/sessions", body).status_code == 404
    body = {"session_type_id": kind.pk, "starts_at": TUESDAY_10.isoformat()}
    assert post(signed_in(dana.maya), f"{API}/sessions", body).status_code == 404
    response = post(signed_in(dana.dana), f"{API}/sessions", {**body, "client_id": dana.maya.pk})
    assert response.status_code == 404
    response = post(signed_in(dana.avi), f"{API}/sessions", {**body, "client_id": dana.noa.pk})
    assert response.status_code == 403
    assert post(signed_in(dana.admin), f"{API}/sessions", body).status_code == 403
    _assert_nothing_booked()


@pytest.mark.parametrize("action", ["decline", "cancel", "reschedule"])
def test_overlong_reasons_are_422_and_nothing_changes(dana: World, action: str) -> None:
    session = _book(dana, session_type(dana.dana, booking_mode="request"))
    body = {"reason": LONG, "starts_at": (TUESDAY_10 + timedelta(days=1)).isoformat()}
    response = post(signed_in(dana.dana), f"{API}/sessions/{session.pk}/{action}", body)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    session.refresh_from_db()
    assert (session.status, session.starts_at, session.sequence) == (
        SessionStatus.REQUESTED,
        TUESDAY_10,
        0,
    )
    assert SessionEvent.objects.filter(session=session).count() == 1


def test_session_list_is_paginated_with_a_constant_query_count(
    dana: World, django_assert_num_queries: Any
) -> None:
    kind = session_type(dana.dana)
    for day in range(5):
        _book(dana, kind, TUESDAY_10 + timedelta(days=day % 4, hours=2 * (day // 4)))
    avi = signed_in(dana.avi)
    avi.get(f"{API}/sessions")  # the session and user rows are loaded once per request
    with django_assert_num_queries(2):
        first = avi.get(f"{API}/sessions", {"page_size": 2}).json()
    with django_assert_num_queries(2):
        last = avi.get(f"{API}/sessions", {"page_size": 2, "page": 3}).json()
    assert (len(first["items"]), first["has_next"]) == (2, True)
    assert (len(last["items"]), last["has_next"]) == (1, False)
    starts = [item["starts_at"] for item in first["items"]]
    assert starts == sorted(starts)
    assert avi.get(f"{API}/sessions", {"page_size": 500}).status_code == 422


def test_session_type_list_has_a_constant_query_count(
    dana: World, django_assert_num_queries: Any
) -> None:
    for index in range(4):
        session_type(dana.dana, name_en=f"Type {index}")
    coach = signed_in(dana.dana)
    coach.get(f"{API}/session-types")
    with django_assert_num_queries(2):
        assert len(coach.get(f"{API}/session-types").json()) == 4


def test_signed_out_requests_are_401(world: World) -> None:
    assert Client().get(f"{API}/sessions").status_code == 401
    assert post(Client(), f"{API}/sessions", {}).status_code == 401


def test_openapi_lists_the_scheduling_operations(world: World) -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    expected = {
        "/api/v1/scheduling/session-types": {"get", "post"},
        "/api/v1/scheduling/session-types/{session_type_id}": {"put"},
        "/api/v1/scheduling/session-types/{session_type_id}/slots": {"get"},
        "/api/v1/scheduling/availability": {"get", "put"},
        "/api/v1/scheduling/availability/overrides": {"post"},
        "/api/v1/scheduling/availability/overrides/{override_id}": {"delete"},
        "/api/v1/scheduling/sessions": {"get", "post"},
        "/api/v1/scheduling/sessions/{session_id}": {"get"},
        "/api/v1/scheduling/sessions/{session_id}/reschedule": {"post"},
        "/api/v1/scheduling/sessions/{session_id}/no-show": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path


@pytest.mark.postgres
def test_the_api_works_as_the_application_role_under_row_level_security(
    app_role: str, transactional_db: None
) -> None:
    world = World.build()
    hours(world.dana, days=range(5))
    kind = session_type(world.dana)
    session_type(world.eli, name_en="Eli's")
    with application_connections(APP_ROLE), time_machine.travel(NOW, tick=False):
        avi = signed_in(world.avi)
        assert [item["id"] for item in avi.get(f"{API}/session-types").json()] == [kind.pk]
        slots = avi.get(
            f"{API}/session-types/{kind.pk}/slots", {"start": "2026-06-02", "end": "2026-06-02"}
        ).json()["slots"]
        response = post(
            avi,
            f"{API}/sessions",
            {"session_type_id": kind.pk, "starts_at": slots[4]["starts_at_local"]},
        )
        assert response.status_code == 201, response.content
        session_id = response.json()["id"]
        # Noa cannot see Avi's session, and its time is no longer offered to her.
        noa = signed_in(world.noa)
        assert noa.get(f"{API}/sessions/{session_id}").status_code == 404
        response = post(
            noa, f"{API}/sessions", {"session_type_id": kind.pk, "starts_at": slots[4]["starts_at"]}
        )
        assert response.status_code == 409
        coach = signed_in(world.dana)
        upcoming = coach.get(f"{API}/sessions").json()["items"]
        assert [item["id"] for item in upcoming] == [session_id]
        response = post(coach, f"{API}/sessions/{session_id}/cancel", {"reason": "Ill"})
        assert response.json()["status"] == "cancelled"

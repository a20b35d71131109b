"""The client's session pages: booking in three steps, my sessions, a session's page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loom.scheduling.forms import slot_value
from loom.scheduling.models import (
    ActionItem,
    BookingMode,
    Session,
    SessionEvent,
    SessionStatus,
    SessionSummary,
    SessionType,
)
from loom.scheduling.services import (
    scheduling_settings_update,
    session_book,
    session_cancel,
    session_complete,
    session_reschedule,
)
from tests.conftest import signed_in
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

pytestmark = pytest.mark.django_db

# Monday 2026-06-01, 08:00 in New York (Dana), 15:00 in Jerusalem (Avi).
NOW = utc(2026, 6, 1, 12, 0)
# Tuesday 10:00 New York = 14:00 UTC = 17:00 Jerusalem.
TUESDAY_10 = utc(2026, 6, 2, 14, 0)
BOOK = "/client/sessions/book/"
LIST = "/client/sessions/"


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dana(world: World, clock: Any) -> World:
    hours(world.dana, "09:00", "17:00", days=range(5))
    return world


@pytest.fixture
def kind(dana: World) -> SessionType:
    return session_type(dana.dana, name_he="אימון", description_en="One hour together.")


def _book(world: World, kind: SessionType, starts_at: datetime = TUESDAY_10) -> Session:
    return session_book(
        actor=world.avi, coach=world.dana, client=world.avi, session_type=kind, starts_at=starts_at
    )


def _nothing_booked() -> None:
    assert Session.objects.count() == 0
    assert SessionEvent.objects.count() == 0


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- Booking ---------------------------------------------------------------------------------


def test_step_one_lists_the_coachs_one_to_one_types_with_their_facts(
    dana: World, kind: SessionType
) -> None:
    SessionType.objects.create(coach=dana.dana, name_en="Circle", capacity=6, duration_minutes=90)
    session_type(dana.dana, name_en="Intake", booking_mode=BookingMode.REQUEST, price="80.00")
    session_type(dana.eli, name_en="Eli's type")

    response = signed_in(dana.avi).get(BOOK)

    assert response.status_code == 200
    text = _text(response)
    assert "Coaching" in text and "Intake" in text
    assert "60 minutes" in text and "80 USD" in text
    assert "Needs your coach's approval" in text
    assert "Circle" not in text  # group types are booked on the group page
    assert "Eli's type" not in text and "Eli&#x27;s type" not in text
    assert f"?type={kind.pk}" in text


def test_step_two_shows_slots_in_the_clients_zone_with_the_coachs_alongside(
    dana: World, kind: SessionType
) -> None:
    response = signed_in(dana.avi).get(BOOK, {"type": kind.pk})

    assert response.status_code == 200
    text = _text(response)
    # 10 a.m. in New York is 5 p.m. in Jerusalem.
    value = slot_value(TUESDAY_10)
    assert f"start={value}".replace(":", "%3A") in text
    assert (
        '5 p.m.</time> <span class="slot-picker-coach">(coach: <bdi>10 a.m. America/New_York</bdi>)</span>'
        in text
    )
    assert "Asia/Jerusalem" in text and reverse("account:profile") in text
    # Fourteen days by default, then "later" up to the horizon.
    assert "from=2026-06-15" in text
    assert "Tuesday, June 2, 2026" in text
    assert "June 16, 2026" not in text


def test_later_pages_stop_at_the_horizon(dana: World) -> None:
    short = session_type(dana.dana, name_en="Short horizon", booking_horizon_days=20)
    client = signed_in(dana.avi)

    page = _text(client.get(BOOK, {"type": short.pk, "from": "2026-06-15"}))

    assert "from=2026-06-01" in page  # earlier
    assert "from=2026-06-29" not in page  # nothing later than the horizon
    assert "Friday, June 19, 2026" in page
    assert "Monday, June 22, 2026" not in page


def test_confirm_then_book_creates_the_session_and_lands_on_its_page(
    dana: World, kind: SessionType
) -> None:
    client = signed_in(dana.avi)
    value = slot_value(TUESDAY_10)

    confirm = client.get(BOOK, {"type": kind.pk, "start": value})
    assert confirm.status_code == 200
    assert "America/New_York" in _text(confirm) and "Asia/Jerusalem" in _text(confirm)
    _nothing_booked()

    response = client.post(BOOK, {"type": kind.pk, "start": value})

    session = Session.objects.get()
    assert (session.client, session.starts_at, session.status) == (
        dana.avi,
        TUESDAY_10,
        SessionStatus.SCHEDULED,
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling_client:detail", args=[session.pk])
    page = client.get(response["Location"])
    assert "Your session is booked" in _text(page)


def test_a_request_mode_type_becomes_a_request_awaiting_approval(dana: World) -> None:
    kind = session_type(dana.dana, booking_mode=BookingMode.REQUEST)
    client = signed_in(dana.avi)

    assert "Send request" in _text(
        client.get(BOOK, {"type": kind.pk, "start": slot_value(TUESDAY_10)})
    )
    client.post(BOOK, {"type": kind.pk, "start": slot_value(TUESDAY_10)})

    session = Session.objects.get()
    assert session.status == SessionStatus.REQUESTED
    assert "Awaiting approval" in _text(client.get(LIST))


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("2026-06-02T14:07Z", "not one we offer"),  # off the grid
        ("2026-06-02T02:00Z", "not available any more"),  # outside hours
        ("2026-05-29T14:00Z", "not available any more"),  # past
        ("2026-09-01T14:00Z", "not available any more"),  # beyond the 60-day horizon
        ("2026-06-02T14:00", "not one we offer"),  # no zone
        ("yesterday", "not one we offer"),
        ("9999-99-99T99:99Z", "not one we offer"),
        ("", "not one we offer"),
    ],
)
def test_a_tampered_time_is_refused_before_and_at_booking(
    dana: World, kind: SessionType, start: str, message: str
) -> None:
    client = signed_in(dana.avi)
    if start and "not available" in message:
        confirm = client.get(BOOK, {"type": kind.pk, "start": start})
        assert confirm.status_code == 400
        assert message in _text(confirm)

    response = client.post(BOOK, {"type": kind.pk, "start": start})

    assert response.status_code == 400
    assert 'role="alert"' in _text(response)
    assert "Choose a time" in _text(response)  # back to the slot choice
    _nothing_booked()


@pytest.mark.parametrize(
    ("start", "code"),
    [
        (utc(2026, 6, 1, 11, 0), "in the past"),
        (utc(2026, 6, 1, 14, 0), "too soon"),
        (utc(2026, 8, 3, 14, 0), "too far ahead"),
        (utc(2026, 6, 2, 22, 0), "not offered"),
    ],
)
def test_the_services_refusals_are_shown_and_nothing_is_written(
    dana: World, kind: SessionType, start: datetime, code: str
) -> None:
    response = signed_in(dana.avi).post(BOOK, {"type": kind.pk, "start": slot_value(start)})

    assert response.status_code == 400
    assert code in _text(response)
    _nothing_booked()


def test_a_slot_taken_meanwhile_is_a_409_with_the_grid_again(
    dana: World, kind: SessionType
) -> None:
    session_book(
        actor=dana.noa, coach=dana.dana, client=dana.noa, session_type=kind, starts_at=TUESDAY_10
    )

    response = signed_in(dana.avi).post(BOOK, {"type": kind.pk, "start": slot_value(TUESDAY_10)})

    assert response.status_code == 409
    assert "just taken" in _text(response)
    assert Session.objects.count() == 1
    assert "slot-picker-day" in _text(response)


@pytest.mark.parametrize("type_id", ["foreign", "abc", "0", "99999999999999999999"])
def test_another_coachs_or_a_missing_type_is_404(dana: World, type_id: str) -> None:
    eli_type = session_type(dana.eli)
    value = eli_type.pk if type_id == "foreign" else type_id
    client = signed_in(dana.avi)

    assert client.get(BOOK, {"type": value}).status_code == 404
    assert client.post(BOOK, {"type": value, "start": slot_value(TUESDAY_10)}).status_code == 404
    _nothing_booked()


def test_a_group_type_is_not_booked_here(dana: World) -> None:
    group = SessionType.objects.create(
        coach=dana.dana, name_en="Circle", capacity=6, duration_minutes=60
    )

    response = signed_in(dana.avi).post(BOOK, {"type": group.pk, "start": slot_value(TUESDAY_10)})

    assert response.status_code == 404
    _nothing_booked()


def test_booking_pages_render_in_hebrew(dana: World, kind: SessionType) -> None:
    dana.avi.language = "he"
    dana.avi.save(update_fields=["language"])
    client = signed_in(dana.avi)

    for params in ({}, {"type": kind.pk}, {"type": kind.pk, "start": slot_value(TUESDAY_10)}):
        response = client.get(BOOK, params)
        text = _text(response)
        assert response.status_code == 200
        assert 'lang="he" dir="rtl"' in text
    # The Hebrew name of the type, and Jerusalem's 17:00 with New York's 10:00 beside it.
    assert "אימון" in _text(client.get(BOOK))
    grid = _text(client.get(BOOK, {"type": kind.pk}))
    assert "17:00" in grid and "10:00 America/New_York" in grid


# --- My sessions -----------------------------------------------------------------------------


def _past_session(world: World, kind: SessionType, day: int) -> Session:
    session = _book(world, kind, utc(2026, 6, day, 14, 0))
    return session


def test_my_sessions_upcoming_and_past_with_summaries_and_action_items(
    dana: World, kind: SessionType, clock: Any
) -> None:
    done = _book(dana, kind, TUESDAY_10)
    cancelled = _book(dana, kind, utc(2026, 6, 3, 14, 0))
    upcoming = _book(dana, kind, utc(2026, 6, 10, 14, 0))
    clock.move_to(utc(2026, 6, 2, 15, 0))
    session_cancel(actor=dana.avi, session=cancelled, reason="Sick")
    session_complete(actor=dana.dana, session=done)
    SessionSummary.objects.create(session=done, body="We talked <b>goals</b>.", shared_at=NOW)
    ActionItem.objects.create(
        session=done, coach=dana.dana, client=dana.avi, title="Write three goals"
    )
    client = signed_in(dana.avi)

    upcoming_page = _text(client.get(LIST))
    past_page = _text(client.get(LIST, {"when": "past"}))

    assert reverse("scheduling_client:detail", args=[upcoming.pk]) in upcoming_page
    assert reverse("scheduling_client:detail", args=[done.pk]) not in upcoming_page
    assert reverse("scheduling_client:detail", args=[done.pk]) in past_page
    assert "We talked &lt;b&gt;goals&lt;/b&gt;." in past_page
    assert "Write three goals" in past_page
    assert "Late cancellation" in past_page
    assert "Completed" in past_page


def test_my_sessions_show_only_my_own(dana: World, kind: SessionType) -> None:
    noa_session = session_book(
        actor=dana.noa, coach=dana.dana, client=dana.noa, session_type=kind, starts_at=TUESDAY_10
    )

    page = _text(signed_in(dana.avi).get(LIST))

    assert reverse("scheduling_client:detail", args=[noa_session.pk]) not in page
    assert "Nothing booked yet" in page


def _list_queries(world: World, when: str) -> int:
    """Queries of the page that read scheduling tables (the site's navigation and
    session middleware are other apps' business and may cache)."""
    client = signed_in(world.avi)
    client.get(LIST, {"when": when})  # per-person caches (the NPS survey's offer) are warm
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST, {"when": when}).status_code == 200
    return sum("scheduling_" in query["sql"] for query in queries.captured_queries)


@pytest.mark.parametrize("when", ["upcoming", "past"])
def test_my_sessions_query_count_does_not_grow_with_sessions(
    dana: World, kind: SessionType, clock: Any, when: str
) -> None:
    starts = [utc(2026, 6, day, 14, 0) for day in (2, 3, 4, 5, 8, 9, 10, 11)]
    sessions = [_book(dana, kind, starts[0])]
    if when == "past":
        clock.move_to(utc(2026, 6, 20, 12, 0))
    few = _list_queries(dana, when)
    clock.move_to(NOW)
    sessions += [_book(dana, kind, start) for start in starts[1:]]
    for session in sessions:
        SessionSummary.objects.create(session=session, body="Summary", shared_at=NOW)
        ActionItem.objects.create(session=session, coach=dana.dana, client=dana.avi, title="Item")
    if when == "past":
        clock.move_to(utc(2026, 6, 20, 12, 0))

    many = _list_queries(dana, when)

    assert many == few == 4  # count, page, summaries, action items


def test_my_sessions_pages_ten_at_a_time(dana: World, kind: SessionType) -> None:
    for day in (2, 3, 4, 5, 8, 9, 10, 11, 12, 15, 16, 17):
        _book(dana, kind, utc(2026, 6, day, 14, 0))
    client = signed_in(dana.avi)

    first = _text(client.get(LIST))
    second = _text(client.get(LIST, {"page": 2}))
    garbage = client.get(LIST, {"page": "x' OR 1=1", "when": "<script>"})

    assert first.count('class="card stack stack-sm client-session-row"') == 10
    assert second.count('class="card stack stack-sm client-session-row"') == 2
    assert garbage.status_code == 200


# --- One session -----------------------------------------------------------------------------


def test_session_page_shows_both_zones_the_coach_the_policy_and_the_history(
    dana: World, kind: SessionType, clock: Any
) -> None:
    session = _book(dana, kind)
    session_reschedule(
        actor=dana.dana, session=session, starts_at=utc(2026, 6, 3, 14, 0), reason="Clash"
    )
    client = signed_in(dana.avi)

    page = _text(client.get(reverse("scheduling_client:detail", args=[session.pk])))

    assert "Wednesday, June 3, 2026, 5 p.m.–6 p.m. (Asia/Jerusalem)" in page
    assert "Wednesday, June 3, 2026, 10 a.m.–11 a.m. (America/New_York)" in page
    assert "Dana Levi" in page
    assert "dana@example.com" not in page
    assert "Changes less than 24 hours before the start count as late cancellations" in page
    assert "Rescheduled" in page and "Clash" in page
    assert "Tuesday, June 2, 2026, 5 p.m.–6 p.m. (Asia/Jerusalem)" in page  # moved from
    assert reverse("scheduling_client:reschedule", args=[session.pk]) in page
    assert reverse("scheduling_client:cancel", args=[session.pk]) in page


def test_session_page_in_hebrew(dana: World, kind: SessionType) -> None:
    session = _book(dana, kind)
    dana.avi.language = "he"
    dana.avi.save(update_fields=["language"])

    page = _text(signed_in(dana.avi).get(reverse("scheduling_client:detail", args=[session.pk])))

    assert 'lang="he" dir="rtl"' in page
    assert "17:00" in page and "10:00" in page


@pytest.mark.parametrize("name", ["detail", "reschedule", "cancel"])
def test_another_clients_session_is_404(dana: World, kind: SessionType, name: str) -> None:
    session = _book(dana, kind)
    url = reverse(f"scheduling_client:{name}", args=[session.pk])

    for other in (dana.maya, dana.noa):
        client = signed_in(other)
        assert client.get(url).status_code == 404
        if name != "detail":
            assert client.post(url, {"reason": "x"}).status_code == 404
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
    assert session.sequence == 0


def test_client_reschedules_through_the_slot_grid(dana: World, kind: SessionType) -> None:
    session = _book(dana, kind)
    url = reverse("scheduling_client:reschedule", args=[session.pk])
    client = signed_in(dana.avi)
    new = utc(2026, 6, 4, 15, 0)

    page = _text(client.get(url))
    assert f'value="{slot_value(new)}"' in page
    assert f'value="{slot_value(TUESDAY_10)}"' not in page  # its own time is not offered
    response = client.post(url, {"starts_at": slot_value(new), "reason": "Exam"})

    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.starts_at, session.sequence) == (new, 1)
    assert "Exam" in _text(client.get(response["Location"]))


@pytest.mark.parametrize(
    "value", ["2026-06-04T15:07Z", "2026-06-02T02:00Z", "garbage", "", "2026-06-01T11:00Z"]
)
def test_a_tampered_reschedule_is_refused_and_changes_nothing(
    dana: World, kind: SessionType, value: str
) -> None:
    session = _book(dana, kind)

    response = signed_in(dana.avi).post(
        reverse("scheduling_client:reschedule", args=[session.pk]), {"starts_at": value}
    )

    assert response.status_code == 400
    assert "field-errors" in _text(response) or 'role="alert"' in _text(response)
    session.refresh_from_db()
    assert (session.starts_at, session.sequence) == (TUESDAY_10, 0)


def test_a_reason_over_the_limit_is_a_field_error(dana: World, kind: SessionType) -> None:
    session = _book(dana, kind)
    client = signed_in(dana.avi)

    response = client.post(
        reverse("scheduling_client:cancel", args=[session.pk]), {"reason": "x" * 1001}
    )

    assert response.status_code == 400
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED


def test_inside_the_cutoff_the_client_cannot_reschedule_but_cancels_late(
    dana: World, kind: SessionType, clock: Any
) -> None:
    session = _book(dana, kind)
    clock.move_to(TUESDAY_10 - timedelta(hours=5))
    client = signed_in(dana.avi)
    detail = reverse("scheduling_client:detail", args=[session.pk])

    page = _text(client.get(detail))
    assert reverse("scheduling_client:reschedule", args=[session.pk]) not in page
    assert "recorded as a late cancellation" in page
    moved = client.post(
        reverse("scheduling_client:reschedule", args=[session.pk]),
        {"starts_at": slot_value(utc(2026, 6, 4, 15, 0))},
    )
    assert moved.status_code == 400
    cancel_url = reverse("scheduling_client:cancel", args=[session.pk])
    warning = _text(client.get(cancel_url))
    assert "This will be recorded as a late cancellation." in warning

    response = client.post(cancel_url, {"reason": "Flu"})

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED and session.late_cancellation
    after = _text(client.get(detail))
    assert "Late cancellation" in after and "Flu" in after
    assert "Book again" in after


def test_the_coachs_cutoff_is_the_one_shown(dana: World, kind: SessionType, clock: Any) -> None:
    scheduling_settings_update(coach=dana.dana, cancellation_cutoff_hours=48)
    session = _book(dana, kind, utc(2026, 6, 3, 14, 0))
    clock.move_to(utc(2026, 6, 1, 16, 0))

    page = _text(signed_in(dana.avi).get(reverse("scheduling_client:detail", args=[session.pk])))

    assert "Changes less than 48 hours before the start" in page
    assert reverse("scheduling_client:reschedule", args=[session.pk]) not in page


def test_cancelling_outside_the_cutoff_is_not_late(dana: World, kind: SessionType) -> None:
    session = _book(dana, kind)
    client = signed_in(dana.avi)
    url = reverse("scheduling_client:cancel", args=[session.pk])

    assert "late cancellation" not in _text(client.get(url))
    client.post(url, {"reason": ""})

    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert not session.late_cancellation
    # Cancelling again is refused with a clear message and changes nothing.
    again = client.post(url, {"reason": ""})
    assert again.status_code in (400, 409)
    session.refresh_from_db()
    assert session.sequence == 1


def test_pages_are_for_clients_only(dana: World, kind: SessionType) -> None:
    session = _book(dana, kind)
    coach = signed_in(dana.dana)

    for url in (LIST, BOOK, reverse("scheduling_client:detail", args=[session.pk])):
        response = coach.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("coach:home")


# --- Row-level security ----------------------------------------------------------------------


@pytest.mark.postgres
def test_client_pages_work_as_the_application_role_under_row_level_security(
    app_role: str, transactional_db: None
) -> None:
    from tests.security.conftest import APP_ROLE, application_connections

    world = World.build()
    with time_machine.travel(NOW, tick=False):
        hours(world.dana, days=range(5))
        kind = session_type(world.dana)
        scheduling_settings_update(coach=world.dana, cancellation_cutoff_hours=20)
    with application_connections(APP_ROLE), time_machine.travel(NOW, tick=False):
        avi = signed_in(world.avi)
        assert f"?type={kind.pk}" in _text(avi.get(BOOK))
        assert slot_value(TUESDAY_10).replace(":", "%3A") in _text(avi.get(BOOK, {"type": kind.pk}))
        response = avi.post(BOOK, {"type": kind.pk, "start": slot_value(TUESDAY_10)})
        assert response.status_code == 302, _text(response)
        # The test itself has no user in context: RLS hides every session from it.
        session_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
        detail = _text(avi.get(response["Location"]))
        assert "Changes less than 20 hours before the start" in detail
        assert reverse("scheduling_client:detail", args=[session_id]) in _text(avi.get(LIST))
        assert reverse("scheduling_client:detail", args=[session_id]) in _text(avi.get("/client/"))
        # Noa sees neither the session nor its time; Maya gets a 404.
        noa = signed_in(world.noa)
        assert noa.get(reverse("scheduling_client:detail", args=[session_id])).status_code == 404
        taken = noa.post(BOOK, {"type": kind.pk, "start": slot_value(TUESDAY_10)})
        assert taken.status_code == 409
        maya = signed_in(world.maya)
        assert maya.get(reverse("scheduling_client:detail", args=[session_id])).status_code == 404
        assert maya.get(BOOK, {"type": kind.pk}).status_code == 404
        moved = avi.post(
            reverse("scheduling_client:reschedule", args=[session_id]),
            {"starts_at": slot_value(utc(2026, 6, 4, 15, 0))},
        )
        assert moved.status_code == 302, _text(moved)
        cancelled = avi.post(reverse("scheduling_client:cancel", args=[session_id]), {})
        assert cancelled.status_code == 302
    session = Session.objects.get(pk=session_id)
    assert session.status == SessionStatus.CANCELLED
    assert session.starts_at == utc(2026, 6, 4, 15, 0)


# --- Group sessions ---------------------------------------------------------------------------


def test_a_group_seat_shows_in_my_sessions_without_the_other_attendees(dana: World) -> None:
    from loom.scheduling.group_services import group_session_create, seat_take

    circle = SessionType.objects.create(
        coach=dana.dana, name_en="Circle", capacity=6, duration_minutes=60
    )
    group = group_session_create(actor=dana.dana, session_type=circle, starts_at=TUESDAY_10)
    seat_take(actor=dana.avi, session=group)
    seat_take(actor=dana.noa, session=group)
    client = signed_in(dana.avi)
    detail = reverse("scheduling_client:detail", args=[group.pk])

    assert detail in _text(client.get(LIST))
    page = _text(client.get(detail))

    assert "Circle" in page
    assert "Noa" not in page and "noa@example.com" not in page
    # A seat is released on the group panel, not through the one-to-one actions.
    assert reverse("scheduling_client:cancel", args=[group.pk]) not in page
    assert reverse("scheduling_client:reschedule", args=[group.pk]) not in page
    assert client.post(reverse("scheduling_client:cancel", args=[group.pk])).status_code == 400
    group.refresh_from_db()
    assert group.status == SessionStatus.SCHEDULED
    # Maya, who holds no seat, gets a 404.
    assert signed_in(dana.maya).get(detail).status_code == 404


# --- Daylight saving -------------------------------------------------------------------------


def _day_section(page: str, heading: str) -> str:
    start = page.index(heading)
    end = page.find('class="slot-picker-day"', start)
    return page[start : end if end != -1 else len(page)]


def test_the_grid_follows_each_zones_daylight_saving_change(world: World) -> None:
    """New York moves its clocks on 2026-03-08, Jerusalem on 2026-03-27: Dana's 9 a.m.
    is 4 p.m. for Avi before the first change, 3 p.m. between them, 4 p.m. after both."""
    with time_machine.travel(utc(2026, 3, 2, 12, 0), tick=False):
        hours(world.dana, "09:00", "10:00", days=range(5))
        kind = session_type(world.dana, booking_horizon_days=60, minimum_notice_minutes=0)
        client = signed_in(world.avi)

        first = _text(client.get(BOOK, {"type": kind.pk, "from": "2026-03-05"}))
        later = _text(client.get(BOOK, {"type": kind.pk, "from": "2026-03-26"}))

    coach_nine = '<span class="slot-picker-coach">(coach: <bdi>9 a.m. America/New_York</bdi>)'
    assert f"4 p.m.</time> {coach_nine}" in _day_section(first, "Friday, March 6, 2026")
    assert f"3 p.m.</time> {coach_nine}" in _day_section(first, "Monday, March 9, 2026")
    assert f"3 p.m.</time> {coach_nine}" in _day_section(later, "Thursday, March 26, 2026")
    assert f"4 p.m.</time> {coach_nine}" in _day_section(later, "Monday, March 30, 2026")


def test_the_slot_page_query_count_does_not_grow_with_booked_sessions(
    dana: World, kind: SessionType
) -> None:
    def scheduling_queries() -> int:
        client = signed_in(dana.avi)
        client.get(BOOK, {"type": kind.pk})  # per-person caches (the NPS survey's offer) are warm
        with CaptureQueriesContext(connection) as queries:
            assert client.get(BOOK, {"type": kind.pk}).status_code == 200
        return sum("scheduling_" in query["sql"] for query in queries.captured_queries)

    few = scheduling_queries()
    for day in (2, 3, 4, 5, 8, 9, 10, 11):
        session_book(
            actor=dana.noa,
            coach=dana.dana,
            client=dana.noa,
            session_type=kind,
            starts_at=utc(2026, 6, day, 14, 0),
        )

    assert scheduling_queries() == few

"""The coach's session pages: today, requests, week calendar, session page, booking."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loom.core.models import AuditLog
from loom.scheduling.models import Session, SessionEvent, SessionStatus
from loom.scheduling.services import session_book
from tests.conftest import signed_in
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

# Monday 2026-06-01, 08:00 in New York (Dana's zone, UTC-4).
NOW = utc(2026, 6, 1, 12, 0)
# Tuesday 2026-06-02 10:00 New York = 17:00 Jerusalem (Avi's zone).
TUESDAY_10 = utc(2026, 6, 2, 14, 0)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dana(world: World, clock: Any) -> World:
    hours(world.dana, "09:00", "17:00", days=range(5))
    return world


def book(world: World, starts_at: datetime, **kwargs: Any) -> Session:
    kind = kwargs.pop("kind", None) or session_type(world.dana)
    return session_book(
        actor=kwargs.pop("actor", world.dana),
        coach=world.dana,
        client=kwargs.pop("client", world.avi),
        session_type=kind,
        starts_at=starts_at,
    )


def request_of(world: World, starts_at: datetime, **kwargs: Any) -> Session:
    kind = kwargs.pop("kind", None) or session_type(world.dana, booking_mode="request")
    return session_book(
        actor=world.avi, coach=world.dana, client=world.avi, session_type=kind, starts_at=starts_at
    )


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- Today and upcoming ----------------------------------------------------------------------


def test_today_lists_todays_sessions_upcoming_and_pending_count(dana: World) -> None:
    kind = session_type(dana.dana, minimum_notice_minutes=0)
    today_session = book(dana, utc(2026, 6, 1, 15, 0), kind=kind)  # 11:00 New York
    later = book(dana, TUESDAY_10, kind=kind)
    request_of(dana, utc(2026, 6, 3, 14, 0))

    response = signed_in(dana.dana).get(reverse("scheduling_coach:today"))

    assert response.status_code == 200
    page = text(response)
    today_part, upcoming_part = page.split('id="upcoming-heading"')
    assert reverse("scheduling_coach:detail", args=[today_session.pk]) in today_part
    assert reverse("scheduling_coach:detail", args=[later.pk]) in upcoming_part
    assert "Avi Mizrahi" in today_part
    # Times in Dana's zone, Avi's alongside.
    assert "11 a.m.–noon (America/New_York)" in today_part
    assert "6 p.m.–7 p.m. (Asia/Jerusalem)" in today_part
    assert "1 request waits for your answer" in page
    assert f'fill="{kind.colour}"' in page


def test_today_is_the_coachs_local_day(dana: World, clock: Any) -> None:
    kind = session_type(dana.dana, minimum_notice_minutes=0)
    # 22:00 New York on Monday is 02:00 UTC on Tuesday: still Monday for Dana.
    hours(dana.dana, "09:00", "23:00", days=range(5))
    late = book(dana, utc(2026, 6, 2, 2, 0), kind=kind)
    response = signed_in(dana.dana).get(reverse("scheduling_coach:today"))
    today_part = text(response).split('id="upcoming-heading"')[0]
    assert reverse("scheduling_coach:detail", args=[late.pk]) in today_part


def test_today_query_count_does_not_grow_with_sessions(
    dana: World, django_assert_max_num_queries: Any
) -> None:
    kind = session_type(dana.dana, minimum_notice_minutes=0, buffer_after_minutes=0)
    coach = signed_in(dana.dana)
    book(dana, utc(2026, 6, 1, 15, 0), kind=kind)
    book(dana, utc(2026, 6, 2, 13, 0), kind=kind)
    coach.get(reverse("scheduling_coach:today"))  # the session's first request does more
    with CaptureQueriesContext(connection) as few:
        coach.get(reverse("scheduling_coach:today"))
    for day in range(1, 5):
        for hour in (13, 14, 15, 16, 17):
            if (day, hour) != (1, 13):
                book(dana, utc(2026, 6, 1 + day, hour, 0), kind=kind, client=dana.noa)
    with CaptureQueriesContext(connection) as many:
        response = coach.get(reverse("scheduling_coach:today"))
    assert response.status_code == 200
    assert text(response).count('class="sc-session"') == 21
    assert len(many) == len(few)


def test_upcoming_is_paginated(dana: World) -> None:
    kind = session_type(dana.dana, duration_minutes=30, minimum_notice_minutes=0)
    for day in range(1, 4):
        for half_hour in range(8):
            book(dana, utc(2026, 6, 1 + day, 13, 0) + timedelta(minutes=30 * half_hour), kind=kind)
    coach = signed_in(dana.dana)
    first = text(coach.get(reverse("scheduling_coach:today")))
    assert 'rel="next"' in first
    second = coach.get(reverse("scheduling_coach:today") + "?page=2")
    assert second.status_code == 200
    assert text(second).count('class="sc-session"') == 24 - 20


def test_today_page_in_hebrew(world: World, clock: Any) -> None:
    response = signed_in(world.eli).get(reverse("scheduling_coach:today"))
    assert response.status_code == 200
    assert 'lang="he" dir="rtl"' in response.content.decode()


def test_client_cannot_open_coach_pages(world: World) -> None:
    response = signed_in(world.avi).get(reverse("scheduling_coach:today"))
    assert response.status_code == 302


# --- Approval queue --------------------------------------------------------------------------


def test_requests_oldest_first_with_decline_dialog(dana: World, clock: Any) -> None:
    kind = session_type(dana.dana, booking_mode="request")
    first = request_of(dana, utc(2026, 6, 4, 14, 0), kind=kind)
    clock.shift(timedelta(minutes=5))
    second = request_of(dana, TUESDAY_10, kind=kind)
    page = text(signed_in(dana.dana).get(reverse("scheduling_coach:requests")))
    assert page.index(f'id="decline-{first.pk}"') < page.index(f'id="decline-{second.pk}"')
    assert f'data-dialog-open="decline-{first.pk}"' in page
    assert reverse("scheduling_coach:decline", args=[first.pk]) in page


def test_approve_confirms_the_request(dana: World) -> None:
    session = request_of(dana, TUESDAY_10)
    response = signed_in(dana.dana).post(reverse("scheduling_coach:approve", args=[session.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling_coach:requests")
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED


def test_approve_twice_shows_the_error_and_changes_nothing(dana: World) -> None:
    session = request_of(dana, TUESDAY_10)
    coach = signed_in(dana.dana)
    coach.post(reverse("scheduling_coach:approve", args=[session.pk]))
    events = SessionEvent.objects.count()
    response = coach.post(
        reverse("scheduling_coach:approve", args=[session.pk]), {"next": "detail"}, follow=True
    )
    assert "Only a requested session can be approved." in text(response)
    assert SessionEvent.objects.count() == events


def test_decline_needs_a_reason(dana: World) -> None:
    session = request_of(dana, TUESDAY_10)
    response = signed_in(dana.dana).post(
        reverse("scheduling_coach:decline", args=[session.pk]), {"reason": "  "}
    )
    assert response.status_code == 400
    assert "Tell the client why you are declining." in text(response)
    session.refresh_from_db()
    assert session.status == SessionStatus.REQUESTED


def test_decline_with_reason(dana: World) -> None:
    session = request_of(dana, TUESDAY_10)
    coach = signed_in(dana.dana)
    assert coach.get(reverse("scheduling_coach:decline", args=[session.pk])).status_code == 200
    response = coach.post(
        reverse("scheduling_coach:decline", args=[session.pk]), {"reason": "I am away that week."}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.DECLINED
    assert session.cancellation_reason == "I am away that week."


def test_decline_reason_too_long_is_refused(dana: World) -> None:
    session = request_of(dana, TUESDAY_10)
    response = signed_in(dana.dana).post(
        reverse("scheduling_coach:decline", args=[session.pk]), {"reason": "x" * 1001}
    )
    assert response.status_code == 400
    session.refresh_from_db()
    assert session.status == SessionStatus.REQUESTED


@pytest.mark.parametrize(
    "action", ["approve", "decline", "start", "complete", "no_show", "cancel", "reschedule"]
)
def test_another_coach_gets_404(dana: World, action: str) -> None:
    session = request_of(dana, TUESDAY_10)
    response = signed_in(dana.eli).post(
        reverse(f"scheduling_coach:{action}", args=[session.pk]),
        {"reason": "Not mine", "starts_at": "2026-06-03T14:00Z"},
    )
    assert response.status_code == 404
    session.refresh_from_db()
    assert session.status == SessionStatus.REQUESTED
    assert session.starts_at == TUESDAY_10


@pytest.mark.parametrize("name", ["detail", "reschedule", "cancel", "decline"])
def test_another_coach_cannot_see_the_session(dana: World, name: str) -> None:
    session = book(dana, TUESDAY_10)
    assert (
        signed_in(dana.eli).get(reverse(f"scheduling_coach:{name}", args=[session.pk])).status_code
        == 404
    )


# --- Week calendar ---------------------------------------------------------------------------


def _fill_week(world: World, count: int) -> None:
    """``count`` sessions in the week of Monday 2026-06-08, Monday to Friday, Avi and Noa."""
    kind = session_type(world.dana, duration_minutes=30, minimum_notice_minutes=0)
    starts = [
        utc(2026, 6, 8 + day, 13, 0) + timedelta(minutes=30 * slot)
        for slot in range(16)
        for day in range(5)
    ]
    for index, starts_at in enumerate(starts[:count]):
        book(world, starts_at, kind=kind, client=world.avi if index % 2 else world.noa)


def test_calendar_shows_the_week_monday_to_sunday(dana: World) -> None:
    kind = session_type(dana.dana)
    session = book(dana, utc(2026, 6, 10, 14, 0), kind=kind)  # Wednesday 10:00 New York
    response = signed_in(dana.dana).get(reverse("scheduling_coach:calendar") + "?week=2026-06-12")
    assert response.status_code == 200
    page = text(response)
    days = re.findall(r'id="day-(\d{4}-\d\d-\d\d)"', page)
    assert days == [f"2026-06-{day:02d}" for day in range(8, 15)]
    wednesday = page.split('id="day-2026-06-10"')[1].split('id="day-2026-06-11"')[0]
    link = reverse("scheduling_coach:detail", args=[session.pk])
    assert link in wednesday
    # 10:00 is two hours after the first hour shown (08:00): row 9, four rows of 15 minutes.
    assert re.search(r'class="sc-event sc-event-scheduled sc-r-9 sc-s-4" href="' + link, page)
    # Working hours 09:00-17:00 shaded on weekdays, not at the weekend.
    assert 'class="sc-work sc-r-5 sc-s-32"' in wednesday
    sunday = page.split('id="day-2026-06-14"')[1]
    assert "sc-work" not in sunday.split("</section>")[0]
    assert "?week=2026-06-01" in page and "?week=2026-06-15" in page


def test_calendar_bad_week_falls_back_to_this_week(dana: World) -> None:
    coach = signed_in(dana.dana)
    for value in ("nonsense", "2026-13-40", "0001-01-01", "9999-12-31", "x" * 500):
        response = coach.get(reverse("scheduling_coach:calendar"), {"week": value})
        assert response.status_code == 200
    assert 'id="day-2026-06-01"' in text(response)


def test_calendar_leaves_out_cancelled_sessions_and_other_coaches(dana: World) -> None:
    from loom.scheduling.services import session_cancel

    kind = session_type(dana.dana)
    cancelled = book(dana, utc(2026, 6, 9, 14, 0), kind=kind)
    session_cancel(actor=dana.dana, session=cancelled)
    page = text(signed_in(dana.eli).get(reverse("scheduling_coach:calendar") + "?week=2026-06-08"))
    assert "sc-event " not in page
    page = text(signed_in(dana.dana).get(reverse("scheduling_coach:calendar") + "?week=2026-06-08"))
    assert reverse("scheduling_coach:detail", args=[cancelled.pk]) not in page


def test_calendar_query_count_is_constant_5_vs_50_sessions(dana: World) -> None:
    coach = signed_in(dana.dana)
    url = reverse("scheduling_coach:calendar") + "?week=2026-06-08"
    _fill_week(dana, 5)
    coach.get(url)
    with CaptureQueriesContext(connection) as few:
        response = coach.get(url)
    assert text(response).count('class="sc-event ') == 5
    _fill_week(dana, 0)
    Session.objects.all().delete()
    _fill_week(dana, 50)
    with CaptureQueriesContext(connection) as many:
        response = coach.get(url)
    assert text(response).count('class="sc-event ') == 50
    assert len(many) == len(few)


def test_calendar_in_hebrew_is_mirrored(world: World, clock: Any) -> None:
    hours(world.eli, "09:00", "17:00", days=range(5))
    kind = session_type(world.eli)
    session_book(
        actor=world.eli,
        coach=world.eli,
        client=world.maya,
        session_type=kind,
        starts_at=utc(2026, 6, 2, 7, 0),  # Tuesday 10:00 Jerusalem
    )
    response = signed_in(world.eli).get(reverse("scheduling_coach:calendar"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="he" dir="rtl"' in page
    assert page.count('<section class="sc-day') == 7
    # Time ranges stay left to right inside the Hebrew page.
    assert '<span class="sc-event-time">\u206610:00–11:00\u2069</span>' in page
    assert "\u206609:00–17:00\u2069" in page


# --- Session page ----------------------------------------------------------------------------


def test_detail_shows_times_in_both_zones_history_and_actions(dana: World) -> None:
    session = book(dana, TUESDAY_10)
    response = signed_in(dana.dana).get(reverse("scheduling_coach:detail", args=[session.pk]))
    assert response.status_code == 200
    page = text(response)
    assert reverse("coach:client", args=[dana.avi.pk]) in page
    assert "10 a.m.–11 a.m. (America/New_York)" in page
    assert "5 p.m.–6 p.m. (Asia/Jerusalem)" in page
    assert "Booked" in page  # history
    assert reverse("scheduling_coach:reschedule", args=[session.pk]) in page
    assert reverse("scheduling_coach:cancel", args=[session.pk]) in page
    # Not yet: start, complete, no-show.
    assert reverse("scheduling_coach:start", args=[session.pk]) not in page
    assert reverse("scheduling_coach:complete", args=[session.pk]) not in page


def test_detail_in_hebrew(world: World, clock: Any) -> None:
    hours(world.eli, "09:00", "17:00")
    kind = session_type(world.eli)
    session = session_book(
        actor=world.eli,
        coach=world.eli,
        client=world.maya,
        session_type=kind,
        starts_at=utc(2026, 6, 2, 7, 0),  # 10:00 Jerusalem
    )
    response = signed_in(world.eli).get(reverse("scheduling_coach:detail", args=[session.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="he" dir="rtl"' in page
    # Times and zones kept left to right inside the Hebrew text (isolates).
    assert "\u206610:00–11:00\u2069 (\u2066Asia/Jerusalem\u2069)" in page
    assert "\u206608:00–09:00\u2069 (\u2066Europe/London\u2069)" in page


def test_history_shows_a_reschedule_with_old_and_new_time_and_reason(dana: World) -> None:
    from loom.scheduling.services import session_reschedule

    session = book(dana, TUESDAY_10)
    session_reschedule(
        actor=dana.avi, session=session, starts_at=utc(2026, 6, 3, 14, 0), reason="Work trip"
    )
    page = text(signed_in(dana.dana).get(reverse("scheduling_coach:detail", args=[session.pk])))
    history = page.split('id="session-history"')[1]
    assert "Avi Mizrahi" in history
    assert "Work trip" in history
    assert "From Tuesday, June 2, 2026, 10 a.m.–11 a.m." in history
    assert "to Wednesday, June 3, 2026, 10 a.m.–11 a.m." in history


def test_start_complete_and_no_show_near_the_start(dana: World, clock: Any) -> None:
    session = book(dana, TUESDAY_10)
    coach = signed_in(dana.dana)
    url = reverse("scheduling_coach:detail", args=[session.pk])
    # Too early: refused with the service's message, nothing changes.
    response = coach.post(reverse("scheduling_coach:start", args=[session.pk]), follow=True)
    assert "A session can be started from 15 minutes before its start time." in text(response)
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
    clock.move_to(TUESDAY_10 - timedelta(minutes=10))
    coach = signed_in(dana.dana)  # a day later: sign in again (idle sessions expire)
    page = text(coach.get(url))
    assert reverse("scheduling_coach:start", args=[session.pk]) in page
    assert reverse("scheduling_coach:complete", args=[session.pk]) not in page
    assert coach.post(reverse("scheduling_coach:start", args=[session.pk])).status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.IN_PROGRESS
    clock.move_to(TUESDAY_10 + timedelta(minutes=50))
    coach = signed_in(dana.dana)
    assert coach.post(reverse("scheduling_coach:complete", args=[session.pk])).status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    # Completed: no more actions, and a no-show is an invalid transition.
    response = coach.post(reverse("scheduling_coach:no_show", args=[session.pk]), follow=True)
    assert "This is not possible for a session with the status" in text(response)
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert "Nothing more can be done with this session." in text(coach.get(url))


def test_no_show_after_the_start(dana: World, clock: Any) -> None:
    session = book(dana, TUESDAY_10)
    clock.move_to(TUESDAY_10 + timedelta(minutes=20))
    response = signed_in(dana.dana).post(reverse("scheduling_coach:no_show", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.NO_SHOW


def test_lifecycle_actions_refuse_get(dana: World) -> None:
    session = book(dana, TUESDAY_10)
    coach = signed_in(dana.dana)
    for name in ("approve", "start", "complete", "no_show"):
        assert coach.get(reverse(f"scheduling_coach:{name}", args=[session.pk])).status_code == 405


# --- Cancel ----------------------------------------------------------------------------------


def test_cancel_with_reason(dana: World) -> None:
    session = book(dana, TUESDAY_10)
    coach = signed_in(dana.dana)
    assert coach.get(reverse("scheduling_coach:cancel", args=[session.pk])).status_code == 200
    response = coach.post(
        reverse("scheduling_coach:cancel", args=[session.pk]), {"reason": "I am ill."}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert session.cancellation_reason == "I am ill."
    assert not session.late_cancellation
    page = text(coach.get(reverse("scheduling_coach:detail", args=[session.pk])))
    assert "I am ill." in page


def test_cancel_twice_is_refused(dana: World) -> None:
    session = book(dana, TUESDAY_10)
    coach = signed_in(dana.dana)
    coach.post(reverse("scheduling_coach:cancel", args=[session.pk]), {"reason": ""})
    response = coach.post(reverse("scheduling_coach:cancel", args=[session.pk]), {"reason": "x"})
    assert response.status_code == 409
    assert "Only an upcoming session can be cancelled." in text(response)


def test_cancel_reason_with_control_characters_is_refused(dana: World) -> None:
    session = book(dana, TUESDAY_10)
    response = signed_in(dana.dana).post(
        reverse("scheduling_coach:cancel", args=[session.pk]), {"reason": "bad\x07bell"}
    )
    assert response.status_code == 400
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED


def test_late_cancellation_is_flagged_on_the_session_page(dana: World, clock: Any) -> None:
    from loom.scheduling.services import session_cancel

    session = book(dana, TUESDAY_10)
    clock.move_to(TUESDAY_10 - timedelta(hours=2))
    session_cancel(actor=dana.avi, session=session, reason="Sorry")
    page = text(signed_in(dana.dana).get(reverse("scheduling_coach:detail", args=[session.pk])))
    assert "Late cancellation" in page


# --- Reschedule ------------------------------------------------------------------------------


def test_reschedule_page_shows_14_days_of_slots_in_the_coachs_zone(dana: World) -> None:
    session = book(dana, TUESDAY_10)
    response = signed_in(dana.dana).get(reverse("scheduling_coach:reschedule", args=[session.pk]))
    assert response.status_code == 200
    page = text(response)
    days = re.findall(r'<span class="sc-slot-day-title">([^<]+)</span>', page)
    # Weekdays only (Dana works Monday to Friday) from Monday June 1 to Sunday June 14.
    assert days[0].startswith("Monday, June 1, 2026")
    assert days[-1].startswith("Friday, June 12, 2026")
    assert len(days) == 10
    # Its own time is free for the move; 12:00 New York (after 4 hours' notice) is first.
    assert 'value="2026-06-01T16:00Z"' in page
    assert 'value="2026-06-02T14:00Z"' in page
    # Each day folds; only the first starts open.
    assert page.count('<details class="sc-slot-day" open>') == 1
    assert page.count('<details class="sc-slot-day">') == 9


def test_reschedule_error_keeps_the_chosen_day_open(dana: World) -> None:
    kind = session_type(dana.dana)
    session = book(dana, TUESDAY_10, kind=kind)
    response = signed_in(dana.dana).post(
        reverse("scheduling_coach:reschedule", args=[session.pk]),
        {"starts_at": "2026-06-04T15:00Z", "reason": "x" * 1001},
    )
    assert response.status_code == 400
    page = text(response)
    thursday = page.split("Thursday, June 4, 2026")[0].rsplit("<details", 1)[1]
    assert thursday.startswith(' class="sc-slot-day" open>')
    assert 'value="2026-06-04T15:00Z" id="slot-2026-06-04t1500z" checked' in page


def test_reschedule_moves_the_session(dana: World) -> None:
    session = book(dana, TUESDAY_10)
    response = signed_in(dana.dana).post(
        reverse("scheduling_coach:reschedule", args=[session.pk]),
        {"starts_at": "2026-06-03T15:00Z", "reason": "Clash"},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.starts_at == utc(2026, 6, 3, 15, 0)
    assert session.sequence == 1
    event = SessionEvent.objects.filter(session=session, kind="rescheduled").get()
    assert event.old_starts_at == TUESDAY_10
    assert event.reason == "Clash"
    assert AuditLog.objects.filter(action="session.rescheduled").exists()


@pytest.mark.parametrize(
    ("value", "status", "message"),
    [
        ("2026-06-03T15:07Z", 400, "This time is not offered."),  # off the grid
        ("2026-06-06T15:00Z", 400, "This time is not offered."),  # Saturday
        ("2026-06-01T12:00Z", 400, "This time is too soon"),  # notice
        ("2026-05-01T14:00Z", 400, "This time is in the past."),
        ("2027-06-01T14:00Z", 400, "This time is too far ahead."),
        ("2026-06-03 15:00", 400, "This time is not available any more."),  # malformed
        ("", 400, "Choose a time."),
    ],
)
def test_reschedule_tampered_slot_is_refused(
    dana: World, value: str, status: int, message: str
) -> None:
    session = book(dana, TUESDAY_10)
    response = signed_in(dana.dana).post(
        reverse("scheduling_coach:reschedule", args=[session.pk]), {"starts_at": value}
    )
    assert response.status_code == status
    assert message in text(response)
    session.refresh_from_db()
    assert session.starts_at == TUESDAY_10
    assert session.sequence == 0


def test_reschedule_onto_a_taken_time_is_a_409_with_the_message(dana: World) -> None:
    kind = session_type(dana.dana)
    session = book(dana, TUESDAY_10, kind=kind)
    book(dana, utc(2026, 6, 3, 15, 0), kind=kind, client=dana.noa)
    response = signed_in(dana.dana).post(
        reverse("scheduling_coach:reschedule", args=[session.pk]),
        {"starts_at": "2026-06-03T15:00Z"},
    )
    assert response.status_code == 409
    assert "This time was just taken. Choose another time." in text(response)
    # The grid is shown again, without the taken time.
    assert 'value="2026-06-03T15:00Z"' not in text(response)
    assert 'value="2026-06-03T17:00Z"' in text(response)
    session.refresh_from_db()
    assert session.starts_at == TUESDAY_10


def test_reschedule_of_a_cancelled_session_is_refused(dana: World) -> None:
    from loom.scheduling.services import session_cancel

    session = book(dana, TUESDAY_10)
    session_cancel(actor=dana.dana, session=session)
    coach = signed_in(dana.dana)
    page = text(coach.get(reverse("scheduling_coach:reschedule", args=[session.pk])))
    assert "Only an upcoming session can be rescheduled." in page
    response = coach.post(
        reverse("scheduling_coach:reschedule", args=[session.pk]),
        {"starts_at": "2026-06-03T15:00Z"},
    )
    assert response.status_code == 409
    session.refresh_from_db()
    assert session.starts_at == TUESDAY_10


def test_reschedule_query_count_does_not_grow_with_sessions(dana: World) -> None:
    kind = session_type(dana.dana, duration_minutes=30, minimum_notice_minutes=0)
    session = book(dana, TUESDAY_10, kind=kind)
    coach = signed_in(dana.dana)
    url = reverse("scheduling_coach:reschedule", args=[session.pk])
    coach.get(url)
    with CaptureQueriesContext(connection) as few:
        coach.get(url)
    for day in range(3, 6):
        for hour in (13, 15, 17):
            book(dana, utc(2026, 6, day, hour, 0), kind=kind, client=dana.noa)
    with CaptureQueriesContext(connection) as many:
        coach.get(url)
    assert len(many) == len(few)


# --- Book for a client -----------------------------------------------------------------------


def test_book_step_one_preselects_the_client(dana: World) -> None:
    session_type(dana.dana)
    session_type(dana.dana, name_en="Workshop", capacity=6)
    response = signed_in(dana.dana).get(reverse("scheduling_coach:book"), {"client": dana.noa.pk})
    assert response.status_code == 200
    page = text(response)
    assert f'<option value="{dana.noa.pk}" selected>Noa Peretz</option>' in page
    assert "Workshop" not in page  # group types are booked on the groups page
    assert "Maya" not in page  # not Dana's client
    assert 'name="starts_at"' not in page


def test_book_shows_slots_then_books(dana: World) -> None:
    kind = session_type(dana.dana)
    coach = signed_in(dana.dana)
    page = text(
        coach.get(reverse("scheduling_coach:book"), {"client": dana.noa.pk, "type": kind.pk})
    )
    assert 'value="2026-06-02T14:00Z"' in page
    response = coach.post(
        reverse("scheduling_coach:book"),
        {"client": dana.noa.pk, "type": kind.pk, "starts_at": "2026-06-02T14:00Z"},
    )
    assert response.status_code == 302
    session = Session.objects.get()
    assert response["Location"] == reverse("scheduling_coach:detail", args=[session.pk])
    assert (session.client, session.status, session.starts_at) == (
        dana.noa,
        SessionStatus.SCHEDULED,
        TUESDAY_10,
    )


def test_book_for_another_coachs_client_or_type_is_refused(dana: World) -> None:
    kind = session_type(dana.dana)
    eli_kind = session_type(dana.eli)
    coach = signed_in(dana.dana)
    for data in (
        {"client": dana.maya.pk, "type": kind.pk},
        {"client": dana.avi.pk, "type": eli_kind.pk},
        {"client": "x", "type": kind.pk},
    ):
        response = coach.post(
            reverse("scheduling_coach:book"), {**data, "starts_at": "2026-06-02T14:00Z"}
        )
        assert response.status_code == 400
    assert not Session.objects.exists()


def test_book_an_archived_client_is_refused(dana: World) -> None:
    from loom.accounts.models import CoachClient

    kind = session_type(dana.dana)
    CoachClient.objects.filter(coach=dana.dana, client=dana.noa).update(status="archived")
    response = signed_in(dana.dana).post(
        reverse("scheduling_coach:book"),
        {"client": dana.noa.pk, "type": kind.pk, "starts_at": "2026-06-02T14:00Z"},
    )
    assert response.status_code == 400
    assert not Session.objects.exists()


def test_book_taken_time_is_409_and_tampered_time_400(dana: World) -> None:
    kind = session_type(dana.dana)
    book(dana, TUESDAY_10, kind=kind)
    coach = signed_in(dana.dana)
    response = coach.post(
        reverse("scheduling_coach:book"),
        {"client": dana.noa.pk, "type": kind.pk, "starts_at": "2026-06-02T14:00Z"},
    )
    assert response.status_code == 409
    assert "This time was just taken." in text(response)
    response = coach.post(
        reverse("scheduling_coach:book"),
        {"client": dana.noa.pk, "type": kind.pk, "starts_at": "2026-06-02T23:00Z"},
    )
    assert response.status_code == 400
    assert "This time is not offered." in text(response)
    assert Session.objects.count() == 1


def test_book_without_clients_or_types_explains(world: World, clock: Any) -> None:
    page = text(signed_in(world.dana).get(reverse("scheduling_coach:book")))
    assert "No one-to-one session types" in page
    assert reverse("scheduling_setup:type_new") in page


# --- Coach home: the "Today" card ------------------------------------------------------------


def test_home_today_card_lists_the_rest_of_today_and_pending_requests(
    dana: World, clock: Any
) -> None:
    kind = session_type(dana.dana, minimum_notice_minutes=0)
    done = book(dana, utc(2026, 6, 1, 13, 0), kind=kind)  # 09:00 New York
    coming = book(dana, utc(2026, 6, 1, 15, 0), kind=kind)  # 11:00
    tomorrow = book(dana, TUESDAY_10, kind=kind)
    request_of(dana, utc(2026, 6, 3, 14, 0))
    clock.move_to(utc(2026, 6, 1, 14, 30))
    page = text(signed_in(dana.dana).get(reverse("coach:home")))
    card = page.split('id="today-title"')[1].split("</section>")[0]
    assert reverse("scheduling_coach:detail", args=[coming.pk]) in card
    assert "11 a.m.–noon</span> Avi Mizrahi" in card
    assert reverse("scheduling_coach:detail", args=[done.pk]) not in card
    assert reverse("scheduling_coach:detail", args=[tomorrow.pk]) not in card
    assert "1 request waits for your answer" in card
    assert reverse("scheduling_coach:requests") in card


def test_home_today_card_when_nothing_is_booked(world: World, clock: Any) -> None:
    page = text(signed_in(world.dana).get(reverse("coach:home")))
    assert "No more sessions today" in page
    assert "No requests waiting." in page


# --- Markup: CSP-safe, one h1 ----------------------------------------------------------------


def test_pages_have_no_style_attributes_or_unnonced_scripts(dana: World) -> None:
    from tests.web.test_components import _nonce, _unsafe_markup

    request = request_of(dana, TUESDAY_10)
    session = book(dana, utc(2026, 6, 3, 14, 0))
    kind = session_type(dana.dana)
    coach = signed_in(dana.dana)
    for path in (
        reverse("scheduling_coach:today"),
        reverse("scheduling_coach:requests"),
        reverse("scheduling_coach:calendar"),
        reverse("scheduling_coach:detail", args=[session.pk]),
        reverse("scheduling_coach:detail", args=[request.pk]),
        reverse("scheduling_coach:reschedule", args=[session.pk]),
        reverse("scheduling_coach:cancel", args=[session.pk]),
        reverse("scheduling_coach:decline", args=[request.pk]),
        reverse("scheduling_coach:book") + f"?client={dana.avi.pk}&type={kind.pk}",
    ):
        response = coach.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert html.count("<h1") == 1, path
        assert _unsafe_markup(html, _nonce(response)) == [], path


def test_requests_query_count_does_not_grow_with_requests(dana: World) -> None:
    kind = session_type(dana.dana, booking_mode="request", minimum_notice_minutes=0)
    coach = signed_in(dana.dana)
    url = reverse("scheduling_coach:requests")
    request_of(dana, TUESDAY_10, kind=kind)
    coach.get(url)
    with CaptureQueriesContext(connection) as few:
        coach.get(url)
    for day in range(3, 6):
        for hour in (13, 15):
            request_of(dana, utc(2026, 6, day, hour, 0), kind=kind)
    with CaptureQueriesContext(connection) as many:
        response = coach.get(url)
    assert text(response).count('class="sc-session"') == 7
    assert len(many) == len(few)


def test_a_hebrew_coachs_week_runs_sunday_to_saturday(dana: World) -> None:
    # Eli works in Hebrew: in Israel the week starts on Sunday.
    page = signed_in(dana.eli).get(reverse("scheduling_coach:calendar") + "?week=2026-06-10")
    assert page.status_code == 200
    html = page.content.decode()
    # Wednesday 10 June 2026 lies in the week of Sunday 7 June; the links move by 7 days.
    assert "?week=2026-05-31" in html and "?week=2026-06-14" in html
    english = signed_in(dana.dana).get(reverse("scheduling_coach:calendar") + "?week=2026-06-10")
    assert "?week=2026-06-01" in english.content.decode()

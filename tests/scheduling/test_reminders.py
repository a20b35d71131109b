"""Session reminders: planning, quiet hours, dispatch, re-planning on change, follow-ups."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail

from loom.core.context import system_context
from loom.core.models import OutboxMessage
from loom.core.outbox import outbox_drain
from loom.notifications.models import Notification
from loom.scheduling.models import (
    ActionItem,
    CoachSchedulingSettings,
    Reminder,
    ReminderPreferences,
    Session,
    SessionPrivateNote,
    SessionSummary,
)
from loom.scheduling.reminders import (
    quiet_start_before,
    reminder_preferences_update,
    reminders_dispatch,
    reminders_plan,
)
from loom.scheduling.services import (
    session_book,
    session_cancel,
    session_complete,
    session_reschedule,
    session_start,
)
from tests.conftest import signed_in
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

pytestmark = pytest.mark.django_db

HEBREW = re.compile(r"[\u0590-\u05FF]")
# Monday 2026-06-01, 08:00 in New York.
NOW = utc(2026, 6, 1, 12, 0)
# Wednesday 2026-06-03 14:00 UTC: 10:00 in New York (Dana), 17:00 in Jerusalem (Avi, Noa).
WEDNESDAY_10 = utc(2026, 6, 3, 14, 0)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dana(world: World, clock: Any) -> World:
    hours(world.dana, "09:00", "17:00")
    return world


def _book(world: World, client: Any = None, starts_at: Any = WEDNESDAY_10) -> Session:
    """Book with Dana (for Avi unless told), and send the booking emails out of the way."""
    client = client or world.avi
    session = session_book(
        actor=world.dana,
        coach=world.dana,
        client=client,
        session_type=session_type(world.dana, minimum_notice_minutes=0),
        starts_at=starts_at,
    )
    with system_context():
        outbox_drain()
    mail.outbox.clear()
    return session


def _rows(session: Session) -> list[Reminder]:
    with system_context():
        return list(
            Reminder.objects.filter(session=session).order_by(
                "recipient_id", "channel", "-offset_minutes"
            )
        )


def _table(session: Session) -> set[tuple[str, str, int, str, Any]]:
    return {
        (row.recipient.email, row.channel, row.offset_minutes, row.status, row.due_at)
        for row in _rows(session)
    }


def _deliver(at: Any) -> None:
    """The worker at ``at``: dispatch the due reminders, then drain the outbox."""
    with time_machine.travel(at, tick=False):
        reminders_dispatch()
        with system_context():
            outbox_drain()


def _mail_to(email: str) -> list[Any]:
    return [message for message in mail.outbox if message.to == [email]]


# --- Planning ----------------------------------------------------------------------------------


def test_booking_plans_each_offset_for_both_parties_on_email_and_in_app(dana: World) -> None:
    session = _book(dana)
    day_before = WEDNESDAY_10 - timedelta(days=1)
    hour_before = WEDNESDAY_10 - timedelta(hours=1)
    assert _table(session) == {
        (email, channel, offset, "pending", due)
        for email in ("dana@example.com", "avi@example.com")
        for channel in ("email", "in_app")
        for offset, due in ((1440, day_before), (60, hour_before))
    }


def test_planning_twice_changes_nothing(dana: World) -> None:
    session = _book(dana)
    before = _table(session)
    result = reminders_plan(session)
    assert (result.created, result.pending, result.cancelled, result.skipped) == (0, 0, 0, 0)
    assert _table(session) == before


def test_an_offset_already_past_at_booking_is_skipped_with_its_reason(
    dana: World, clock: Any
) -> None:
    # Booked 3 hours ahead: the day-before reminder is already past.
    starts_at = utc(2026, 6, 1, 15, 0)
    session = _book(dana, starts_at=starts_at)
    rows = _rows(session)
    day_before = [row for row in rows if row.offset_minutes == 1440]
    hour_before = [row for row in rows if row.offset_minutes == 60]
    assert {(row.status, row.status_reason) for row in day_before} == {
        ("skipped", "past_at_booking")
    }
    assert {row.status for row in hour_before} == {"pending"}


def test_coach_offsets_and_an_empty_list_turn_reminders_off(dana: World) -> None:
    CoachSchedulingSettings.objects.update_or_create(
        coach=dana.dana, defaults={"reminder_offsets_minutes": [30]}
    )
    session = _book(dana)
    assert {row.offset_minutes for row in _rows(session)} == {30}

    CoachSchedulingSettings.objects.filter(coach=dana.dana).update(reminder_offsets_minutes=[])
    reminders_plan(session)
    assert {(row.status, row.status_reason) for row in _rows(session)} == {
        ("cancelled", "offset_removed")
    }


def test_sms_only_with_the_choice_and_a_verified_phone(dana: World) -> None:
    avi = dana.avi
    ReminderPreferences.objects.create(user=avi, sms_reminders=True)
    session = _book(dana)
    assert "sms" not in {row.channel for row in _rows(session)}  # phone not verified

    avi.phone = "+972501234567"
    avi.phone_verified_at = NOW
    avi.save(update_fields=["phone", "phone_verified_at"])
    reminders_plan(session)
    sms = [row for row in _rows(session) if row.channel == "sms"]
    assert {(row.recipient_id, row.status) for row in sms} == {(avi.pk, "pending")}


def test_email_turned_off_cancels_pending_email_reminders(dana: World) -> None:
    session = _book(dana)
    reminder_preferences_update(
        user=dana.avi, quiet_start=None, quiet_end=None, email_reminders=False, sms_reminders=False
    )
    avi_email = [
        row for row in _rows(session) if row.recipient_id == dana.avi.pk and row.channel == "email"
    ]
    assert {(row.status, row.status_reason) for row in avi_email} == {("cancelled", "channel_off")}
    # Turned back on: planned again.
    reminder_preferences_update(
        user=dana.avi, quiet_start=None, quiet_end=None, email_reminders=True, sms_reminders=False
    )
    avi_email = [
        row for row in _rows(session) if row.recipient_id == dana.avi.pk and row.channel == "email"
    ]
    assert {row.status for row in avi_email} == {"pending"}


# --- Quiet hours -------------------------------------------------------------------------------


def test_a_reminder_in_quiet_hours_moves_earlier_to_their_start(dana: World) -> None:
    # Avi (Jerusalem) sleeps 22:00–08:00. The session is Wednesday 10:00 New York =
    # 17:00 Jerusalem; the 60-minute reminder (16:00) is outside; a 12-hour one would
    # be 05:00 Jerusalem, inside: it moves to Tuesday 22:00 Jerusalem (19:00 UTC).
    ReminderPreferences.objects.create(user=dana.avi, quiet_start=time(22), quiet_end=time(8))
    CoachSchedulingSettings.objects.update_or_create(
        coach=dana.dana, defaults={"reminder_offsets_minutes": [720, 60]}
    )
    session = _book(dana)
    due = {
        (row.recipient_id, row.channel, row.offset_minutes): row.due_at for row in _rows(session)
    }
    assert due[(dana.avi.pk, "email", 720)] == utc(2026, 6, 2, 19, 0)
    assert due[(dana.avi.pk, "email", 60)] == utc(2026, 6, 3, 13, 0)
    # Dana has no quiet hours: her 12-hour reminder is at 02:00 UTC as promised.
    assert due[(dana.dana.pk, "email", 720)] == utc(2026, 6, 3, 2, 0)


def test_quiet_hours_follow_the_recipients_zone_across_a_dst_change() -> None:
    from zoneinfo import ZoneInfo

    new_york = ZoneInfo("America/New_York")
    quiet = {"quiet_start": time(22), "quiet_end": time(7), "zone": new_york}
    # Saturday 2026-03-07 22:00 EST is 03:00 UTC; Sunday 2026-03-08 22:00 EDT is 02:00 UTC.
    before = quiet_start_before(utc(2026, 3, 8, 8, 0), **quiet)  # 03:00 EST Sunday
    after = quiet_start_before(utc(2026, 3, 9, 8, 0), **quiet)  # 04:00 EDT Monday
    assert before == utc(2026, 3, 8, 3, 0)
    assert after == utc(2026, 3, 9, 2, 0)
    # The same wall-clock 06:30 on both sides of the change stays quiet.
    assert quiet_start_before(utc(2026, 3, 8, 10, 30), **quiet) == utc(2026, 3, 8, 3, 0)
    # Outside quiet hours nothing moves.
    assert quiet_start_before(utc(2026, 3, 9, 15, 0), **quiet) == utc(2026, 3, 9, 15, 0)


def test_quiet_hours_starting_in_the_spring_forward_gap_start_before_the_jump() -> None:
    from zoneinfo import ZoneInfo

    # 02:30 does not exist in New York on 2026-03-08 (02:00 EST jumps to 03:00 EDT at
    # 07:00 UTC). A reminder at 04:00 EDT (08:00 UTC) in quiet hours 02:30–06:00 moves
    # to the earlier reading of 02:30, 01:30 EST (06:30 UTC): never later than promised.
    moved = quiet_start_before(
        utc(2026, 3, 8, 8, 0),
        quiet_start=time(2, 30),
        quiet_end=time(6),
        zone=ZoneInfo("America/New_York"),
    )
    assert moved == utc(2026, 3, 8, 6, 30)


def test_quiet_hours_that_would_move_a_reminder_into_the_past_send_it_now(
    dana: World, clock: Any
) -> None:
    # Booked at 08:00 NY for 10:00 NY; Dana is quiet 07:00–12:00: the one-hour
    # reminder (09:00) would move to 07:00, already past: it is due now.
    ReminderPreferences.objects.create(user=dana.dana, quiet_start=time(7), quiet_end=time(12))
    session = _book(dana, starts_at=utc(2026, 6, 1, 14, 0))
    [row] = [
        row
        for row in _rows(session)
        if row.recipient_id == dana.dana.pk and row.channel == "email" and row.offset_minutes == 60
    ]
    assert (row.status, row.due_at) == ("pending", NOW)


def test_quiet_hours_hold_in_local_time_across_the_us_dst_change(world: World) -> None:
    # Dana (New York) is quiet 22:00–07:00 and reminded 10 hours ahead of her 09:00
    # Monday sessions: 23:00 on Sunday, inside her quiet hours, so 22:00 Sunday local —
    # 03:00 UTC in winter (EST) and 02:00 UTC after 2026-03-08 (EDT). Sent exactly then.
    ReminderPreferences.objects.create(user=world.dana, quiet_start=time(22), quiet_end=time(7))
    CoachSchedulingSettings.objects.update_or_create(
        coach=world.dana, defaults={"reminder_offsets_minutes": [600]}
    )
    with time_machine.travel(utc(2026, 2, 25, 12, 0), tick=False):
        hours(world.dana, "09:00", "17:00")
        winter = _book(world, starts_at=utc(2026, 3, 2, 14, 0))  # Mon 09:00 EST
        summer = _book(world, starts_at=utc(2026, 3, 9, 13, 0))  # Mon 09:00 EDT
    for session, due in ((winter, utc(2026, 3, 2, 3, 0)), (summer, utc(2026, 3, 9, 2, 0))):
        [row] = [
            row
            for row in _rows(session)
            if row.recipient_id == world.dana.pk and row.channel == "email"
        ]
        assert row.due_at == due
        _deliver(due - timedelta(minutes=1))
        assert _mail_to("dana@example.com") == []
        _deliver(due)
        [reminder] = _mail_to("dana@example.com")
        assert "9 a.m." in reminder.body
        mail.outbox.clear()


# --- Dispatch ----------------------------------------------------------------------------------


def test_reminders_go_out_at_their_time_in_each_recipients_language(dana: World) -> None:
    session = _book(dana, client=dana.noa)  # Noa reads Hebrew
    mail.outbox.clear()

    _deliver(WEDNESDAY_10 - timedelta(days=1, minutes=1))
    assert mail.outbox == []

    _deliver(WEDNESDAY_10 - timedelta(days=1))
    [to_noa] = _mail_to("noa@example.com")
    [to_dana] = _mail_to("dana@example.com")
    assert to_noa.extra_headers["Content-Language"] == "he"
    assert HEBREW.search(to_noa.body)
    assert "17:00" in to_noa.body  # her zone, Jerusalem
    assert f"/sessions/{session.pk}/?v={session.sequence}" in to_noa.body
    if session.meeting_url:  # a video session: the link to join
        assert session.meeting_url in to_noa.body
    assert to_dana.extra_headers["Content-Language"] == "en"
    assert not HEBREW.search(to_dana.body)
    assert "10 a.m." in to_dana.body and "Noa Peretz" in to_dana.body
    assert Notification.objects.filter(user=dana.noa, kind="session_reminder").count() == 1

    # Running the worker again sends nothing more.
    _deliver(WEDNESDAY_10 - timedelta(hours=2))
    assert len(mail.outbox) == 2

    _deliver(WEDNESDAY_10 - timedelta(hours=1))
    assert len(_mail_to("noa@example.com")) == 2
    assert {row.status for row in _rows(session)} == {"sent"}
    assert Notification.objects.filter(user=dana.noa, kind="session_reminder").count() == 2


def test_each_reminder_is_queued_once_even_when_dispatched_twice(dana: World) -> None:
    session = _book(dana)
    at = WEDNESDAY_10 - timedelta(days=1)
    with time_machine.travel(at, tick=False):
        first = reminders_dispatch()
        second = reminders_dispatch()
    assert (first.sent, second.sent) == (4, 0)
    # Four rows (email and in-app for each party) make one notice per person.
    notices = OutboxMessage.objects.filter(
        channel="notice", dedupe_key__startswith="notice:reminder:"
    ).order_by("recipient")
    assert {(row.recipient, row.dedupe_key) for row in notices} == {
        (str(person.pk), f"notice:reminder:{session.pk}:{person.pk}:1440:{session.sequence}")
        for person in (dana.dana, dana.avi)
    }
    for notice in notices:
        assert notice.payload["kind"] == "session_reminder"
        # Planning moved it out of quiet hours already.
        assert notice.payload["urgent"] is True
        assert notice.payload["email"]["template"] == "scheduling/email/reminder"
        assert f"/sessions/{session.pk}/" in notice.payload["sms"]


def test_email_reminders_turned_off_leave_the_in_app_reminder_only(dana: World) -> None:
    reminder_preferences_update(
        user=dana.avi, quiet_start=None, quiet_end=None, email_reminders=False, sms_reminders=False
    )
    _book(dana)

    _deliver(WEDNESDAY_10 - timedelta(days=1))

    assert _mail_to("avi@example.com") == []
    assert len(_mail_to("dana@example.com")) == 1
    with system_context():
        [notice] = Notification.objects.filter(user=dana.avi, kind="session_reminder")
    assert notice.title == "Reminder: Coaching with Dana Levi"


def test_a_text_message_reminder_goes_to_the_verified_phone(dana: World) -> None:
    from loom.accounts.models import SmsMessageLog

    avi = dana.avi
    avi.phone = "+972501234567"
    avi.phone_verified_at = NOW
    avi.save(update_fields=["phone", "phone_verified_at"])
    ReminderPreferences.objects.create(user=avi, sms_reminders=True)
    session = _book(dana)
    # The worker was down for a day: only the closest reminder goes out.
    _deliver(WEDNESDAY_10 - timedelta(hours=1))
    [text] = SmsMessageLog.objects.filter(to="+972501234567")
    assert "Coaching" in text.body and "5 p.m." in text.body  # Avi's zone, in English
    assert f"/sessions/{session.pk}/" in text.body
    [day_before] = [
        row for row in _rows(session) if row.channel == "sms" and row.offset_minutes == 1440
    ]
    assert (day_before.status, day_before.status_reason) == ("skipped", "superseded")


def test_a_reschedule_moves_pending_reminders_and_replans_sent_ones(dana: World) -> None:
    session = _book(dana)
    _deliver(WEDNESDAY_10 - timedelta(days=1))  # the day-before reminders are sent
    later = WEDNESDAY_10 + timedelta(days=2)  # Friday 10:00 NY
    with time_machine.travel(WEDNESDAY_10 - timedelta(days=1), tick=False):
        session = session_reschedule(actor=dana.dana, session=session, starts_at=later)
    assert {(row.offset_minutes, row.status, row.due_at) for row in _rows(session)} == {
        (1440, "pending", later - timedelta(days=1)),
        (60, "pending", later - timedelta(hours=1)),
    }
    mail.outbox.clear()
    _deliver(WEDNESDAY_10 - timedelta(hours=1))  # the old time: nothing
    assert [m for m in mail.outbox if "Reminder" in m.subject] == []
    _deliver(later - timedelta(days=1))
    assert len([m for m in mail.outbox if "Reminder" in m.subject]) == 2
    assert "Friday" in _mail_to("dana@example.com")[-1].body


def test_a_reschedule_closer_than_an_offset_skips_that_reminder(dana: World) -> None:
    session = _book(dana)
    sooner = utc(2026, 6, 1, 20, 0)  # Monday 16:00 NY, 8 hours ahead
    with time_machine.travel(NOW, tick=False):
        session = session_reschedule(actor=dana.dana, session=session, starts_at=sooner)
    rows = _rows(session)
    assert {(row.status, row.status_reason) for row in rows if row.offset_minutes == 1440} == {
        ("skipped", "past_at_reschedule")
    }
    assert {row.due_at for row in rows if row.offset_minutes == 60} == {sooner - timedelta(hours=1)}


def test_a_cancel_removes_every_pending_reminder(dana: World) -> None:
    session = _book(dana)
    session = session_cancel(actor=dana.avi, session=session, reason="Sick")
    assert {(row.status, row.status_reason) for row in _rows(session)} == {
        ("cancelled", "session_cancelled")
    }
    _deliver(NOW)  # the cancellation emails
    mail.outbox.clear()
    _deliver(WEDNESDAY_10 - timedelta(hours=1))
    assert mail.outbox == []


def test_starting_the_session_cancels_what_is_left(dana: World) -> None:
    CoachSchedulingSettings.objects.update_or_create(
        coach=dana.dana, defaults={"reminder_offsets_minutes": [60, 5]}
    )
    session = _book(dana)
    with time_machine.travel(WEDNESDAY_10 - timedelta(minutes=10), tick=False):
        reminders_dispatch()
        session = session_start(actor=dana.dana, session=session)
    assert {(row.offset_minutes, row.status, row.status_reason) for row in _rows(session)} == {
        (60, "sent", ""),
        (5, "cancelled", "session_started"),
    }


def test_a_reminder_still_pending_after_the_start_is_skipped_not_sent(dana: World) -> None:
    session = _book(dana)
    mail.outbox.clear()
    _deliver(WEDNESDAY_10 + timedelta(minutes=5))  # the worker was down until after the start
    assert {(row.status, row.status_reason) for row in _rows(session)} == {
        ("skipped", "session_started")
    }
    assert mail.outbox == []


def test_dispatch_has_a_bounded_query_count_per_reminder(
    dana: World, django_assert_max_num_queries: Any
) -> None:
    _book(dana)
    with (
        time_machine.travel(WEDNESDAY_10 - timedelta(days=1), tick=False),
        django_assert_max_num_queries(4 * 12),
    ):
        assert reminders_dispatch().sent == 4


# --- Follow-up ---------------------------------------------------------------------------------


def _completed(world: World) -> Session:
    session = _book(world)
    with time_machine.travel(WEDNESDAY_10 + timedelta(minutes=50), tick=False):
        return session_complete(actor=world.dana, session=session)


def test_follow_up_waits_for_the_delay_then_carries_the_summary_and_open_items(
    dana: World, settings: Any
) -> None:
    settings.LOOM_FOLLOWUP_DELAY_MINUTES = 60
    session = _completed(dana)
    done_at = WEDNESDAY_10 + timedelta(minutes=50)
    # Written after completion, before the follow-up is due.
    SessionSummary.objects.create(
        session=session, body="We worked on boundaries.", shared_at=done_at
    )
    SessionPrivateNote.objects.create(session=session, coach=dana.dana, body="PRIVATE-ONLY-NOTE")
    ActionItem.objects.create(
        session=session, coach=dana.dana, client=dana.avi, title="Journal daily"
    )
    ActionItem.objects.create(
        session=session,
        coach=dana.dana,
        client=dana.avi,
        title="Done already",
        completed_at=done_at,
    )
    mail.outbox.clear()
    _deliver(done_at + timedelta(minutes=59))
    assert _mail_to("avi@example.com") == []

    _deliver(done_at + timedelta(minutes=60))
    [followup] = _mail_to("avi@example.com")
    html = followup.alternatives[0][0]
    for text in (followup.body, html, followup.subject):
        assert "PRIVATE-ONLY-NOTE" not in text
    assert "We worked on boundaries." in followup.body and "Journal daily" in followup.body
    assert "Done already" not in followup.body
    assert _mail_to("dana@example.com") == []  # the coach gets no follow-up

    _deliver(done_at + timedelta(hours=3))
    assert len(_mail_to("avi@example.com")) == 1  # once


def test_follow_up_without_a_summary_asks_how_it_went(dana: World) -> None:
    session = _completed(dana)
    SessionPrivateNote.objects.create(session=session, coach=dana.dana, body="PRIVATE-ONLY-NOTE")
    mail.outbox.clear()
    _deliver(WEDNESDAY_10 + timedelta(hours=3))
    [followup] = _mail_to("avi@example.com")
    assert followup.subject.startswith("How did it go?")
    assert "PRIVATE-ONLY-NOTE" not in followup.body
    assert "PRIVATE-ONLY-NOTE" not in followup.alternatives[0][0]


def test_follow_up_leaves_out_a_summary_the_coach_has_not_shared(dana: World) -> None:
    session = _completed(dana)
    SessionSummary.objects.create(session=session, body="DRAFT-NOT-SHARED")
    mail.outbox.clear()
    _deliver(WEDNESDAY_10 + timedelta(hours=3))
    [followup] = _mail_to("avi@example.com")
    assert followup.subject.startswith("How did it go?")
    assert "DRAFT-NOT-SHARED" not in followup.body
    assert "DRAFT-NOT-SHARED" not in followup.alternatives[0][0]


# --- The panel -------------------------------------------------------------------------------


def _panel(user: Any, session: Session) -> str:
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load session_reminders %}{% session_reminders_panel session %}")
    return template.render(Context({"request": request, "session": session}))


def test_panel_shows_the_viewer_their_own_reminders_and_the_coach_each_clients_status(
    dana: World,
) -> None:
    session = _book(dana)
    _deliver(WEDNESDAY_10 - timedelta(days=1))
    as_avi = _panel(dana.avi, session)
    assert "Sent" in as_avi and "Scheduled" in as_avi
    assert "Dana Levi" not in as_avi  # nothing of the coach's own reminders
    assert "Your clients" not in as_avi

    as_dana = _panel(dana.dana, session)
    assert "Avi Mizrahi" in as_dana
    assert "2 of 4 reminders sent" in as_dana
    assert "avi@example.com" not in as_dana

    as_noa = _panel(dana.noa, session)  # not a party: nothing of anyone's
    assert "Avi" not in as_noa and "Sent" not in as_noa


def test_panel_explains_a_skipped_reminder(dana: World) -> None:
    session = _book(dana, starts_at=utc(2026, 6, 1, 15, 0))
    html = _panel(dana.avi, session)
    assert "Skipped" in html
    assert "already passed when the session was booked" in html


def test_panel_on_the_session_pages_of_client_and_coach(dana: World) -> None:
    session = _book(dana)
    _deliver(WEDNESDAY_10 - timedelta(days=1))
    client_page = signed_in(dana.avi).get(f"/client/sessions/{session.pk}/")
    assert client_page.status_code == 200
    html = client_page.content.decode()
    assert 'class="reminders-panel card"' in html
    assert "Your clients" not in html
    coach_page = signed_in(dana.dana).get(f"/coach/sessions/{session.pk}/")
    assert coach_page.status_code == 200
    html = coach_page.content.decode()
    assert "Your clients&#x27; reminders" in html or "Your clients' reminders" in html
    assert "2 of 4 reminders sent" in html


# --- Group sessions --------------------------------------------------------------------------


def test_group_seat_holders_get_reminders_and_a_released_seat_cancels_them(dana: World) -> None:
    from loom.scheduling.group_services import group_session_create, seat_release, seat_take

    kind = session_type(dana.dana, capacity=5, minimum_notice_minutes=0)
    session = group_session_create(actor=dana.dana, session_type=kind, starts_at=WEDNESDAY_10)
    assert {row.recipient_id for row in _rows(session)} == {dana.dana.pk}
    avi_seat = seat_take(actor=dana.avi, session=session)
    seat_take(actor=dana.noa, session=session)
    assert {row.recipient_id for row in _rows(session)} == {dana.dana.pk, dana.avi.pk, dana.noa.pk}

    seat_release(actor=dana.avi, seat=avi_seat)
    avi_rows = [row for row in _rows(session) if row.recipient_id == dana.avi.pk]
    assert {(row.status, row.status_reason) for row in avi_rows} == {("cancelled", "seat_released")}
    noa_rows = [row for row in _rows(session) if row.recipient_id == dana.noa.pk]
    assert {row.status for row in noa_rows} == {"pending"}

    with system_context():
        outbox_drain()
    mail.outbox.clear()
    _deliver(WEDNESDAY_10 - timedelta(hours=1))
    assert _mail_to("avi@example.com") == []
    assert len(_mail_to("noa@example.com")) == 1
    [to_dana] = _mail_to("dana@example.com")
    assert "your group (1 person)" in to_dana.body
    assert "noa@example.com" not in to_dana.body


def test_group_follow_up_goes_to_each_seat_holder(dana: World) -> None:
    from loom.scheduling.group_services import group_session_create, seat_take

    kind = session_type(dana.dana, capacity=5, minimum_notice_minutes=0)
    session = group_session_create(actor=dana.dana, session_type=kind, starts_at=WEDNESDAY_10)
    seat_take(actor=dana.avi, session=session)
    seat_take(actor=dana.noa, session=session)
    with time_machine.travel(WEDNESDAY_10 + timedelta(minutes=50), tick=False):
        session_complete(actor=dana.dana, session=session)
    with system_context():
        outbox_drain()
    mail.outbox.clear()
    _deliver(WEDNESDAY_10 + timedelta(hours=3))
    assert len(_mail_to("avi@example.com")) == 1
    assert len(_mail_to("noa@example.com")) == 1
    assert _mail_to("dana@example.com") == []


def test_the_worker_command_queues_due_reminders_once(dana: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    session = _book(dana)
    out = StringIO()
    with time_machine.travel(WEDNESDAY_10 - timedelta(hours=1), tick=False):
        call_command("reminders_dispatch", stdout=out)
        call_command("reminders_dispatch", stdout=out)
    assert out.getvalue().splitlines() == [
        "Reminders: sent 4, skipped 4, failed 0.",
        "Reminders: sent 0, skipped 0, failed 0.",
    ]
    assert {row.status for row in _rows(session) if row.offset_minutes == 60} == {"sent"}


def test_follow_up_is_in_the_clients_language_and_zone(dana: World) -> None:
    session = _book(dana, client=dana.noa)  # Hebrew, Jerusalem
    with time_machine.travel(WEDNESDAY_10 + timedelta(minutes=50), tick=False):
        session_complete(actor=dana.dana, session=session)
    _deliver(WEDNESDAY_10 + timedelta(hours=3))
    [followup] = _mail_to("noa@example.com")
    assert followup.extra_headers["Content-Language"] == "he"
    assert HEBREW.search(followup.body)
    assert "17:00" in followup.body
    assert f"/sessions/{session.pk}/" in followup.body
    # Told in Loom too, once, in Hebrew.
    with system_context():
        [notice] = Notification.objects.filter(user=dana.noa, kind="session_followup")
    assert notice.source == f"followup-email:{session.pk}:{dana.noa.pk}"
    assert HEBREW.search(notice.title)
    assert notice.url == f"/sessions/{session.pk}/"


def test_panel_after_a_cancellation_says_why_for_each_reminder(dana: World) -> None:
    session = _book(dana)
    session = session_cancel(actor=dana.dana, session=session, reason="Away")
    as_avi = _panel(dana.avi, session)
    assert as_avi.count("The session was cancelled.") == 4
    as_dana = _panel(dana.dana, session)
    assert "No reminders planned" in as_dana


def test_a_reminder_skipped_at_booking_comes_back_when_the_session_moves_later(
    dana: World,
) -> None:
    session = _book(dana, starts_at=utc(2026, 6, 1, 15, 0))  # 3 hours ahead
    assert {row.status for row in _rows(session) if row.offset_minutes == 1440} == {"skipped"}
    with time_machine.travel(NOW, tick=False):
        session = session_reschedule(actor=dana.dana, session=session, starts_at=WEDNESDAY_10)
    assert {(row.status, row.due_at) for row in _rows(session) if row.offset_minutes == 1440} == {
        ("pending", WEDNESDAY_10 - timedelta(days=1))
    }


def test_a_rolled_back_booking_plans_no_reminders(dana: World) -> None:
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        _book(dana)
        raise RuntimeError
    with system_context():
        assert not Reminder.objects.exists()


def test_changing_the_coachs_reminder_times_replans_upcoming_sessions(dana: World) -> None:
    from loom.scheduling.services import scheduling_settings_update

    session = _book(dana)
    before = set(
        Reminder.objects.filter(session=session, status="pending").values_list(
            "offset_minutes", flat=True
        )
    )
    scheduling_settings_update(coach=dana.dana, reminder_offsets_minutes=[120])
    after = set(
        Reminder.objects.filter(session=session, status="pending").values_list(
            "offset_minutes", flat=True
        )
    )
    assert before == {1440, 60}
    assert after == {120}

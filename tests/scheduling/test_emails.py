"""Booking notifications: each party's email, in their language and zone, with a calendar file.

The other party is told through a notice carrying the email; the person who made the
change gets the email as a receipt (tests/scheduling/told.py reads both).
"""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from typing import Any

import icalendar
import pytest
import time_machine
from django.db import transaction
from django.utils import translation

from loom.accounts.models import User
from loom.core.models import OutboxMessage
from loom.scheduling.emails import session_notify
from loom.scheduling.models import BookingMode, Session, SessionEvent
from loom.scheduling.services import (
    session_approve,
    session_book,
    session_cancel,
    session_decline,
    session_reschedule,
)
from tests.scheduling.support import hours, session_type, utc
from tests.scheduling.told import Told, emails_to, notices_to
from tests.smtp import SmtpServer
from tests.world import World

pytestmark = pytest.mark.django_db

HEBREW = re.compile(r"[\u0590-\u05FF]")
# Monday 2026-06-01, 08:00 in New York.
NOW = utc(2026, 6, 1, 12, 0)
# Tuesday 2026-06-02 14:00 UTC: 10:00 in New York (Dana), 17:00 in Jerusalem (Noa).
TUESDAY_10 = utc(2026, 6, 2, 14, 0)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dana(world: World, clock: Any) -> World:
    hours(world.dana, "09:00", "17:00", days=range(5))
    return world


def _book(world: World, starts_at: Any = TUESDAY_10, **kwargs: Any) -> Session:
    return session_book(
        actor=kwargs.pop("actor", world.noa),
        coach=world.dana,
        client=world.noa,
        session_type=kwargs.pop("kind", None) or session_type(world.dana),
        starts_at=starts_at,
    )


def _emails_to(user: User) -> list[Told]:
    return emails_to(user)


def _calendar(message: Told) -> icalendar.Calendar:
    [attachment] = message.payload["attachments"]
    assert attachment["filename"].endswith(".ics")
    return icalendar.Calendar.from_ical(base64.b64decode(attachment["content"]))


def _event(calendar: icalendar.Calendar) -> Any:
    [event] = calendar.walk("VEVENT")
    return event


def _he(text: str) -> str:
    with translation.override("he"):
        return translation.gettext(text)


def test_booking_emails_both_parties_in_their_own_language_and_zone(dana: World) -> None:
    session = _book(dana)

    [to_noa] = _emails_to(dana.noa)
    [to_dana] = _emails_to(dana.dana)
    # Noa reads Hebrew in Jerusalem: 17:00 her time, with Dana's 10 a.m. alongside.
    assert to_noa.payload["language"] == "he"
    assert HEBREW.search(to_noa.payload["subject"]), to_noa.payload["subject"]
    assert (
        _he("You booked a session with %(other)s.") % {"other": "Dana Levi"}
        in (to_noa.payload["text"])
    )
    assert "17:00" in to_noa.payload["text"]
    # In Hebrew the zone names (and hours) are left-to-right isolates.
    assert "(\u2066Asia/Jerusalem\u2069)" in to_noa.payload["text"]
    assert "(\u2066America/New_York\u2069)" in to_noa.payload["text"]
    assert '<html lang="he" dir="rtl">' in to_noa.payload["html"]
    # Dana reads English in New York, in her own zone only.
    assert to_dana.payload["language"] == "en"
    assert to_dana.payload["subject"] == "Session booked: Coaching with Noa Peretz"
    assert "Noa Peretz booked a session with you." in to_dana.payload["text"]
    assert "Tuesday, June 2, 2026, 10 a.m.–11 a.m. (America/New_York)" in to_dana.payload["text"]
    assert "Jerusalem" not in to_dana.payload["text"]
    # Each calendar file: METHOD REQUEST, the session's UID and sequence, only the recipient.
    for message, recipient in ((to_noa, dana.noa), (to_dana, dana.dana)):
        calendar = _calendar(message)
        event = _event(calendar)
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == session.uid
        assert int(event["SEQUENCE"]) == session.sequence
        assert event.decoded("DTSTART") == session.starts_at
        assert event.decoded("DTEND") == session.ends_at
        attendees = event.get("ATTENDEE")
        attendees = attendees if isinstance(attendees, list) else [attendees]
        assert [str(a) for a in attendees] == [f"mailto:{recipient.email}"]


def test_reschedule_sends_the_same_uid_with_a_higher_sequence_and_the_new_time(
    dana: World,
) -> None:
    session = _book(dana)
    first = _event(_calendar(_emails_to(dana.noa)[0]))
    new_start = TUESDAY_10 + timedelta(days=1, hours=1)

    moved = session_reschedule(
        actor=dana.dana, session=session, starts_at=new_start, reason="A workshop came up"
    )

    _booked, rescheduled = _emails_to(dana.noa)
    calendar = _calendar(rescheduled)
    event = _event(calendar)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == str(first["UID"]) == session.uid
    assert int(event["SEQUENCE"]) > int(first["SEQUENCE"])
    assert int(event["SEQUENCE"]) == moved.sequence
    stored = Session.objects.get(pk=session.pk)
    assert event.decoded("DTSTART") == stored.starts_at == new_start
    # The text shows the old and the new time, and the reason.
    assert "A workshop came up" in rescheduled.payload["text"]
    assert "17:00" in rescheduled.payload["text"] and "18:00" in rescheduled.payload["text"]
    [_dana_booked, to_dana] = _emails_to(dana.dana)
    assert to_dana.payload["subject"] == "Session moved: Coaching with Noa Peretz"
    assert "You moved your session with Noa Peretz." in to_dana.payload["text"]


def test_cancel_sends_method_cancel_to_both_parties(dana: World) -> None:
    session = _book(dana)
    session_cancel(actor=dana.dana, session=session, reason="I am ill")

    for recipient in (dana.noa, dana.dana):
        cancelled = _emails_to(recipient)[-1]
        calendar = _calendar(cancelled)
        event = _event(calendar)
        assert str(calendar["METHOD"]) == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == session.uid
        assert "I am ill" in cancelled.payload["text"]
    assert "late cancellation" not in _emails_to(dana.dana)[-1].payload["text"]


def test_late_client_cancellation_is_pointed_out_to_the_coach(dana: World, clock: Any) -> None:
    session = _book(dana)
    clock.move_to(session.starts_at - timedelta(hours=2))

    session_cancel(actor=dana.noa, session=session, reason="")

    to_dana = _emails_to(dana.dana)[-1]
    assert "Noa Peretz cancelled your session." in to_dana.payload["text"]
    assert "This is a late cancellation" in to_dana.payload["text"]
    assert "late cancellation" in to_dana.payload["html"]
    to_noa = _emails_to(dana.noa)[-1]
    assert (
        _he("This counts as a late cancellation under your coach's cancellation policy.")
        in to_noa.payload["text"]
    )


def test_request_asks_the_coach_and_a_decline_tells_the_client_with_the_reason(
    dana: World,
) -> None:
    kind = session_type(dana.dana, booking_mode=BookingMode.REQUEST)
    session = _book(dana, kind=kind)

    [to_dana] = _emails_to(dana.dana)
    [to_noa] = _emails_to(dana.noa)
    assert to_dana.payload["subject"] == "Approval needed: Coaching with Noa Peretz"
    # Nothing is settled yet: no calendar file.
    assert "attachments" not in to_dana.payload
    assert "attachments" not in to_noa.payload

    session_decline(actor=dana.dana, session=session, reason="Fully booked that week")

    declined = _emails_to(dana.noa)[-1]
    assert "Fully booked that week" in declined.payload["text"]
    assert str(_calendar(declined)["METHOD"]) == "CANCEL"
    # The coach who declined is not emailed about it.
    assert len(_emails_to(dana.dana)) == 1


def test_approval_sends_a_calendar_request_to_both_parties(dana: World) -> None:
    kind = session_type(dana.dana, booking_mode=BookingMode.REQUEST)
    session = _book(dana, kind=kind)

    approved = session_approve(actor=dana.dana, session=session)

    for recipient in (dana.noa, dana.dana):
        event = _event(_calendar(_emails_to(recipient)[-1]))
        assert str(event["UID"]) == session.uid
        assert int(event["SEQUENCE"]) == approved.sequence == 1


def test_a_rolled_back_booking_sends_nothing(dana: World) -> None:
    kind = session_type(dana.dana)
    with pytest.raises(RuntimeError), transaction.atomic():
        _book(dana, kind=kind)
        assert OutboxMessage.objects.count() == 2
        raise RuntimeError("the request failed after the booking")

    assert OutboxMessage.objects.count() == 0
    assert not Session.objects.exists()


def test_notifying_the_same_change_twice_queues_each_email_once(dana: World) -> None:
    session = _book(dana)
    event = SessionEvent.objects.get(session=session)

    first = {told.source for told in emails_to(dana.noa) + emails_to(dana.dana)}

    again = session_notify(session=session, event=event)

    assert OutboxMessage.objects.count() == 2
    assert set(again) == first


def test_booking_email_with_calendar_reaches_a_real_smtp_server(
    dana: World, mail_via_smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    kind = session_type(dana.dana)
    with django_capture_on_commit_callbacks(execute=True):
        session = _book(dana, kind=kind)
    messages = mail_via_smtp.wait_for(2)

    [to_noa] = [message for message in messages if message["To"] == dana.noa.email]
    assert to_noa["Content-Language"] == "he"
    assert HEBREW.search(to_noa["Subject"])
    [ics] = list(to_noa.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_param("method") == "REQUEST"
    calendar = icalendar.Calendar.from_ical(ics.get_content())
    event = _event(calendar)
    assert str(event["UID"]) == session.uid
    assert event.decoded("DTSTART") == session.starts_at
    assert "17:00" in to_noa.get_body(("plain",)).get_content()


def test_hebrew_times_keep_their_hours_left_to_right() -> None:
    from zoneinfo import ZoneInfo

    from django.utils import translation

    from loom.scheduling.emails import format_when

    zone = ZoneInfo("Asia/Jerusalem")
    starts, ends = utc(2026, 6, 2, 14, 0), utc(2026, 6, 2, 15, 0)
    with translation.override("he"):
        hebrew = format_when(starts, ends, zone)
    with translation.override("en"):
        english = format_when(starts, ends, zone)
    # Without the isolate a right-to-left paragraph shows "18:00–17:00".
    assert "\u206617:00–18:00\u2069" in hebrew
    assert "(\u2066Asia/Jerusalem\u2069)" in hebrew
    assert "\u2066" not in english


# --- Notices ----------------------------------------------------------------------------


def test_the_other_party_gets_one_notice_and_the_booker_a_receipt(dana: World) -> None:
    session = _book(dana)
    event = SessionEvent.objects.get(session=session)

    [notice] = notices_to(dana.dana)
    assert notice["kind"] == "session_booked"
    assert notice["source"] == f"session:{session.pk}:event:{event.pk}:user:{dana.dana.pk}"
    assert notice["title"] == "Session booked: Coaching with Noa Peretz"
    assert notice["body"].startswith("Noa Peretz booked a session with you.")
    assert notice["url"] == f"/sessions/{session.pk}/"
    assert notice["urgent"] is False
    assert notice["email"]["subject"] == notice["title"]
    # Noa booked it herself: her email is a receipt, not a notification.
    assert notices_to(dana.noa) == []
    [receipt] = emails_to(dana.noa)
    assert receipt.notice is None
    assert receipt.row.channel == "email"


def test_each_change_is_told_to_the_other_party_as_its_kind_in_their_language(
    dana: World,
) -> None:
    kind = session_type(dana.dana, booking_mode=BookingMode.REQUEST)
    requested = _book(dana, kind=kind)
    session_approve(actor=dana.dana, session=requested)
    session_reschedule(actor=dana.dana, session=requested, starts_at=TUESDAY_10 + timedelta(days=1))
    session_cancel(actor=dana.dana, session=requested, reason="")
    declined = _book(dana, kind=kind, starts_at=TUESDAY_10 + timedelta(days=2))
    session_decline(actor=dana.dana, session=declined, reason="Away")

    assert [n["kind"] for n in notices_to(dana.dana)] == ["session_booked", "session_booked"]
    to_noa = notices_to(dana.noa)
    assert [n["kind"] for n in to_noa] == [
        "session_approved",
        "session_rescheduled",
        "session_cancelled",
        "session_cancelled",
    ]
    # Noa reads Hebrew: the in-app words as well as the email.
    for notice in to_noa:
        assert HEBREW.search(notice["title"]), notice["title"]
        assert notice["email"]["language"] == "he"
    assert to_noa[0]["title"] == _he("Session confirmed: %(type)s with %(other)s") % {
        "type": "Coaching",
        "other": "Dana Levi",
    }
    # Every source is distinct: each change is told once.
    assert len({n["source"] for n in to_noa}) == 4


def test_a_cancellation_within_a_day_is_urgent_and_a_later_one_is_not(
    dana: World, clock: Any
) -> None:
    soon = _book(dana)
    later = _book(dana, starts_at=TUESDAY_10 + timedelta(days=3))
    clock.move_to(soon.starts_at - timedelta(hours=23))

    session_cancel(actor=dana.noa, session=soon, reason="")
    session_cancel(actor=dana.noa, session=later, reason="")

    urgent, not_urgent = notices_to(dana.dana, kind="session_cancelled")
    assert urgent["source"].startswith(f"session:{soon.pk}:")
    assert urgent["urgent"] is True
    assert not_urgent["urgent"] is False


def test_an_administrator_change_is_told_to_both_parties(dana: World) -> None:
    session = _book(dana)
    admin = dana.admin

    session_cancel(actor=admin, session=session, reason="")

    for person in (dana.dana, dana.noa):
        [cancelled] = notices_to(person, kind="session_cancelled")
        assert cancelled["email"]["attachments"][0]["filename"] == "cancel.ics"


def test_email_turned_off_for_a_kind_leaves_the_in_app_notice_only(
    dana: World, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    from loom.notifications.models import ChannelChoice, Notification

    ChannelChoice.objects.create(
        user=dana.dana, kind="session_booked", channel="email", enabled=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        session = _book(dana)

    [notification] = Notification.objects.filter(user=dana.dana)
    assert notification.kind == "session_booked"
    assert notification.title == "Session booked: Coaching with Noa Peretz"
    assert notification.url == f"/sessions/{session.pk}/"
    # Only Noa's receipt was mailed.
    assert [message.to for message in mail.outbox] == [[dana.noa.email]]


def test_a_notice_email_reaches_a_real_smtp_server_with_its_calendar_file(
    dana: World, mail_via_smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        session = _book(dana)
    messages = mail_via_smtp.wait_for(2)

    [to_dana] = [message for message in messages if message["To"] == dana.dana.email]
    assert to_dana["Subject"] == "Session booked: Coaching with Noa Peretz"
    [ics] = list(to_dana.iter_attachments())
    assert ics.get_param("method") == "REQUEST"
    assert str(_event(icalendar.Calendar.from_ical(ics.get_content()))["UID"]) == session.uid
    assert "Noa Peretz booked a session with you." in to_dana.get_body(("plain",)).get_content()

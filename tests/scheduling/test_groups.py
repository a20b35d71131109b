"""Group sessions: creating them, seats, the waitlist, emails per person, privacy.

Runs on SQLite and PostgreSQL; the concurrency and row-level security proofs are in
``test_groups_postgres.py``. Times are explicit: ``now=`` or a frozen clock.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO

import icalendar
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.http import Http404
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from loom.accounts.models import CoachClient, User
from loom.core.errors import Conflict, DomainError, Forbidden, NotFound
from loom.core.models import OutboxMessage
from loom.scheduling import group_services, selectors
from loom.scheduling.group_selectors import (
    client_group_sessions,
    coach_group_sessions,
    group_panel_for,
)
from loom.scheduling.group_services import SessionFull
from loom.scheduling.models import (
    Reminder,
    SeatStatus,
    Session,
    SessionEvent,
    SessionEventKind,
    SessionSeat,
    SessionStatus,
    SessionType,
    WaitlistStatus,
)
from loom.scheduling.services import (
    InvalidTransition,
    SlotUnavailable,
    session_book,
    session_cancel,
    session_reschedule,
)
from tests.factories import ClientFactory
from tests.scheduling.support import hours, session_type, utc
from tests.scheduling.told import Told, emails_to, notices_to
from tests.world import World

HEBREW = re.compile(r"[\u0590-\u05FF]")

NOW = utc(2026, 6, 1, 12, 0)  # Monday
SLOT = utc(2026, 6, 2, 14, 0)  # Tuesday 10:00 New York, 26 hours ahead


@dataclass
class Group:
    world: World
    kind: SessionType
    session: Session
    extra: list[User]


def _client_of_dana(world: World, name: str) -> User:
    client = ClientFactory(full_name=name)
    CoachClient.objects.create(coach=world.dana, client=client)
    return client


@pytest.fixture
def group(world: World) -> Iterator[Group]:
    """Dana's group session of two seats at SLOT; two more clients of hers."""
    hours(world.dana, days=range(5))
    kind = session_type(world.dana, name_en="Circle", capacity=2)
    with time_machine.travel(NOW, tick=False):
        session = group_services.group_session_create(
            actor=world.dana, session_type=kind, starts_at=SLOT
        )
        extra = [_client_of_dana(world, "Gil Third"), _client_of_dana(world, "Tal Fourth")]
        yield Group(world=world, kind=kind, session=session, extra=extra)


def _emails(user: User) -> list[Told]:
    return emails_to(user)


def _calendar(message: Told) -> icalendar.Calendar:
    [attachment] = message.payload["attachments"]
    return icalendar.Calendar.from_ical(base64.b64decode(attachment["content"]))


def _fill(group: Group) -> tuple[SessionSeat, SessionSeat]:
    w = group.world
    return (
        group_services.seat_take(actor=w.avi, session=group.session),
        group_services.seat_take(actor=w.noa, session=group.session),
    )


# --- Creating ------------------------------------------------------------------------------


def test_coach_creates_group_session_that_holds_her_time(group: Group) -> None:
    session = group.session
    assert session.client is None
    assert session.capacity == 2
    assert session.status == SessionStatus.SCHEDULED
    assert session.ends_at - session.starts_at == timedelta(hours=1)
    assert session.meeting_url.startswith("https://")  # a video type gets its room
    assert list(session.events.values_list("kind", flat=True)) == [SessionEventKind.BOOKED]
    [to_dana] = _emails(group.world.dana)
    assert to_dana.payload["subject"] == "Group session created: Circle"
    assert str(_calendar(to_dana)["METHOD"]) == "REQUEST"
    # A one-to-one booking at the same time is refused: the coach is busy.
    one_to_one = session_type(group.world.dana, name_en="Solo")
    with pytest.raises(Conflict) as refused:
        session_book(
            actor=group.world.avi,
            coach=group.world.dana,
            client=group.world.avi,
            session_type=one_to_one,
            starts_at=SLOT,
        )
    assert refused.value.code == "slot_taken"


def test_group_session_follows_the_slot_rules_and_the_coach_only(group: Group) -> None:
    w = group.world
    with pytest.raises(SlotUnavailable):  # 03:00 New York: outside her hours
        group_services.group_session_create(
            actor=w.dana, session_type=group.kind, starts_at=utc(2026, 6, 3, 7, 0)
        )
    with pytest.raises(DomainError) as one_seat:
        group_services.group_session_create(
            actor=w.dana,
            session_type=session_type(w.dana, name_en="Solo"),
            starts_at=utc(2026, 6, 3, 14, 0),
        )
    assert one_seat.value.code == "not_a_group_type"
    with pytest.raises(Forbidden):
        group_services.group_session_create(
            actor=w.avi, session_type=group.kind, starts_at=utc(2026, 6, 3, 14, 0)
        )
    with pytest.raises(NotFound):
        group_services.group_session_create(
            actor=w.eli, session_type=group.kind, starts_at=utc(2026, 6, 3, 14, 0)
        )
    assert Session.objects.count() == 1


# --- Seats ---------------------------------------------------------------------------------


def test_seats_until_full_then_a_clear_conflict(group: Group) -> None:
    avi_seat, noa_seat = _fill(group)
    assert {avi_seat.client_id, noa_seat.client_id} == {group.world.avi.pk, group.world.noa.pk}
    with pytest.raises(SessionFull) as full:
        group_services.seat_take(actor=group.extra[0], session=group.session)
    assert full.value.status == 409
    assert full.value.code == "session_full"
    assert "join the waitlist" in str(full.value)
    assert SessionSeat.objects.filter(status=SeatStatus.TAKEN).count() == 2


def test_seat_refusals_change_nothing(group: Group) -> None:
    w = group.world
    group_services.seat_take(actor=w.avi, session=group.session)
    with pytest.raises(Conflict) as twice:
        group_services.seat_take(actor=w.avi, session=group.session)
    assert twice.value.code == "already_seated"
    with pytest.raises(Forbidden):  # Eli's client
        group_services.seat_take(actor=w.maya, session=group.session)
    with pytest.raises(Forbidden):  # the coach
        group_services.seat_take(actor=w.dana, session=group.session)
    with pytest.raises(InvalidTransition):  # started
        group_services.seat_take(actor=w.noa, session=group.session, now=SLOT)
    assert SessionSeat.objects.count() == 1


def test_seat_take_emails_that_person_only_with_the_sessions_calendar_event(
    group: Group,
) -> None:
    w = group.world
    before = OutboxMessage.objects.count()
    seat = group_services.seat_take(actor=w.avi, session=group.session)
    [to_avi] = _emails(w.avi)
    assert OutboxMessage.objects.count() == before + 1
    session = Session.objects.get(pk=group.session.pk)
    event = _calendar(to_avi).walk("VEVENT")[0]
    assert str(event["UID"]) == session.uid
    assert int(event["SEQUENCE"]) == session.sequence
    # Only Avi is an attendee in his file: nobody else's address.
    assert str(event["ATTENDEE"]).lower() == "mailto:avi@example.com"
    assert seat.session.events.filter(kind=SessionEventKind.SEAT_TAKEN, actor=w.avi).exists()


def test_one_release_frees_one_seat_and_touches_nobody_else(group: Group) -> None:
    w = group.world
    avi_seat, noa_seat = _fill(group)
    noa_before = SessionSeat.objects.get(pk=noa_seat.pk)
    noa_emails = len(_emails(w.noa))
    dana_emails = len(_emails(w.dana))
    reminders_before = list(
        Reminder.objects.filter(recipient=w.noa)
        .order_by("id")
        .values_list("id", "status", "due_at")
    )
    assert reminders_before, "Noa's seat plans her reminders"
    assert Reminder.objects.filter(recipient=w.avi, status="pending").exists()

    released = group_services.seat_release(actor=w.avi, seat=avi_seat, reason="Travel")

    assert released.status == SeatStatus.CANCELLED
    assert released.late_cancellation is False  # 26 hours ahead, cutoff 24
    noa_after = SessionSeat.objects.get(pk=noa_seat.pk)
    assert (noa_after.status, noa_after.updated_at) == (noa_before.status, noa_before.updated_at)
    assert len(_emails(w.noa)) == noa_emails
    assert (
        list(
            Reminder.objects.filter(recipient=w.noa)
            .order_by("id")
            .values_list("id", "status", "due_at")
        )
        == reminders_before
    )
    assert not Reminder.objects.filter(recipient=w.avi, status="pending").exists()
    # Avi: a calendar cancellation of the same event; Dana: told, without a file.
    to_avi = _emails(w.avi)[-1]
    calendar = _calendar(to_avi)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["UID"]) == group.session.uid
    [to_dana] = _emails(w.dana)[dana_emails:]
    assert to_dana.payload.get("attachments", []) == []
    assert "Avi Mizrahi gave up their seat" in to_dana.payload["text"]
    assert "1 of 2 seats are taken" in to_dana.payload["text"]
    # The seat is free again.
    group_services.seat_take(actor=group.extra[0], session=group.session)


def test_release_inside_the_cutoff_is_late(group: Group) -> None:
    avi_seat, _noa_seat = _fill(group)
    released = group_services.seat_release(
        actor=group.world.avi, seat=avi_seat, now=SLOT - timedelta(hours=2)
    )
    assert released.late_cancellation is True
    to_dana = _emails(group.world.dana)[-1]
    assert "late cancellation" in to_dana.payload["text"]


def test_release_of_someone_elses_seat_is_not_found(group: Group) -> None:
    avi_seat, _noa_seat = _fill(group)
    with pytest.raises(NotFound):
        group_services.seat_release(actor=group.world.noa, seat=avi_seat)
    group_services.seat_release(actor=group.world.avi, seat=avi_seat)
    with pytest.raises(Conflict):
        group_services.seat_release(actor=group.world.avi, seat=avi_seat)


def test_release_reason_is_checked(group: Group) -> None:
    avi_seat, _noa_seat = _fill(group)
    for reason in ("x" * 1001, "bad\x00byte"):
        with pytest.raises(ValidationError):
            group_services.seat_release(actor=group.world.avi, seat=avi_seat, reason=reason)
    assert SessionSeat.objects.get(pk=avi_seat.pk).status == SeatStatus.TAKEN


# --- Waitlist ------------------------------------------------------------------------------


def test_waitlist_offer_accept_and_expire_in_order(group: Group) -> None:
    w = group.world
    gil, tal = group.extra
    with pytest.raises(Conflict) as not_full:
        group_services.waitlist_join(actor=gil, session=group.session)
    assert not_full.value.code == "not_full"
    avi_seat, _noa_seat = _fill(group)
    gil_entry = group_services.waitlist_join(actor=gil, session=group.session)
    tal_entry = group_services.waitlist_join(actor=tal, session=group.session)
    with pytest.raises(Conflict):
        group_services.waitlist_join(actor=gil, session=group.session)

    freed_at = NOW + timedelta(hours=1)
    group_services.seat_release(actor=w.avi, seat=avi_seat, now=freed_at)
    gil_entry.refresh_from_db()
    tal_entry.refresh_from_db()
    assert gil_entry.status == WaitlistStatus.OFFERED
    assert gil_entry.offer_expires_at == freed_at + timedelta(hours=12)
    assert tal_entry.status == WaitlistStatus.WAITING
    [offer] = _emails(gil)
    assert offer.payload["subject"] == "A seat is free for you: Circle"
    assert f"/client/groups/{group.session.pk}/" in offer.payload["text"]
    # The offered seat is held: nobody else can take it, even Tal at the head now.
    with pytest.raises(SessionFull):
        group_services.seat_take(actor=tal, session=group.session, now=freed_at)
    with pytest.raises(NotFound):
        group_services.waitlist_accept(actor=tal, session=group.session, now=freed_at)

    # Not accepted in time: expires, and Tal is offered the seat.
    late = gil_entry.offer_expires_at + timedelta(minutes=1)
    assert group_services.waitlist_expire_offers(now=late) == 1
    assert group_services.waitlist_expire_offers(now=late) == 0  # safe to run twice
    gil_entry.refresh_from_db()
    tal_entry.refresh_from_db()
    assert gil_entry.status == WaitlistStatus.EXPIRED
    assert tal_entry.status == WaitlistStatus.OFFERED
    with pytest.raises(Conflict):
        group_services.waitlist_accept(actor=gil, session=group.session, now=late)

    seat = group_services.waitlist_accept(actor=tal, session=group.session, now=late)
    tal_entry.refresh_from_db()
    assert seat.status == SeatStatus.TAKEN
    assert tal_entry.status == WaitlistStatus.ACCEPTED
    assert SessionSeat.objects.filter(status=SeatStatus.TAKEN).count() == 2


def test_offer_never_lasts_past_the_start(group: Group) -> None:
    avi_seat, _noa_seat = _fill(group)
    entry = group_services.waitlist_join(actor=group.extra[0], session=group.session)
    group_services.seat_release(actor=group.world.avi, seat=avi_seat, now=SLOT - timedelta(hours=3))
    entry.refresh_from_db()
    assert entry.offer_expires_at == SLOT


def test_declining_an_offer_passes_it_on(group: Group) -> None:
    gil, tal = group.extra
    avi_seat, _noa_seat = _fill(group)
    group_services.waitlist_join(actor=gil, session=group.session)
    tal_entry = group_services.waitlist_join(actor=tal, session=group.session)
    group_services.seat_release(actor=group.world.avi, seat=avi_seat)
    left = group_services.waitlist_leave(actor=gil, session=group.session)
    assert left.status == WaitlistStatus.LEFT
    tal_entry.refresh_from_db()
    assert tal_entry.status == WaitlistStatus.OFFERED
    with pytest.raises(NotFound):
        group_services.waitlist_leave(actor=gil, session=group.session)


def test_archived_client_on_the_waitlist_is_skipped(group: Group) -> None:
    gil, tal = group.extra
    avi_seat, _noa_seat = _fill(group)
    gil_entry = group_services.waitlist_join(actor=gil, session=group.session)
    tal_entry = group_services.waitlist_join(actor=tal, session=group.session)
    CoachClient.objects.filter(client=gil).update(status=CoachClient.Status.ARCHIVED)
    group_services.seat_release(actor=group.world.avi, seat=avi_seat)
    gil_entry.refresh_from_db()
    tal_entry.refresh_from_db()
    assert (gil_entry.status, tal_entry.status) == (WaitlistStatus.LEFT, WaitlistStatus.OFFERED)


# --- The coach moves or cancels the whole session ---------------------------------------------


def test_coach_reschedule_and_cancel_tell_every_seat_holder(group: Group) -> None:
    w = group.world
    avi_seat, noa_seat = _fill(group)
    before = {user.pk: len(_emails(user)) for user in (w.avi, w.noa, w.dana)}
    moved = session_reschedule(
        actor=w.dana, session=group.session, starts_at=SLOT + timedelta(hours=2)
    )
    for user in (w.avi, w.noa, w.dana):
        [message] = _emails(user)[before[user.pk] :]
        calendar = _calendar(message)
        assert str(calendar["METHOD"]) == "REQUEST"
        assert int(calendar.walk("VEVENT")[0]["SEQUENCE"]) == moved.sequence
    # Seats move with the session.
    assert (
        SessionSeat.objects.filter(pk__in=[avi_seat.pk, noa_seat.pk], status="taken").count() == 2
    )
    cancelled = session_cancel(actor=w.dana, session=moved, reason="Ill")
    assert cancelled.late_cancellation is False
    for user in (w.avi, w.noa):
        assert str(_calendar(_emails(user)[-1])["METHOD"]) == "CANCEL"
    with pytest.raises(InvalidTransition):
        group_services.seat_take(actor=group.extra[0], session=cancelled)


def test_a_seat_holder_cannot_move_or_cancel_the_group_session(group: Group) -> None:
    _fill(group)
    with pytest.raises(NotFound):
        session_cancel(actor=group.world.avi, session=group.session)


# --- Privacy and reads -------------------------------------------------------------------------


def test_no_email_to_an_attendee_names_another(group: Group) -> None:
    w = group.world
    avi_seat, _noa_seat = _fill(group)
    session_reschedule(actor=w.dana, session=group.session, starts_at=SLOT + timedelta(hours=2))
    group_services.seat_release(actor=w.avi, seat=avi_seat)
    for message in _emails(w.avi):
        blob = str(message.payload)
        assert "Noa" not in blob and "noa@example.com" not in blob
    for message in _emails(w.noa):
        blob = str(message.payload)
        assert "Avi" not in blob and "avi@example.com" not in blob


def test_seat_holders_find_the_session_through_the_shared_selectors(group: Group) -> None:
    w = group.world
    avi_seat, _noa_seat = _fill(group)
    assert selectors.get_session_for_user(w.avi, group.session.pk) == group.session
    assert group.session in selectors.upcoming_sessions_for_user(w.avi)
    with pytest.raises(Http404):
        selectors.get_session_for_user(group.extra[0], group.session.pk)
    group_services.seat_release(actor=w.avi, seat=avi_seat)
    with pytest.raises(Http404):
        selectors.get_session_for_user(w.avi, group.session.pk)
    assert group.session not in selectors.upcoming_sessions_for_user(w.avi)


def test_client_panel_has_numbers_only_and_coach_panel_has_names(group: Group) -> None:
    w = group.world
    _fill(group)
    panel = group_panel_for(w.avi, group.session)
    assert panel is not None and not panel.viewer_is_coach
    assert (panel.counts.taken, panel.counts.places_left) == (2, 0)
    assert panel.seats == [] and panel.waitlist == []
    assert panel.my_seat is not None
    coach_panel = group_panel_for(w.dana, group.session)
    assert coach_panel is not None and coach_panel.viewer_is_coach
    assert {seat.client.full_name for seat in coach_panel.seats} == {"Avi Mizrahi", "Noa Peretz"}
    assert group_panel_for(w.maya, group.session) is None
    assert group_panel_for(w.eli, group.session) is None


def test_group_lists_have_constant_queries(group: Group) -> None:
    w = group.world
    _fill(group)

    def count(read: object) -> int:
        with CaptureQueriesContext(connection) as queries:
            read()  # type: ignore[operator]
        return len(queries)

    coach_one = count(lambda: coach_group_sessions(w.dana))
    client_one = count(lambda: client_group_sessions(w.avi))
    for day in (3, 4, 5):
        group_services.group_session_create(
            actor=w.dana, session_type=group.kind, starts_at=utc(2026, 6, day, 14, 0)
        )
    assert len(coach_group_sessions(w.dana)) == 4
    rows = client_group_sessions(w.avi)
    assert len(rows) == 4 and rows[0].my_seat is not None
    assert count(lambda: coach_group_sessions(w.dana)) == coach_one
    assert count(lambda: client_group_sessions(w.avi)) == client_one


def test_history_records_seat_events(group: Group) -> None:
    avi_seat, _ = _fill(group)
    group_services.seat_release(actor=group.world.avi, seat=avi_seat)
    kinds = list(SessionEvent.objects.filter(session=group.session).values_list("kind", flat=True))
    assert kinds == ["booked", "seat_taken", "seat_taken", "seat_released"]


def test_offer_reaches_the_person_in_their_language_zone_and_in_loom(group: Group) -> None:
    w = group.world
    gil = group.extra[0]
    gil.language, gil.timezone = "he", "Asia/Jerusalem"
    gil.save(update_fields=["language", "timezone"])
    avi_seat, _noa_seat = _fill(group)
    group_services.waitlist_join(actor=gil, session=group.session)
    group_services.seat_release(actor=w.avi, seat=avi_seat, now=NOW)
    [offer] = _emails(gil)
    assert offer.payload["language"] == "he"
    assert '<html lang="he" dir="rtl">' in offer.payload["html"]
    assert "17:00" in offer.payload["text"]  # 10:00 New York, in Jerusalem
    assert "(\u2066America/New_York\u2069)" in offer.payload["text"]
    # Told as an answer to their wish to attend, urgently: the seat is held for hours.
    [notice] = notices_to(gil)
    assert notice["url"] == f"/client/groups/{group.session.pk}/"
    assert notice["kind"] == "session_approved"
    assert notice["urgent"] is True
    assert HEBREW.search(notice["title"]), notice["title"]


def test_expire_command_runs_the_job(group: Group) -> None:
    avi_seat, _noa_seat = _fill(group)
    entry = group_services.waitlist_join(actor=group.extra[0], session=group.session)
    group_services.seat_release(actor=group.world.avi, seat=avi_seat, now=NOW)
    out = StringIO()
    with time_machine.travel(NOW + timedelta(hours=13), tick=False):
        call_command("waitlist_expire", stdout=out)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.EXPIRED
    assert "1 offer(s) expired" in out.getvalue()


def test_group_panel_tag_renders_nothing_for_one_to_one_or_strangers(group: Group) -> None:
    w = group.world
    solo = session_book(
        actor=w.avi,
        coach=w.dana,
        client=w.avi,
        session_type=session_type(w.dana, name_en="Solo"),
        starts_at=SLOT + timedelta(hours=2),
    )
    template = Template("{% load session_groups %}[{% session_group_panel session %}]")
    request = RequestFactory().get("/")
    for user, session in ((w.avi, solo), (w.dana, solo), (w.maya, group.session)):
        request.user = user
        rendered = template.render(RequestContext(request, {"session": session}))
        assert rendered.strip() == "[]" or "Group seats" not in rendered
    request.user = w.avi
    rendered = template.render(RequestContext(request, {"session": group.session}))
    assert "Group seats" in rendered and "Take a seat" in rendered


# --- A client archived by the coach -----------------------------------------------------------


def test_archiving_a_client_frees_their_seat_for_the_waitlist_and_clears_their_places(
    group: Group,
) -> None:
    from loom.accounts.services import client_archive
    from loom.scheduling.models import Reminder, ReminderStatus, WaitlistStatus

    w = group.world
    avi_seat, noa_seat = _fill(group)
    gil, tal = group.extra
    gil_entry = group_services.waitlist_join(actor=gil, session=group.session)
    avi_pending = Reminder.objects.filter(
        session=group.session, recipient=w.avi, status=ReminderStatus.PENDING
    )
    assert avi_pending.exists()

    client_archive(coach=w.dana, client_id=w.avi.pk)

    avi_seat.refresh_from_db()
    noa_seat.refresh_from_db()
    gil_entry.refresh_from_db()
    assert avi_seat.status == SeatStatus.CANCELLED and not avi_seat.late_cancellation
    assert noa_seat.status == SeatStatus.TAKEN  # nobody else is touched
    assert gil_entry.status == WaitlistStatus.OFFERED  # the freed seat goes to the line
    assert not avi_pending.exists()

    # Archiving someone holding an offer takes them off the line; the held seat goes on.
    tal_entry = group_services.waitlist_join(actor=tal, session=group.session)
    client_archive(coach=w.dana, client_id=gil.pk)
    gil_entry.refresh_from_db()
    tal_entry.refresh_from_db()
    assert gil_entry.status == WaitlistStatus.LEFT
    assert tal_entry.status == WaitlistStatus.OFFERED

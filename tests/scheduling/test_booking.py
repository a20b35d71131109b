"""Booking, reschedule, cancel and the lifecycle, through the services."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from loom.accounts.models import CoachClient, User
from loom.core.errors import Conflict, DomainError, Forbidden
from loom.core.models import AuditLog
from loom.scheduling.models import (
    AvailabilityOverride,
    OverrideKind,
    Session,
    SessionEvent,
    SessionStatus,
    SessionType,
)
from loom.scheduling.selectors import (
    get_session_for_user,
    past_sessions_for_user,
    requested_sessions_for_coach,
    session_events_for,
    session_types_for_coach,
    slots_for_session_type,
    upcoming_sessions_for_user,
)
from loom.scheduling.services import (
    InvalidTransition,
    SlotUnavailable,
    availability_override_add,
    scheduling_settings_update,
    session_approve,
    session_book,
    session_cancel,
    session_complete,
    session_decline,
    session_mark_no_show,
    session_reschedule,
    session_start,
    weekly_availability_set,
)
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

# Monday 2026-06-01, 08:00 in New York (Dana's zone, UTC-4).
NOW = utc(2026, 6, 1, 12, 0)
# Tuesday 10:00 New York.
TUESDAY_10 = utc(2026, 6, 2, 14, 0)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dana(world: World, clock: Any) -> World:
    hours(world.dana, "09:00", "17:00", days=range(5))
    return world


def _book(world: World, starts_at: datetime, **kwargs: Any) -> Session:
    kind = kwargs.pop("kind", None) or session_type(world.dana)
    actor = kwargs.pop("actor", world.avi)
    client = kwargs.pop("client", world.avi)
    return session_book(
        actor=actor,
        coach=world.dana,
        client=client,
        session_type=kind,
        starts_at=starts_at,
        **kwargs,
    )


def _nothing_written() -> None:
    assert Session.objects.count() == 0
    assert SessionEvent.objects.count() == 0


def test_client_books_an_offered_slot(dana: World) -> None:
    session = _book(dana, TUESDAY_10)
    assert session.status == SessionStatus.SCHEDULED
    assert session.ends_at - session.starts_at == timedelta(hours=1)
    assert session.coach_timezone == "America/New_York"
    assert session.sequence == 0
    assert session.uid.endswith("@loom")
    event = SessionEvent.objects.get(session=session)
    assert (event.kind, event.actor, event.new_starts_at) == ("booked", dana.avi, TUESDAY_10)
    # A client's own booking is history, not an audit row.
    assert not AuditLog.objects.filter(action__startswith="session.").exists()


def test_coach_books_for_an_active_client_and_it_is_audited(dana: World) -> None:
    session = _book(dana, TUESDAY_10, actor=dana.dana, client=dana.noa)
    assert session.client == dana.noa
    assert AuditLog.objects.filter(action="session.booked", actor=dana.dana).count() == 1


def test_request_mode_waits_for_the_coach_then_approve(dana: World) -> None:
    kind = session_type(dana.dana, booking_mode="request")
    session = _book(dana, TUESDAY_10, kind=kind)
    assert session.status == SessionStatus.REQUESTED
    assert requested_sessions_for_coach(dana.dana) == [session]
    # The requested time is held: nobody else can take it meanwhile.
    with pytest.raises(Conflict):
        _book(dana, TUESDAY_10, actor=dana.noa, client=dana.noa)
    with pytest.raises(Forbidden):
        session_approve(actor=dana.avi, session=session)
    approved = session_approve(actor=dana.dana, session=session)
    assert approved.status == SessionStatus.SCHEDULED
    assert approved.sequence == 1
    with pytest.raises(InvalidTransition):
        session_approve(actor=dana.dana, session=approved)


def test_coach_declines_a_request_with_a_reason(dana: World) -> None:
    kind = session_type(dana.dana, booking_mode="request")
    session = _book(dana, TUESDAY_10, kind=kind)
    with pytest.raises(ValidationError):
        session_decline(actor=dana.dana, session=session, reason="  ")
    declined = session_decline(actor=dana.dana, session=session, reason="Away that week")
    assert declined.status == SessionStatus.DECLINED
    assert declined.cancellation_reason == "Away that week"
    # The time is free again.
    assert _book(dana, TUESDAY_10, actor=dana.noa, client=dana.noa, kind=kind).status == "requested"


# --- Bad input: a clear error, nothing written -------------------------------------------


@pytest.mark.parametrize(
    ("starts_at", "code"),
    [
        (NOW - timedelta(days=1), "in_past"),
        (utc(2026, 6, 1, 13, 0), "too_soon"),  # 09:00 today, inside 4 hours' notice
        (utc(2026, 6, 2, 12, 0), "not_offered"),  # 08:00, before working hours
        (utc(2026, 6, 6, 14, 0), "not_offered"),  # Saturday
        (utc(2026, 6, 2, 14, 7), "not_offered"),  # tampered: off the 15-minute grid
        (utc(2026, 6, 2, 20, 30), "not_offered"),  # 16:30 + 60 min runs past 17:00
        (utc(2026, 8, 3, 14, 0), "beyond_horizon"),  # 63 days ahead, horizon 60
    ],
)
def test_times_the_grid_does_not_offer_are_refused(
    dana: World, starts_at: datetime, code: str
) -> None:
    kind = session_type(dana.dana)
    with pytest.raises(SlotUnavailable) as refused:
        _book(dana, starts_at, kind=kind)
    assert refused.value.code == code
    assert str(refused.value)
    _nothing_written()


def test_overlapping_booking_is_a_conflict(dana: World) -> None:
    kind = session_type(dana.dana)
    _book(dana, TUESDAY_10, kind=kind)
    with pytest.raises(Conflict) as refused:
        _book(dana, TUESDAY_10 + timedelta(minutes=30), actor=dana.noa, client=dana.noa, kind=kind)
    assert refused.value.status == 409
    assert Session.objects.count() == 1


def test_buffers_keep_the_gap_between_sessions(dana: World) -> None:
    kind = session_type(dana.dana, buffer_after_minutes=15)
    _book(dana, TUESDAY_10, kind=kind)
    with pytest.raises(Conflict):
        _book(dana, TUESDAY_10 + timedelta(hours=1), actor=dana.noa, client=dana.noa, kind=kind)
    later = _book(
        dana, TUESDAY_10 + timedelta(minutes=75), actor=dana.noa, client=dana.noa, kind=kind
    )
    assert later.buffer_after_minutes == 15


def test_daily_cap_counts_sessions_of_every_type(dana: World) -> None:
    capped = session_type(dana.dana, max_sessions_per_day=1)
    other = session_type(dana.dana, name_en="Intro", duration_minutes=30)
    _book(dana, TUESDAY_10, kind=other)
    with pytest.raises(SlotUnavailable) as refused:
        _book(dana, TUESDAY_10 + timedelta(hours=3), actor=dana.noa, client=dana.noa, kind=capped)
    assert refused.value.code == "cap_reached"
    # Wednesday is another day.
    _book(dana, TUESDAY_10 + timedelta(days=1), actor=dana.noa, client=dana.noa, kind=capped)


def test_another_coachs_client_cannot_be_booked(dana: World) -> None:
    kind = session_type(dana.dana)
    with pytest.raises(Forbidden) as refused:
        _book(dana, TUESDAY_10, kind=kind, actor=dana.dana, client=dana.maya)
    assert refused.value.code == "not_your_client"
    with pytest.raises(Forbidden):
        _book(dana, TUESDAY_10, kind=kind, actor=dana.maya, client=dana.maya)
    # An archived client is off the roster for booking too.
    CoachClient.objects.filter(coach=dana.dana, client=dana.avi).update(status="archived")
    with pytest.raises(Forbidden):
        _book(dana, TUESDAY_10, kind=kind)
    # Another coach's session type cannot be used with Dana.
    with pytest.raises(DomainError):
        _book(dana, TUESDAY_10, kind=session_type(dana.eli), actor=dana.noa, client=dana.noa)
    _nothing_written()


def test_end_before_start_naive_times_and_wrong_length_are_refused(dana: World) -> None:
    kind = session_type(dana.dana)
    with pytest.raises(DomainError) as refused:
        _book(dana, TUESDAY_10, kind=kind, ends_at=TUESDAY_10 - timedelta(hours=1))
    assert refused.value.code == "ends_before_start"
    with pytest.raises(DomainError) as refused:
        _book(dana, TUESDAY_10, kind=kind, ends_at=TUESDAY_10 + timedelta(hours=3))
    assert refused.value.code == "wrong_duration"
    with pytest.raises(DomainError) as refused:
        _book(dana, datetime(2026, 6, 2, 10, 0), kind=kind)  # noqa: DTZ001 (the point)
    assert refused.value.code == "starts_at_without_timezone"
    _nothing_written()
    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(
            coach=dana.dana,
            client=dana.avi,
            session_type=kind,
            starts_at=TUESDAY_10,
            ends_at=TUESDAY_10,
            coach_timezone="UTC",
        )


def test_unknown_coach_timezone_is_a_clear_error(dana: World) -> None:
    kind = session_type(dana.dana)
    User.objects.filter(pk=dana.dana.pk).update(timezone="Mars/Olympus_Mons")
    dana.dana.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        _book(dana, TUESDAY_10, kind=kind)
    assert refused.value.code == "coach_timezone_invalid"
    _nothing_written()


def test_overrides_add_remove_and_close_hours(dana: World) -> None:
    kind = session_type(dana.dana)
    saturday = utc(2026, 6, 6, 14, 0)
    availability_override_add(
        coach=dana.dana,
        day=saturday.date(),
        kind=OverrideKind.EXTRA,
        start_time=time(10),
        end_time=time(12),
    )
    availability_override_add(coach=dana.dana, day=TUESDAY_10.date(), kind="unavailable_day")
    with pytest.raises(SlotUnavailable):
        _book(dana, TUESDAY_10, kind=kind)
    assert _book(dana, saturday, kind=kind).starts_at == saturday
    with pytest.raises(ValidationError):
        availability_override_add(
            coach=dana.dana,
            day=saturday.date(),
            kind=OverrideKind.EXTRA,
            start_time=time(11),
            end_time=time(13),
        )
    assert AvailabilityOverride.objects.count() == 2


def test_weekly_ranges_must_not_overlap_or_end_before_they_start(world: World) -> None:
    with pytest.raises(ValidationError):
        weekly_availability_set(
            coach=world.dana, ranges=[(0, time(9), time(12)), (0, time(11), time(14))]
        )
    with pytest.raises(ValidationError):
        weekly_availability_set(coach=world.dana, ranges=[(1, time(12), time(9))])
    with pytest.raises(ValidationError):
        weekly_availability_set(coach=world.dana, ranges=[(7, time(9), time(12))])
    with pytest.raises(Forbidden):
        weekly_availability_set(coach=world.avi, ranges=[])
    rows = weekly_availability_set(
        coach=world.dana, ranges=[(0, time(9), time(12)), (0, time(12), time(14))]
    )
    assert len(rows) == 2


# --- Reschedule and cancel ----------------------------------------------------------------


def test_reschedule_keeps_one_session_with_history(dana: World) -> None:
    session = _book(dana, TUESDAY_10)
    moved = session_reschedule(
        actor=dana.avi, session=session, starts_at=TUESDAY_10 + timedelta(days=1), reason="Clash"
    )
    assert Session.objects.count() == 1
    assert moved.pk == session.pk and moved.uid == session.uid
    assert moved.sequence == 1
    event = moved.events.get(kind="rescheduled")
    assert (event.old_starts_at, event.new_starts_at, event.reason, event.actor) == (
        TUESDAY_10,
        TUESDAY_10 + timedelta(days=1),
        "Clash",
        dana.avi,
    )
    # Moving by 30 minutes onto its own old time is fine: it does not block itself.
    again = session_reschedule(
        actor=dana.dana, session=moved, starts_at=TUESDAY_10 + timedelta(days=1, minutes=30)
    )
    assert again.sequence == 2


def test_client_reschedule_needs_the_cutoff_notice_but_the_coach_does_not(
    dana: World, clock: Any
) -> None:
    session = _book(dana, TUESDAY_10)
    scheduling_settings_update(coach=dana.dana, cancellation_cutoff_hours=24)
    clock.move_to(TUESDAY_10 - timedelta(hours=20))
    target = TUESDAY_10 + timedelta(days=1)
    with pytest.raises(DomainError) as refused:
        session_reschedule(actor=dana.avi, session=session, starts_at=target)
    assert refused.value.code == "reschedule_cutoff"
    assert (
        session_reschedule(actor=dana.dana, session=session, starts_at=target).starts_at == target
    )


def test_reschedule_onto_a_tampered_or_taken_time_changes_nothing(dana: World) -> None:
    session = _book(dana, TUESDAY_10)
    _book(dana, TUESDAY_10 + timedelta(days=1), actor=dana.noa, client=dana.noa)
    with pytest.raises(SlotUnavailable):
        session_reschedule(
            actor=dana.avi, session=session, starts_at=TUESDAY_10 + timedelta(minutes=5)
        )
    with pytest.raises(Conflict):
        session_reschedule(
            actor=dana.avi, session=session, starts_at=TUESDAY_10 + timedelta(days=1)
        )
    session.refresh_from_db()
    assert (session.starts_at, session.sequence) == (TUESDAY_10, 0)
    assert session.events.count() == 1


def test_client_cancel_inside_the_cutoff_is_allowed_and_flagged_late(
    dana: World, clock: Any
) -> None:
    early = _book(dana, TUESDAY_10)
    late = _book(dana, TUESDAY_10 + timedelta(days=1), actor=dana.noa, client=dana.noa)
    cancelled = session_cancel(actor=dana.avi, session=early, reason="Sick")
    assert (cancelled.status, cancelled.late_cancellation) == ("cancelled", False)
    clock.move_to(late.starts_at - timedelta(hours=2))
    flagged = session_cancel(actor=dana.noa, session=late, reason="")
    assert flagged.late_cancellation is True
    assert flagged.cancelled_by == dana.noa
    assert flagged.sequence == 1
    with pytest.raises(InvalidTransition):
        session_cancel(actor=dana.noa, session=flagged)


def test_coach_cancel_inside_the_cutoff_is_not_late_and_is_audited(dana: World, clock: Any) -> None:
    session = _book(dana, TUESDAY_10)
    clock.move_to(TUESDAY_10 - timedelta(hours=1))
    cancelled = session_cancel(actor=dana.dana, session=session, reason="Emergency")
    assert cancelled.late_cancellation is False
    assert AuditLog.objects.filter(action="session.cancelled", actor=dana.dana).exists()


def test_admin_may_cancel_but_another_coach_or_client_may_not(dana: World) -> None:
    session = _book(dana, TUESDAY_10)
    for stranger in (dana.eli, dana.maya, dana.noa):
        with pytest.raises(Exception) as refused:
            session_cancel(actor=stranger, session=session)
        assert isinstance(refused.value, DomainError | Http404)
    assert session_cancel(actor=dana.admin, session=session).cancelled_by == dana.admin


# --- Lifecycle ------------------------------------------------------------------------------


def test_start_only_near_the_start_time_then_complete(dana: World, clock: Any) -> None:
    session = _book(dana, TUESDAY_10)
    with pytest.raises(InvalidTransition) as refused:
        session_start(actor=dana.dana, session=session)
    assert refused.value.code == "too_early"
    clock.move_to(TUESDAY_10 - timedelta(minutes=15))
    with pytest.raises(Forbidden):
        session_start(actor=dana.avi, session=session)
    started = session_start(actor=dana.dana, session=session)
    assert started.status == SessionStatus.IN_PROGRESS
    with pytest.raises(InvalidTransition):
        session_complete(actor=dana.dana, session=started)
    clock.move_to(TUESDAY_10 + timedelta(minutes=50))
    assert session_complete(actor=dana.dana, session=started).status == "completed"
    with pytest.raises(InvalidTransition):
        session_mark_no_show(actor=dana.dana, session=started)
    with pytest.raises(InvalidTransition):
        session_reschedule(
            actor=dana.dana, session=started, starts_at=TUESDAY_10 + timedelta(days=1)
        )
    kinds = list(started.events.values_list("kind", flat=True))
    assert kinds == ["booked", "started", "completed"]


def test_no_show_after_the_start_time(dana: World, clock: Any) -> None:
    session = _book(dana, TUESDAY_10)
    with pytest.raises(InvalidTransition):
        session_mark_no_show(actor=dana.dana, session=session)
    clock.move_to(TUESDAY_10 + timedelta(minutes=10))
    assert session_mark_no_show(actor=dana.dana, session=session).status == "no_show"
    assert past_sessions_for_user(dana.avi) == [session]


# --- Selectors ------------------------------------------------------------------------------


def test_sessions_are_visible_to_their_two_parties_only(dana: World) -> None:
    session = _book(dana, TUESDAY_10)
    assert get_session_for_user(dana.avi, session.pk) == session
    assert get_session_for_user(dana.dana, session.pk) == session
    for stranger in (dana.noa, dana.eli, dana.maya, dana.admin):
        with pytest.raises(Http404):
            get_session_for_user(stranger, session.pk)
    with pytest.raises(Http404):
        get_session_for_user(dana.avi, "not-a-number")


def test_upcoming_and_past_lists_cost_one_query(
    dana: World, clock: Any, django_assert_num_queries: Any
) -> None:
    kind = session_type(dana.dana)
    for day in range(4):  # Tuesday to Friday
        _book(dana, TUESDAY_10 + timedelta(days=day), kind=kind)
    with django_assert_num_queries(1):
        upcoming = upcoming_sessions_for_user(dana.avi)
        names = [(s.coach.full_name, s.client.full_name, s.session_type.name) for s in upcoming]
    assert len(names) == 4
    with django_assert_num_queries(1):
        past = past_sessions_for_user(dana.dana)
        assert [s.session_type.name for s in past] == []
    assert [t.pk for t in session_types_for_coach(dana.dana)] == [kind.pk]


def test_start_after_the_end_is_refused(dana: World, clock: Any) -> None:
    session = _book(dana, TUESDAY_10)
    clock.move_to(TUESDAY_10 + timedelta(hours=2))
    with pytest.raises(InvalidTransition) as refused:
        session_start(actor=dana.dana, session=session)
    assert refused.value.code == "already_over"


def test_weekly_cap_counts_the_coachs_iso_week(dana: World) -> None:
    kind = session_type(dana.dana, max_sessions_per_week=2)
    _book(dana, TUESDAY_10, kind=kind)
    _book(dana, TUESDAY_10 + timedelta(days=1), kind=kind)
    with pytest.raises(SlotUnavailable) as refused:
        _book(dana, TUESDAY_10 + timedelta(days=2), actor=dana.noa, client=dana.noa, kind=kind)
    assert refused.value.code == "cap_reached"
    # Next Monday starts a new week.
    _book(dana, TUESDAY_10 + timedelta(days=6), actor=dana.noa, client=dana.noa, kind=kind)


def test_slots_and_the_approval_queue_cost_a_constant_number_of_queries(
    dana: World, django_assert_num_queries: Any
) -> None:
    kind = session_type(dana.dana, booking_mode="request")
    for day in range(4):
        _book(dana, TUESDAY_10 + timedelta(days=day), kind=kind)
    kind = type(kind).objects.select_related("coach").get(pk=kind.pk)
    with django_assert_num_queries(3):
        slots = slots_for_session_type(kind, start=NOW, end=NOW + timedelta(days=30))
    assert slots and all(slot.starts_at not in {TUESDAY_10} for slot in slots)
    with django_assert_num_queries(1):
        queue = requested_sessions_for_coach(dana.dana)
        assert [s.client.full_name for s in queue] == ["Avi Mizrahi"] * 4


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"duration_minutes": 10}, "duration_minutes"),
        ({"duration_minutes": 481}, "duration_minutes"),
        ({"name_en": " "}, "name_en"),
        ({"name_en": "x" * 121}, "name_en"),
        ({"name_en": "Bad\x00name"}, "name_en"),
        ({"price": Decimal("-1")}, "price"),
        ({"price": Decimal("1.001")}, "price"),
        ({"currency": "dollars"}, "currency"),
        ({"location_kind": "in_person"}, "address"),
        ({"location_kind": "moon"}, "location_kind"),
        ({"buffer_after_minutes": 241}, "buffer_after_minutes"),
        ({"booking_horizon_days": 0}, "booking_horizon_days"),
        ({"max_sessions_per_day": 0}, "max_sessions_per_day"),
        ({"booking_mode": "auction"}, "booking_mode"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_session_type_values_name_the_field_and_write_nothing(
    world: World, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        session_type(world.dana, **fields)
    assert field in refused.value.message_dict
    assert not SessionType.objects.exists()


def test_only_coaches_create_session_types(world: World) -> None:
    with pytest.raises(Forbidden):
        session_type(world.avi)
    in_person = session_type(world.dana, location_kind="in_person", address="1 Main St")
    assert in_person.address == "1 Main St"


def test_history_lists_every_change_in_order(dana: World) -> None:
    session = _book(dana, TUESDAY_10)
    session_reschedule(actor=dana.dana, session=session, starts_at=TUESDAY_10 + timedelta(days=1))
    session_cancel(actor=dana.avi, session=session, reason="Travel")
    fetched = get_session_for_user(dana.avi, session.pk)
    events = session_events_for(fetched)
    assert [(e.kind, e.actor) for e in events] == [
        ("booked", dana.avi),
        ("rescheduled", dana.dana),
        ("cancelled", dana.avi),
    ]

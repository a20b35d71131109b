"""Hypothesis: the slot engine's promises, and no overlapping sessions under any sequence.

The engine is checked against independent, slow oracles written from the rules in
docs/scheduling.md, over random hours, sessions, buffers, caps and time zones
(including Lord Howe Island, whose clocks move by 30 minutes).
"""

from __future__ import annotations

import contextlib
import itertools
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from loom.core.errors import DomainError
from loom.scheduling.models import ACTIVE_STATUSES, Session
from loom.scheduling.selectors import slots_for_session_type
from loom.scheduling.services import (
    session_approve,
    session_book,
    session_cancel,
    session_decline,
    session_reschedule,
)
from loom.scheduling.slots import (
    BusySession,
    DateOverride,
    SlotRules,
    WeeklyRange,
    bookable_slots,
    week_key,
)
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

ZONES = ["Asia/Jerusalem", "America/New_York", "UTC", "Europe/London", "Australia/Lord_Howe"]
# Around both 2026 spring changes, and the autumn ones.
STARTS = [utc(2026, 3, 1), utc(2026, 3, 20), utc(2026, 10, 20), utc(2026, 6, 1)]


@st.composite
def weekly_ranges(draw: Any) -> list[WeeklyRange]:
    ranges = []
    for weekday in range(7):
        quarters = sorted(draw(st.sets(st.integers(0, 95), max_size=4)))
        for start, end in zip(quarters[::2], quarters[1::2], strict=False):
            ranges.append(
                WeeklyRange(
                    weekday=weekday,
                    start=time(start // 4, (start % 4) * 15),
                    end=time(end // 4, (end % 4) * 15),
                )
            )
    return ranges


@st.composite
def scenarios(draw: Any) -> dict[str, Any]:
    start = draw(st.sampled_from(STARTS))
    now = start + timedelta(seconds=draw(st.integers(0, 3 * 24 * 3600)))
    busy = []
    for _ in range(draw(st.integers(0, 25))):
        begin = start + timedelta(minutes=15 * draw(st.integers(0, 14 * 96)))
        busy.append(
            BusySession(
                starts_at=begin,
                ends_at=begin + timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90]))),
                buffer_before=timedelta(minutes=draw(st.sampled_from([0, 5, 15]))),
                buffer_after=timedelta(minutes=draw(st.sampled_from([0, 10, 30]))),
            )
        )
    rules = SlotRules(
        duration=timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90, 120]))),
        buffer_before=timedelta(minutes=draw(st.sampled_from([0, 5, 15, 30]))),
        buffer_after=timedelta(minutes=draw(st.sampled_from([0, 10, 15]))),
        minimum_notice=timedelta(minutes=draw(st.sampled_from([0, 60, 240, 1440]))),
        horizon_days=draw(st.integers(1, 14)),
        max_per_day=draw(st.none() | st.integers(1, 4)),
        max_per_week=draw(st.none() | st.integers(1, 10)),
        step=timedelta(minutes=draw(st.sampled_from([15, 30, 60]))),
    )
    days_off = draw(st.sets(st.integers(0, 14), max_size=3))
    return {
        "tz": ZoneInfo(draw(st.sampled_from(ZONES))),
        "weekly": draw(weekly_ranges()),
        "days_off": [(start + timedelta(days=offset)).date() for offset in days_off],
        "busy": busy,
        "rules": rules,
        "start": start,
        "end": start + timedelta(days=14),
        "now": now,
    }


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    return value.astimezone(tz)


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_every_offered_slot_keeps_every_rule(case: dict[str, Any]) -> None:
    tz: ZoneInfo = case["tz"]
    rules: SlotRules = case["rules"]
    busy: list[BusySession] = case["busy"]
    slots = bookable_slots(
        tz=tz,
        weekly=case["weekly"],
        overrides=[DateOverride(date=day, kind="unavailable_day") for day in case["days_off"]],
        busy=busy,
        rules=rules,
        start=case["start"],
        end=case["end"],
        now=case["now"],
    )
    per_day = Counter(_local(item.starts_at, tz).date() for item in busy)
    per_week = Counter(week_key(_local(item.starts_at, tz).date()) for item in busy)
    starts = [slot.starts_at for slot in slots]
    assert starts == sorted(set(starts))
    for slot in slots:
        assert slot.starts_at.tzinfo is not None
        assert slot.ends_at - slot.starts_at == rules.duration
        # Range, notice and horizon.
        assert case["start"] <= slot.starts_at < case["end"]
        assert slot.starts_at >= case["now"] + rules.minimum_notice
        assert slot.starts_at <= case["now"] + timedelta(days=rules.horizon_days)
        # No overlap with any session, either side's buffers included.
        for item in busy:
            assert not (
                slot.starts_at < item.ends_at + item.buffer_after
                and slot.ends_at > item.starts_at - item.buffer_before
            )
            assert not (
                slot.starts_at - rules.buffer_before < item.ends_at
                and slot.ends_at + rules.buffer_after > item.starts_at
            )
        # Inside one weekly range of the local start's weekday, on its grid.
        start_local = _local(slot.starts_at, tz)
        end_local = _local(slot.ends_at, tz)
        day = start_local.date()
        assert day not in case["days_off"]
        assert (
            start_local.fold == 0 or start_local.replace(fold=0).astimezone(UTC) == slot.starts_at
        )
        step = int(rules.step.total_seconds() // 60)
        assert any(
            r.weekday == day.weekday()
            and r.start <= start_local.time()
            and end_local.date() == day
            and end_local.time() <= r.end
            and (
                (start_local.hour * 60 + start_local.minute) - (r.start.hour * 60 + r.start.minute)
            )
            % step
            == 0
            for r in case["weekly"]
        ), (slot, start_local, end_local)
        # Caps, counted in the coach's local day and ISO week.
        if rules.max_per_day is not None:
            assert per_day[day] < rules.max_per_day
        if rules.max_per_week is not None:
            assert per_week[week_key(day)] < rules.max_per_week


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_a_slot_is_offered_whenever_every_rule_allows_it(case: dict[str, Any]) -> None:
    """The other direction, on a whole-hour grid: the engine does not lose slots."""
    tz: ZoneInfo = case["tz"]
    rules = SlotRules(duration=timedelta(minutes=60), step=timedelta(minutes=60), horizon_days=14)
    weekly = [WeeklyRange(weekday=d, start=time(9), end=time(17)) for d in range(7)]
    offered = {
        slot.starts_at
        for slot in bookable_slots(
            tz=tz,
            weekly=weekly,
            overrides=[],
            busy=case["busy"],
            rules=rules,
            start=case["start"],
            end=case["end"],
            now=case["now"],
        )
    }
    day = _local(case["start"], tz).date()
    while day <= _local(case["end"], tz).date():
        for hour in range(9, 16 + 1):
            start = datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)
            end = start + rules.duration
            if not (case["start"] <= start < case["end"]) or start < case["now"]:
                continue
            if start > case["now"] + timedelta(days=14):
                continue
            free = all(
                not (start < b.ends_at + b.buffer_after and end > b.starts_at - b.buffer_before)
                for b in case["busy"]
            )
            assert (start in offered) == free, (start, day, hour)
        day += timedelta(days=1)


# --- A state machine over the services: never two overlapping active sessions ---------------

NOW = utc(2026, 6, 1, 12, 0)
# Tuesday to Thursday, 10:00 to 15:30 New York, every 30 minutes: crowded on purpose.
CANDIDATES = [
    utc(2026, 6, 2 + day, 14, 0) + timedelta(minutes=30 * step)
    for day in range(3)
    for step in range(12)
]


class BookingMachine(RuleBasedStateMachine):
    sessions = Bundle("sessions")

    def __init__(self) -> None:
        super().__init__()
        Session.objects.all().delete()
        self.world: World = WORLD["world"]
        self.types = WORLD["types"]

    def _people(self, index: int) -> Any:
        return [self.world.avi, self.world.noa][index]

    @rule(
        target=sessions,
        client=st.integers(0, 1),
        starts_at=st.sampled_from(CANDIDATES),
        kind=st.integers(0, 1),
        by_coach=st.booleans(),
    )
    def book(self, client: int, starts_at: datetime, kind: int, by_coach: bool) -> Any:
        person = self._people(client)
        try:
            return session_book(
                actor=self.world.dana if by_coach else person,
                coach=self.world.dana,
                client=person,
                session_type=self.types[kind],
                starts_at=starts_at,
            ).pk
        except DomainError:
            return None

    def _session(self, pk: Any) -> Session | None:
        return Session.objects.filter(pk=pk).select_related("coach").first() if pk else None

    @rule(pk=sessions)
    def approve(self, pk: Any) -> None:
        session = self._session(pk)
        if session is not None:
            try:
                session_approve(actor=self.world.dana, session=session)
            except DomainError:
                assert session.status != "requested"

    @rule(pk=sessions)
    def decline(self, pk: Any) -> None:
        session = self._session(pk)
        if session is not None:
            try:
                session_decline(actor=self.world.dana, session=session, reason="No")
            except DomainError:
                assert session.status != "requested"

    @rule(pk=sessions, starts_at=st.sampled_from(CANDIDATES), by_coach=st.booleans())
    def reschedule(self, pk: Any, starts_at: datetime, by_coach: bool) -> None:
        session = self._session(pk)
        if session is not None:
            actor = self.world.dana if by_coach else session.client
            with contextlib.suppress(DomainError, Http404):
                session_reschedule(actor=actor, session=session, starts_at=starts_at)

    @rule(pk=sessions, by_coach=st.booleans())
    def cancel(self, pk: Any, by_coach: bool) -> None:
        session = self._session(pk)
        if session is not None:
            actor = self.world.dana if by_coach else session.client
            try:
                session_cancel(actor=actor, session=session)
            except DomainError:
                assert session.status not in ("requested", "scheduled")

    @invariant()
    def no_overlapping_active_sessions(self) -> None:
        active = list(
            Session.objects.filter(status__in=ACTIVE_STATUSES).order_by("starts_at", "id")
        )
        for earlier, later in itertools.pairwise(active):
            gap = max(
                timedelta(minutes=earlier.buffer_after_minutes),
                timedelta(minutes=later.buffer_before_minutes),
            )
            assert later.starts_at >= earlier.ends_at + gap, (earlier, later)
        per_day = Counter(s.starts_at.date() for s in active)
        assert all(count <= 4 for count in per_day.values())


WORLD: dict[str, Any] = {}


@pytest.mark.django_db
def test_booking_state_machine_never_double_books(world: World) -> None:
    hours(world.dana, days=range(5))
    WORLD["world"] = world
    WORLD["types"] = [
        session_type(world.dana, buffer_after_minutes=15, max_sessions_per_day=4),
        session_type(
            world.dana,
            name_en="Request",
            duration_minutes=90,
            buffer_before_minutes=15,
            booking_mode="request",
            max_sessions_per_day=4,
        ),
    ]
    with time_machine.travel(NOW, tick=False):
        run_state_machine_as_test(
            BookingMachine,
            settings=settings(
                max_examples=40,
                stateful_step_count=15,
                deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            ),
        )


# --- The server books exactly what the grid offers --------------------------------------------

# Every 5 minutes over Tuesday to Thursday, day and night: on the grid and off it,
# inside working hours and outside them.
ATTEMPTS = [utc(2026, 6, 2, 0, 0) + timedelta(minutes=5 * step) for step in range(3 * 24 * 12)]
# And the 15-minute grid of 09:00-13:00 New York on those days, so many attempts can succeed.
ON_GRID = [
    utc(2026, 6, 2 + day, 13, 0) + timedelta(minutes=15 * step)
    for day in range(3)
    for step in range(16)
]


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    existing=st.lists(st.sampled_from(CANDIDATES), max_size=6),
    attempt=st.sampled_from(ON_GRID) | st.sampled_from(ATTEMPTS),
    buffer_after=st.sampled_from([0, 10, 30]),
)
def test_a_booking_succeeds_exactly_when_the_grid_offers_its_time(
    world: World, existing: list[datetime], attempt: datetime, buffer_after: int
) -> None:
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        hours(world.dana, "09:00", "13:00", days=range(5))
        kind = session_type(world.dana, buffer_after_minutes=buffer_after, max_sessions_per_day=3)
        for starts_at in existing:
            with contextlib.suppress(DomainError):
                session_book(
                    actor=world.dana,
                    coach=world.dana,
                    client=world.noa,
                    session_type=kind,
                    starts_at=starts_at,
                )
        offered = [
            slot.starts_at
            for slot in slots_for_session_type(
                kind, start=attempt, end=attempt + timedelta(minutes=1)
            )
        ]
        before = Session.objects.count()
        try:
            session_book(
                actor=world.avi,
                coach=world.dana,
                client=world.avi,
                session_type=kind,
                starts_at=attempt,
            )
            booked = True
        except DomainError:
            booked = False
            assert Session.objects.count() == before
        assert booked == (offered == [attempt])
        transaction.set_rollback(True)

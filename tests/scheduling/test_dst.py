"""Daylight saving: a coach in Jerusalem, a client in New York (DESIGN.md rule 4).

2026-03-08 02:00 America/New_York moves from EST (UTC-5) to EDT (UTC-4);
2026-03-27 02:00 Asia/Jerusalem moves from IST (UTC+2) to IDT (UTC+3). The coach
works 09:00-17:00 Jerusalem time every day; slots must follow Jerusalem's clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from loom.scheduling.selectors import slots_for_session_type
from loom.scheduling.services import session_book
from loom.scheduling.slots import (
    DateOverride,
    SlotRules,
    WeeklyRange,
    bookable_slots,
    local_instant,
)
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

JERUSALEM = ZoneInfo("Asia/Jerusalem")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def eli_in_jerusalem_maya_in_new_york(world: World) -> World:
    world.maya.timezone = "America/New_York"
    world.maya.save(update_fields=["timezone"])
    hours(world.eli, "09:00", "17:00")
    return world


def _day_slots(kind, day: date) -> list[datetime]:
    start = datetime.combine(day, time(0), tzinfo=JERUSALEM)
    return [
        slot.starts_at
        for slot in slots_for_session_type(kind, start=start, end=start + timedelta(days=1))
    ]


@pytest.mark.parametrize(
    ("day", "first_utc", "last_utc", "first_in_new_york"),
    [
        # Before either change: Jerusalem UTC+2, New York UTC-5.
        (date(2026, 3, 6), utc(2026, 3, 6, 7, 0), utc(2026, 3, 6, 14, 0), "02:00"),
        # The US has changed (UTC-4), Israel not yet: same UTC, an hour later in New York.
        (date(2026, 3, 9), utc(2026, 3, 9, 7, 0), utc(2026, 3, 9, 14, 0), "03:00"),
        (date(2026, 3, 26), utc(2026, 3, 26, 7, 0), utc(2026, 3, 26, 14, 0), "03:00"),
        # Israel's change day (Friday 02:00): 09:00 is already summer time, UTC+3.
        (date(2026, 3, 27), utc(2026, 3, 27, 6, 0), utc(2026, 3, 27, 13, 0), "02:00"),
        (date(2026, 3, 30), utc(2026, 3, 30, 6, 0), utc(2026, 3, 30, 13, 0), "02:00"),
    ],
)
def test_slots_follow_the_coachs_wall_clock_across_both_changes(
    eli_in_jerusalem_maya_in_new_york: World,
    day: date,
    first_utc: datetime,
    last_utc: datetime,
    first_in_new_york: str,
) -> None:
    kind = session_type(eli_in_jerusalem_maya_in_new_york.eli, duration_minutes=60)
    with time_machine.travel(utc(2026, 3, 1, 12, 0), tick=False):
        starts = _day_slots(kind, day)
    assert starts[0] == first_utc
    assert starts[-1] == last_utc
    # Every 15 minutes from 09:00 to 16:00 Jerusalem time: 29 slots, none lost or doubled.
    assert len(starts) == 29
    assert [s.astimezone(JERUSALEM).time() for s in starts[::4]] == [
        time(hour) for hour in range(9, 17)
    ]
    assert starts[0].astimezone(NEW_YORK).strftime("%H:%M") == first_in_new_york


def test_a_booking_made_before_the_change_keeps_its_jerusalem_time(
    eli_in_jerusalem_maya_in_new_york: World,
) -> None:
    world = eli_in_jerusalem_maya_in_new_york
    kind = session_type(world.eli)
    with time_machine.travel(utc(2026, 3, 1, 12, 0), tick=False):
        after_change = utc(2026, 3, 29, 6, 0)  # 09:00 IDT, 02:00 EDT
        session = session_book(
            actor=world.maya,
            coach=world.eli,
            client=world.maya,
            session_type=kind,
            starts_at=after_change,
        )
        # The old winter instant (07:00 UTC) is 10:00 in Jerusalem that day: still
        # free, and 09:00 is taken.
        assert utc(2026, 3, 29, 6, 0) not in _day_slots(kind, date(2026, 3, 29))
    assert session.starts_at.astimezone(JERUSALEM).time() == time(9, 0)
    assert session.starts_at.astimezone(NEW_YORK).time() == time(2, 0)
    assert session.coach_timezone == "Asia/Jerusalem"


# --- The gap and overlap rule, on the pure engine ---------------------------------------------


def _engine(tz: ZoneInfo, day: date, start: str, end: str) -> list[datetime]:
    begin = datetime.combine(day, time(0), tzinfo=tz) - timedelta(hours=6)
    return [
        slot.starts_at
        for slot in bookable_slots(
            tz=tz,
            weekly=[],
            overrides=[
                DateOverride(
                    date=day,
                    kind="extra",
                    start=time.fromisoformat(start),
                    end=time.fromisoformat(end),
                )
            ],
            busy=[],
            rules=SlotRules(duration=timedelta(minutes=30), step=timedelta(minutes=30)),
            start=begin,
            end=begin + timedelta(days=2),
            now=begin - timedelta(days=1),
        )
    ]


def test_wall_times_in_the_spring_forward_gap_are_skipped() -> None:
    # New York, 2026-03-08: 02:00-02:59 do not exist.
    starts = _engine(NEW_YORK, date(2026, 3, 8), "01:00", "04:00")
    local = [s.astimezone(NEW_YORK).strftime("%H:%M") for s in starts]
    assert local == ["01:00", "01:30", "03:00", "03:30"]
    assert local_instant(date(2026, 3, 8), time(2, 30), NEW_YORK) is None


def test_wall_times_in_the_fall_back_overlap_mean_their_first_occurrence() -> None:
    # New York, 2026-11-01: 01:00-01:59 happen twice (EDT, then EST).
    starts = _engine(NEW_YORK, date(2026, 11, 1), "00:30", "02:00")
    # Each wall time once, at its first (EDT) occurrence; the repeated hour in EST
    # (06:00-07:00 UTC) is not offered a second time by wall clock.
    assert starts == [utc(2026, 11, 1, 4, 30), utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 5, 30)]


def test_weekly_hours_in_jerusalem_on_israels_change_night() -> None:
    # 2026-03-27 02:00 does not exist in Jerusalem: a 01:00-04:00 range offers
    # 01:00, 01:30, 03:00, 03:30 and nothing in the gap.
    day = date(2026, 3, 27)
    starts = bookable_slots(
        tz=JERUSALEM,
        weekly=[WeeklyRange(weekday=day.weekday(), start=time(1), end=time(4))],
        overrides=[],
        busy=[],
        rules=SlotRules(duration=timedelta(minutes=30), step=timedelta(minutes=30)),
        start=utc(2026, 3, 26, 12),
        end=utc(2026, 3, 27, 12),
        now=utc(2026, 3, 20),
    )
    assert [s.starts_at.astimezone(JERUSALEM).strftime("%H:%M") for s in starts] == [
        "01:00",
        "01:30",
        "03:00",
        "03:30",
    ]

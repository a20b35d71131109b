"""Check-in reads: daily moods (property-tested against a plain grouping), the keyset
page, the own-only getter and the heat map grid — each in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loom.core.errors import NotFound
from loom.journal.days import local_day_of
from loom.wellbeing.heatmap import add_months, build_heatmap, month_window, mood_level
from loom.wellbeing.models import CheckIn
from loom.wellbeing.selectors_checkins import (
    DayMood,
    checkin_for_client,
    checkins_page,
    daily_moods,
    decode_cursor,
    heatmap,
)
from tests.wellbeing.checkins_factory import at
from tests.world import World

UTC = dt.UTC
ZONES = ["Asia/Jerusalem", "America/New_York", "Europe/London", "Pacific/Kiritimati", "UTC"]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def _row(client: Any, moment: dt.datetime, zone: str, p: int, e: int) -> CheckIn:
    local = moment.astimezone(ZoneInfo(zone))
    return CheckIn(
        client=client,
        occurred_at=moment,
        timezone=zone,
        local_date=local_day_of(zone, moment),
        local_hour=local.hour,
        pleasantness=p,
        energy=e,
    )


# --- daily_moods ---------------------------------------------------------------------------


def test_daily_moods_averages_each_local_day_in_one_query(world: World) -> None:
    # 23:30 and 00:30 in Jerusalem: two different local days, one UTC day.
    at(world.avi, utc(2026, 5, 1, 20, 30), pleasantness=8, energy=2)
    at(world.avi, utc(2026, 5, 1, 21, 30), pleasantness=4, energy=6)
    at(world.avi, utc(2026, 5, 2, 6, 0), pleasantness=6, energy=4)
    at(world.noa, utc(2026, 5, 1, 12, 0), pleasantness=1, energy=1)
    with CaptureQueriesContext(connection) as queries:
        moods = daily_moods(world.avi, start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 2))
    assert len(queries) == 1
    assert moods == {
        dt.date(2026, 5, 1): DayMood(avg_pleasantness=8.0, avg_energy=2.0, count=1),
        dt.date(2026, 5, 2): DayMood(avg_pleasantness=5.0, avg_energy=5.0, count=2),
    }
    assert daily_moods(world.avi, start=dt.date(2026, 5, 3), end=dt.date(2026, 5, 1)) == {}
    assert list(daily_moods(world.avi, start=dt.date(2026, 5, 2), end=dt.date(2026, 5, 2))) == [
        dt.date(2026, 5, 2)
    ]


CHECKINS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=60 * 24 * 20),  # minutes into the window
        st.sampled_from(ZONES),
        st.integers(min_value=1, max_value=10),
        st.integers(min_value=1, max_value=10),
    ),
    max_size=25,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=CHECKINS, span=st.tuples(st.integers(0, 21), st.integers(0, 21)))
def test_daily_moods_equals_a_plain_grouping_by_local_date(
    world: World, rows: list[tuple[int, str, int, int]], span: tuple[int, int]
) -> None:
    CheckIn.objects.all().delete()
    origin = utc(2026, 3, 20, 0, 0)  # both spring daylight-saving changes fall inside
    CheckIn.objects.bulk_create(
        _row(world.avi, origin + dt.timedelta(minutes=m), zone, p, e) for m, zone, p, e in rows
    )
    # Someone else's check-ins never count.
    CheckIn.objects.bulk_create([_row(world.noa, origin, "UTC", 1, 1)])
    start = dt.date(2026, 3, 19) + dt.timedelta(days=min(span))
    end = dt.date(2026, 3, 19) + dt.timedelta(days=max(span))

    expected: dict[dt.date, list[tuple[int, int]]] = defaultdict(list)
    for minutes, zone, p, e in rows:
        day = (origin + dt.timedelta(minutes=minutes)).astimezone(ZoneInfo(zone)).date()
        if start <= day <= end:
            expected[day].append((p, e))

    moods = daily_moods(world.avi, start=start, end=end)
    assert set(moods) == set(expected)
    for day, values in expected.items():
        assert moods[day].count == len(values)
        assert moods[day].avg_pleasantness == pytest.approx(sum(p for p, _ in values) / len(values))
        assert moods[day].avg_energy == pytest.approx(sum(e for _, e in values) / len(values))


# --- The page and the getter ---------------------------------------------------------------


def test_pages_walk_every_check_in_once_newest_first(world: World) -> None:
    moment = utc(2026, 5, 1, 8, 0)
    made = [at(world.avi, moment + dt.timedelta(hours=i // 2)) for i in range(7)]  # ties
    at(world.noa, moment)
    seen: list[int] = []
    cursor = None
    while True:
        with CaptureQueriesContext(connection) as queries:
            page = checkins_page(world.avi, cursor=cursor, limit=3)
        assert len(queries) == 1
        seen += [c.pk for c in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    expected = sorted(made, key=lambda c: (c.occurred_at, c.pk), reverse=True)
    assert seen == [c.pk for c in expected]


def test_a_back_dated_check_in_slots_into_its_place(world: World) -> None:
    newer = at(world.avi, utc(2026, 5, 3, 8, 0))
    older = at(world.avi, utc(2026, 5, 1, 8, 0))
    middle = at(world.avi, utc(2026, 5, 2, 8, 0))
    assert [c.pk for c in checkins_page(world.avi).items] == [newer.pk, middle.pk, older.pk]


@pytest.mark.parametrize("cursor", ["", "garbage!", "x" * 500, "MjAyNl9hYmM", "Zm9vX2Jhcg"])
def test_a_garbled_cursor_starts_from_the_newest(world: World, cursor: str) -> None:
    first = at(world.avi, utc(2026, 5, 1, 8, 0))
    assert decode_cursor(cursor) is None
    assert [c.pk for c in checkins_page(world.avi, cursor=cursor).items] == [first.pk]


def test_the_page_size_is_bounded(world: World) -> None:
    at(world.avi, utc(2026, 5, 1, 8, 0))
    assert len(checkins_page(world.avi, limit=0).items) == 1
    assert len(checkins_page(world.avi, limit=10**6).items) == 1


def test_someone_elses_check_in_is_not_found(world: World) -> None:
    mine = at(world.avi, utc(2026, 5, 1, 8, 0))
    assert checkin_for_client(world.avi, mine.pk) == mine
    assert checkin_for_client(world.avi, str(mine.pk)) == mine
    for person, value in ((world.noa, mine.pk), (world.dana, mine.pk), (world.avi, "x")):
        with pytest.raises(NotFound):
            checkin_for_client(person, value)
    with pytest.raises(NotFound):
        checkin_for_client(world.avi, mine.pk + 1000)


# --- The heat map --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("avg", "level"),
    [
        (None, 0),
        (1.0, 1),
        (2.0, 1),
        (2.01, 2),
        (4.0, 2),
        (5.0, 3),
        (6.0, 3),
        (7.5, 4),
        (9.0, 5),
        (10.0, 5),
    ],
)
def test_mood_levels(avg: float | None, level: int) -> None:
    assert mood_level(avg) == level


def test_month_window_ends_at_today_and_never_beyond() -> None:
    today = dt.date(2026, 5, 14)
    assert month_window(today=today, months=6, end_month=None) == (
        dt.date(2025, 12, 1),
        today,
    )
    assert month_window(today=today, months=2, end_month=dt.date(2026, 2, 1)) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 28),
    )
    assert month_window(today=today, months=1, end_month=dt.date(2030, 1, 1)) == (
        dt.date(2026, 5, 1),
        today,
    )
    assert month_window(today=today, months=99, end_month=None)[0] == add_months(today, -11)


def test_heat_map_cells_levels_and_names(world: World) -> None:
    today = dt.date(2026, 3, 20)
    at(world.maya, utc(2026, 3, 12, 9, 0), pleasantness=7)
    at(world.maya, utc(2026, 3, 12, 18, 0), pleasantness=8)
    at(world.maya, utc(2026, 3, 13, 9, 0), pleasantness=2)
    with CaptureQueriesContext(connection) as queries:
        heat = heatmap(world.maya, today=today, months=1)
    assert len(queries) == 1
    cells = {cell.day: cell for week in heat.weeks for cell in week.cells}
    assert all(len(week.cells) == 7 for week in heat.weeks)
    # English weeks start on Sunday (Django's FIRST_DAY_OF_WEEK for en).
    assert heat.weeks[0].cells[0].day == dt.date(2026, 3, 1)
    assert heat.weeks[0].cells[0].day.weekday() == 6
    assert heat.weeks[0].month == "Mar"
    twelfth = cells[dt.date(2026, 3, 12)]
    assert (twelfth.level, twelfth.count) == (4, 2)
    assert twelfth.label == "12 March: mood 7.5, 2 check-ins"
    assert cells[dt.date(2026, 3, 13)].label == "13 March: mood 2.0, 1 check-in"
    assert cells[dt.date(2026, 3, 13)].level == 1
    assert cells[dt.date(2026, 3, 14)].label == "14 March: no check-ins"
    assert cells[dt.date(2026, 3, 14)].level == 0
    # Days after today are blank padding, not "no check-ins".
    assert not cells[dt.date(2026, 3, 21)].shown
    assert cells[dt.date(2026, 3, 21)].label == ""
    assert [cell.day for cell in heat.days] == [dt.date(2026, 3, 12), dt.date(2026, 3, 13)]
    assert heat.earlier == dt.date(2026, 2, 1)
    assert heat.later is None


def test_heat_map_in_hebrew(world: World) -> None:
    moods = {dt.date(2026, 3, 12): DayMood(avg_pleasantness=7.5, avg_energy=5, count=2)}
    with translation.override("he"):
        heat = build_heatmap(
            moods, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), today=dt.date(2026, 4, 2)
        )
    cells = {cell.day: cell for week in heat.weeks for cell in week.cells}
    assert heat.weeks[0].cells[0].day.weekday() == 6  # Sunday, as in Israel
    assert "12" in cells[dt.date(2026, 3, 12)].label
    assert "7.5" in cells[dt.date(2026, 3, 12)].label
    assert heat.later == dt.date(2026, 4, 1)


def test_heat_map_navigation_moves_a_whole_window(world: World) -> None:
    heat = heatmap(world.avi, today=dt.date(2026, 11, 10), months=6, end_month=dt.date(2026, 2, 1))
    assert (heat.start, heat.end) == (dt.date(2025, 9, 1), dt.date(2026, 2, 28))
    assert heat.earlier == dt.date(2025, 8, 1)
    assert heat.later == dt.date(2026, 8, 1)

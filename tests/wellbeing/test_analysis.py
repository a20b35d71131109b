"""Property tests of the pure analysis functions (loom.wellbeing.analysis).

Each function is compared with a naive re-implementation over generated data; the
streak and daily-aggregate tests build local days from real instants in real zones,
across a daylight-saving night and a trip between zones.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loom.journal.days import local_day_of
from loom.wellbeing import analysis

DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))
MOODS = st.floats(min_value=1, max_value=10, allow_nan=False, allow_infinity=False)
ZONES = st.sampled_from(
    [
        "UTC",
        "America/New_York",
        "Asia/Jerusalem",
        "Europe/London",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
    ]
)


def naive_moving(series: dict[date, float], window: int) -> list[tuple[date, float]]:
    result = []
    for day in sorted(series):
        inside = [
            value
            for other, value in series.items()
            if day - timedelta(days=window - 1) <= other <= day
        ]
        result.append((day, sum(inside) / len(inside)))
    return result


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(DAYS, MOODS, max_size=60), st.integers(min_value=1, max_value=30))
def test_moving_average_equals_the_naive_definition(series: dict[date, float], window: int) -> None:
    fast = analysis.moving_average(list(series.items()), window)
    slow = naive_moving(series, window)
    assert [day for day, _ in fast] == [day for day, _ in slow]
    for (_, a), (_, b) in zip(fast, slow, strict=True):
        assert a == pytest.approx(b)


@given(st.dictionaries(DAYS, MOODS, min_size=1, max_size=40))
def test_moving_average_stays_within_the_values(series: dict[date, float]) -> None:
    for _day, value in analysis.moving_average(list(series.items())):
        assert min(series.values()) - 1e-9 <= value <= max(series.values()) + 1e-9


def test_missing_days_are_not_zeros() -> None:
    monday, sunday = date(2026, 3, 2), date(2026, 3, 8)
    assert analysis.moving_average([(sunday, 8.0), (monday, 4.0)]) == [(monday, 4.0), (sunday, 6.0)]
    # Eight days later the Monday has left the 7-day window.
    assert analysis.moving_average([(monday, 4.0), (monday + timedelta(days=7), 8.0)])[-1][1] == 8.0


def test_moving_average_refuses_an_empty_window() -> None:
    with pytest.raises(ValueError):
        analysis.moving_average([], 0)


@given(st.dictionaries(DAYS, MOODS, max_size=60))
def test_weekday_pattern_equals_grouping_by_weekday(series: dict[date, float]) -> None:
    groups: dict[int, list[float]] = defaultdict(list)
    for day, value in series.items():
        groups[day.weekday()].append(value)
    buckets = analysis.weekday_pattern(series.items())
    assert [bucket.key for bucket in buckets] == list(range(7))
    for bucket in buckets:
        values = groups.get(int(bucket.key), [])
        assert bucket.count == len(values)
        if values:
            assert bucket.average == pytest.approx(sum(values) / len(values))
        else:
            assert bucket.average is None


def test_parts_of_day_boundaries() -> None:
    expected = {
        **dict.fromkeys(range(5, 12), "morning"),
        **dict.fromkeys(range(12, 17), "afternoon"),
        **dict.fromkeys(range(17, 22), "evening"),
        **dict.fromkeys([22, 23, 0, 1, 2, 3, 4], "night"),
    }
    assert {hour: analysis.part_of_day(hour) for hour in range(24)} == expected
    with pytest.raises(ValueError):
        analysis.part_of_day(24)


CHECKINS = st.lists(st.tuples(st.integers(0, 23), st.integers(1, 10)), max_size=80)


@given(CHECKINS)
def test_time_of_day_pattern_grouped_by_hour_equals_one_by_one(
    checkins: list[tuple[int, int]],
) -> None:
    one_by_one = analysis.time_of_day_pattern((hour, float(mood), 1) for hour, mood in checkins)
    by_hour: dict[int, list[int]] = defaultdict(list)
    for hour, mood in checkins:
        by_hour[hour].append(mood)
    grouped = analysis.time_of_day_pattern(
        (hour, sum(moods) / len(moods), len(moods)) for hour, moods in by_hour.items()
    )
    for a, b in zip(one_by_one, grouped, strict=True):
        assert a.key == b.key and a.count == b.count
        assert (a.average is None) == (b.average is None)
        if a.average is not None:
            assert a.average == pytest.approx(b.average)
    parts: dict[str, list[int]] = defaultdict(list)
    for hour, mood in checkins:
        parts[analysis.part_of_day(hour)].append(mood)
    for bucket in one_by_one:
        values = parts.get(str(bucket.key), [])
        assert bucket.count == len(values)


# --- Streaks ------------------------------------------------------------------------------------


def naive_streak(days: set[date], today: date) -> tuple[int, int]:
    days = {day for day in days if day <= today}
    current = 0
    cursor = today if today in days else today - timedelta(days=1)
    while cursor in days:
        current += 1
        cursor -= timedelta(days=1)
    longest = 0
    for day in days:
        if day - timedelta(days=1) in days:
            continue
        length = 0
        while day + timedelta(days=length) in days:
            length += 1
        longest = max(longest, length)
    return current, longest


NEAR = st.dates(min_value=date(2026, 2, 1), max_value=date(2026, 4, 30))


@settings(max_examples=200, deadline=None)
@given(st.sets(NEAR, max_size=50), NEAR)
def test_streak_equals_the_naive_count(days: set[date], today: date) -> None:
    assert analysis.streak(days, today) == naive_streak(days, today)


def test_streak_examples() -> None:
    today = date(2026, 3, 10)
    assert analysis.streak(set(), today) == (0, 0)
    # Nothing yet today: the run ending yesterday still counts.
    assert analysis.streak({date(2026, 3, 8), date(2026, 3, 9)}, today) == (2, 2)
    # A day missed: broken.
    assert analysis.streak({date(2026, 3, 7), date(2026, 3, 8)}, today) == (0, 2)
    # A date ahead of today (the client flew west) does not count.
    assert analysis.streak({date(2026, 3, 11)}, today) == (0, 0)


# Hypothesis takes naive bounds and attaches the zone itself.
INSTANTS = st.datetimes(
    min_value=datetime(2026, 2, 20),  # noqa: DTZ001
    max_value=datetime(2026, 4, 10),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(INSTANTS, ZONES), max_size=40), ZONES)
def test_streaks_count_the_local_day_each_moment_had_where_the_client_was(
    moments: list[tuple[datetime, str]], today_zone: str
) -> None:
    """A client who travels: each check-in keeps the local day of the zone they were in
    (as CheckIn.local_date does); the streak counts those days. The window spans the
    March daylight-saving changes of New York (8th), Jerusalem (27th) and London (29th)."""
    days = {local_day_of(zone, moment) for moment, zone in moments}
    today = local_day_of(today_zone, datetime(2026, 4, 11, 3, tzinfo=UTC))
    assert analysis.streak(days, today) == naive_streak(days, today)


def test_a_daylight_saving_night_is_one_day_in_the_streak() -> None:
    # New York springs forward at 02:00 on 8 March 2026: the night has 23 hours. A
    # check-in at 23:30 on the 7th and one at 00:30 on the 9th, local, are two days apart
    # in dates, with the 8th between them.
    zone = "America/New_York"
    evening_7th = datetime(2026, 3, 8, 4, 30, tzinfo=UTC)  # 23:30 EST on the 7th
    morning_8th = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT on the 8th
    night_9th = datetime(2026, 3, 9, 4, 30, tzinfo=UTC)  # 00:30 EDT on the 9th
    days = {local_day_of(zone, moment) for moment in (evening_7th, morning_8th, night_9th)}
    assert days == {date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)}
    assert analysis.streak(days, date(2026, 3, 9)) == (3, 3)


def test_travel_east_does_not_break_or_double_a_streak() -> None:
    # Monday 20:00 in New York, then (after a night flight) Wednesday 09:00 in Jerusalem:
    # Tuesday was skipped by the clock, so the streak honestly breaks; a check-in on the
    # Tuesday in Jerusalem (it is already Tuesday there) would have kept it.
    monday = local_day_of("America/New_York", datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    tuesday = local_day_of("Asia/Jerusalem", datetime(2026, 3, 10, 20, 0, tzinfo=UTC))
    wednesday = local_day_of("Asia/Jerusalem", datetime(2026, 3, 11, 7, 0, tzinfo=UTC))
    assert (monday, tuesday, wednesday) == (date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 11))
    assert analysis.streak({monday, wednesday}, wednesday) == (1, 1)
    assert analysis.streak({monday, tuesday, wednesday}, wednesday) == (3, 3)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(INSTANTS, ZONES, st.integers(1, 10)), max_size=60))
def test_daily_aggregates_group_by_the_stored_local_day(
    rows: list[tuple[datetime, str, int]],
) -> None:
    """Daily averages from local days, then weekday buckets: every check-in lands on
    exactly one local day, and the weekday of that day — never the UTC one."""
    daily: dict[date, list[int]] = defaultdict(list)
    for moment, zone, mood in rows:
        daily[local_day_of(zone, moment)].append(mood)
    averages = {day: sum(values) / len(values) for day, values in daily.items()}
    buckets = analysis.weekday_pattern(averages.items())
    assert sum(bucket.count for bucket in buckets) == len(averages)
    assert sum(len(values) for values in daily.values()) == len(rows)


# --- Insights -----------------------------------------------------------------------------------

DAY_SETS = st.sets(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 4, 30)), max_size=20)


@settings(max_examples=200, deadline=None)
@given(DAY_SETS, DAY_SETS, st.data())
def test_insights_never_appear_below_three_and_three(
    with_days: set[date], without_days: set[date], data: st.DataObject
) -> None:
    with_map = {day: data.draw(MOODS) for day in with_days}
    without_map = {day: data.draw(MOODS) for day in without_days}
    insight = analysis.factor_insight(with_map, without_map)
    both = with_days & without_days
    clean_with, clean_without = with_days - both, without_days - both
    if len(clean_with) < 3 or len(clean_without) < 3:
        assert insight is None
    else:
        assert insight is not None
        assert insight.days_with == len(clean_with) >= 3
        assert insight.days_without == len(clean_without) >= 3
        assert insight.average_with == pytest.approx(
            sum(with_map[day] for day in clean_with) / len(clean_with)
        )
        assert insight.average_without == pytest.approx(
            sum(without_map[day] for day in clean_without) / len(clean_without)
        )


@given(st.integers(0, 2), st.integers(0, 10))
def test_two_days_on_either_side_is_never_enough(few: int, many: int) -> None:
    start = date(2026, 3, 1)
    a = {start + timedelta(days=i): 9.0 for i in range(few)}
    b = {start + timedelta(days=100 + i): 2.0 for i in range(many)}
    assert analysis.factor_insight(a, b) is None
    assert analysis.factor_insight(b, a) is None


def test_insight_example() -> None:
    start = date(2026, 3, 1)
    slept = {start + timedelta(days=i): mood for i, mood in enumerate([7.0, 7.5, 6.8])}
    other = {start + timedelta(days=10 + i): mood for i, mood in enumerate([5.0, 5.5, 5.7])}
    insight = analysis.factor_insight(slept, other)
    assert insight is not None
    assert (insight.days_with, insight.days_without) == (3, 3)
    assert insight.average_with == pytest.approx(7.1)
    assert insight.average_without == pytest.approx(5.4)
    assert insight.difference == pytest.approx(1.7)


# --- Trend direction ----------------------------------------------------------------------------

TODAY = date(2026, 3, 31)


def _trend_series(recent: list[float], previous: list[float]) -> dict[date, float]:
    series = {TODAY - timedelta(days=i): value for i, value in enumerate(recent)}
    series.update({TODAY - timedelta(days=7 + i): value for i, value in enumerate(previous)})
    return series


@pytest.mark.parametrize(
    ("recent", "previous", "expected"),
    [
        ([7, 7, 7], [6, 6, 6], "rising"),
        ([6.5, 6.5, 6.5], [6, 6, 6], "rising"),
        ([6.4, 6.4, 6.4], [6, 6, 6], "steady"),
        ([5, 5, 5], [6, 6, 6], "falling"),
        ([5, 5], [6, 6, 6], None),
        ([5, 5, 5], [6, 6], None),
    ],
)
def test_mood_trend(recent: list[float], previous: list[float], expected: str | None) -> None:
    assert analysis.mood_trend(_trend_series(recent, previous), TODAY) == expected


@given(st.dictionaries(st.dates(min_value=date(2026, 2, 1), max_value=date(2026, 4, 30)), MOODS))
def test_mood_trend_needs_three_days_on_each_side(series: dict[date, float]) -> None:
    recent = [day for day in series if TODAY - timedelta(days=6) <= day <= TODAY]
    previous = [
        day for day in series if TODAY - timedelta(days=20) <= day < TODAY - timedelta(days=6)
    ]
    trend = analysis.mood_trend(series, TODAY)
    if len(recent) < 3 or len(previous) < 3:
        assert trend is None
    else:
        assert trend in ("rising", "steady", "falling")

"""Streaks and counts: local days, travel, DST nights (hypothesis for the streak rules)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from loom.journal import services
from loom.journal.days import local_day_of, local_today
from loom.journal.models import Entry
from loom.journal.stats import current_streak, journal_stats, longest_streak, week_start
from tests.journal.journal_helpers import entry_on
from tests.world import World

TODAY = date(2026, 6, 15)
days_back = st.sets(st.integers(min_value=0, max_value=60), max_size=40)


def _brute_current(days: set[date], today: date) -> int:
    start = today if today in days else today - timedelta(days=1)
    count = 0
    while start - timedelta(days=count) in days:
        count += 1
    return count


def _brute_longest(days: set[date]) -> int:
    best = 0
    for day in days:
        run = 0
        while day + timedelta(days=run) in days:
            run += 1
        best = max(best, run)
    return best


@given(days_back)
def test_streaks_match_a_brute_force_count(offsets: set[int]) -> None:
    days = {TODAY - timedelta(days=n) for n in offsets}
    assert current_streak(days, TODAY) == _brute_current(days, TODAY)
    assert longest_streak(days) == _brute_longest(days)
    assert current_streak(days, TODAY) <= longest_streak(days)


@given(days_back)
def test_a_day_without_an_entry_yet_does_not_break_the_streak(offsets: set[int]) -> None:
    days = {TODAY - timedelta(days=n) for n in offsets if n > 0}
    with_today = days | {TODAY}
    # Writing today adds exactly one day to yesterday's streak.
    assert current_streak(with_today, TODAY) == current_streak(days, TODAY) + 1


def test_streak_examples() -> None:
    assert current_streak([], TODAY) == 0
    assert current_streak([TODAY - timedelta(days=2)], TODAY) == 0
    assert current_streak([TODAY - timedelta(days=1), TODAY - timedelta(days=2)], TODAY) == 2
    assert longest_streak([TODAY, TODAY, TODAY - timedelta(days=5)]) == 1


def test_week_starts_on_sunday_in_english() -> None:
    assert week_start(date(2026, 6, 17)) == date(2026, 6, 14)  # Wednesday → Sunday
    assert week_start(date(2026, 6, 14)) == date(2026, 6, 14)


_COUNTER = itertools.count()
ZONES = [
    "Asia/Tokyo",
    "America/New_York",
    "Asia/Jerusalem",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "UTC",
]


@pytest.mark.django_db
@settings(max_examples=15, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    minutes=st.lists(st.integers(min_value=0, max_value=10 * 24 * 60), min_size=1, max_size=8),
)
def test_entries_count_the_day_of_the_zone_they_were_written_in(
    zone: str, minutes: list[int]
) -> None:
    from tests.world import make_user

    client = make_user(
        f"traveller{next(_COUNTER)}@example.com", role="client", full_name="C", tz=zone
    )
    start = datetime(2026, 3, 1, tzinfo=UTC)
    expected: set[date] = set()
    for offset in minutes:
        moment = start + timedelta(minutes=offset)
        with time_machine.travel(moment, tick=False):
            services.entry_create(author=client, body="x")
        expected.add(local_day_of(zone, moment))
    assert set(Entry.objects.filter(author=client).values_list("written_on", flat=True)) == expected
    last = start + timedelta(minutes=max(minutes))
    stats = journal_stats(client, today=local_day_of(zone, last))
    assert stats.current_streak == _brute_current(expected, local_day_of(zone, last))
    assert stats.longest_streak == _brute_longest(expected)
    Entry.objects.filter(author=client).delete()


def test_travel_keeps_written_on(world: World) -> None:
    avi = world.avi
    # Written in Tokyo late on the 10th (local), then the client flies to New York.
    avi.timezone = "Asia/Tokyo"
    avi.save(update_fields=["timezone"])
    with time_machine.travel(datetime(2026, 5, 10, 14, 30, tzinfo=UTC), tick=False):  # 23:30 Tokyo
        tokyo = services.entry_create(author=avi, body="Tokyo night").entry
    avi.timezone = "America/New_York"
    avi.save(update_fields=["timezone"])
    with time_machine.travel(datetime(2026, 5, 11, 2, 0, tzinfo=UTC), tick=False):  # 22:00 NY, 10th
        new_york = services.entry_create(author=avi, body="New York evening").entry
        today = local_today(avi)
    tokyo.refresh_from_db()
    assert tokyo.written_on == date(2026, 5, 10)
    assert new_york.written_on == date(2026, 5, 10)
    assert today == date(2026, 5, 10)
    assert journal_stats(avi, today=today).current_streak == 1


@pytest.mark.parametrize(
    ("zone", "night"),
    [
        ("America/New_York", datetime(2026, 3, 8, tzinfo=ZoneInfo("America/New_York"))),
        ("America/New_York", datetime(2026, 11, 1, tzinfo=ZoneInfo("America/New_York"))),
        ("Asia/Jerusalem", datetime(2026, 3, 27, tzinfo=ZoneInfo("Asia/Jerusalem"))),
        ("Asia/Jerusalem", datetime(2026, 10, 25, tzinfo=ZoneInfo("Asia/Jerusalem"))),
    ],
)
def test_dst_nights_keep_the_streak(world: World, zone: str, night: datetime) -> None:
    avi = world.avi
    avi.timezone = zone
    avi.save(update_fields=["timezone"])
    # 23:30 local before the change, then 00:30 and 23:30 local of the day of the change.
    instants = [
        (night - timedelta(minutes=30)).astimezone(UTC),
        (night + timedelta(hours=1, minutes=30)).astimezone(UTC),
        night.replace(hour=23, minute=30).astimezone(UTC),
    ]
    for moment in instants:
        with time_machine.travel(moment, tick=False):
            services.entry_create(author=avi, body="x")
    days = sorted(set(Entry.objects.values_list("written_on", flat=True)))
    assert days == [night.date() - timedelta(days=1), night.date()]
    stats = journal_stats(avi, today=night.date())
    assert (stats.current_streak, stats.longest_streak, stats.total) == (2, 2, 3)


def test_counts_average_and_most_noticed(world: World) -> None:
    today = local_today(world.avi)
    entry_on(world.avi, today, mood=8, emotions=["calm", "grateful"], body_areas=["chest"])
    entry_on(world.avi, today, mood=6, emotions=["calm"], body_areas=["chest", "throat"])
    entry_on(world.avi, today - timedelta(days=40), mood=1, emotions=["sad"])
    entry_on(world.noa, today, mood=1, emotions=["sad"])
    with CaptureQueriesContext(connection) as queries:
        stats = journal_stats(world.avi, today=today)
    assert len(queries) == 3
    assert stats.total == 3
    assert stats.average_mood == 7.0
    assert [(n.key, n.count) for n in stats.top_emotions][:2] == [("calm", 2), ("grateful", 1)]
    assert stats.top_zones[0].key == "chest" and stats.top_zones[0].label == "Chest"
    assert stats.wrote_today and stats.current_streak == 1
    assert stats.this_month >= 2

"""The daily activity rollup, worked out by hand, and incremental = full rebuild."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from loom.accounts.models import User
from loom.analytics import activity
from loom.analytics.activity import activity_rebuild, activity_rollup, day_bounds
from loom.analytics.models import DailyActivity, Event, EventName, RollupState
from loom.analytics.rollup import RollupResult
from tests.world import World

pytestmark = pytest.mark.django_db

FIELDS = (
    "day",
    "user_id",
    "role",
    "events",
    "actions",
    "page_views",
    "visits",
    "visit_seconds",
    "first_at",
    "last_at",
)


@pytest.fixture(params=["sql", "python"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both ways of computing a day: the PostgreSQL statement and the Python fallback
    (SQLite) must give the same rows."""
    from django.db import connection

    if request.param == "sql" and connection.vendor != "postgresql":
        pytest.skip("the set-based statement is PostgreSQL's")
    if request.param == "python":
        monkeypatch.setattr(activity, "_is_postgres", lambda: False)
    yield request.param


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _events(user: User, *items: tuple[str, str], role: str | None = None) -> None:
    Event.objects.bulk_create(
        Event(user=user, role=role or user.role, name=name, occurred_at=_at(at))
        for at, name in items
    )


def _rows() -> dict[tuple[int, date], dict[str, Any]]:
    return {
        (row["user_id"], row["day"]): row
        for row in DailyActivity.objects.values(*FIELDS).order_by("user_id", "day")
    }


def test_visits_split_by_the_timeout_gap(world: World, engine: str, settings: Any) -> None:
    settings.ANALYTICS_TIME_ZONE = "UTC"
    settings.ANALYTICS_VISIT_TIMEOUT_MINUTES = 30
    _events(
        world.avi,
        ("2026-03-02T09:00:00", EventName.SIGN_IN),
        ("2026-03-02T09:10:00", EventName.PAGE_VIEW),
        ("2026-03-02T09:40:00", EventName.JOURNAL_ENTRY),  # a gap of exactly 30 min: same visit
        ("2026-03-02T10:10:01", EventName.PAGE_VIEW),  # 30 min 1 s: a new visit
        ("2026-03-02T10:19:30", EventName.CHECKIN),
        ("2026-03-02T15:00:00", EventName.PAGE_VIEW),  # a visit of one event: 0 s
    )
    _events(world.dana, ("2026-03-02T12:00:00", EventName.MESSAGE_SENT))
    result = activity_rollup(now=_at("2026-03-02T16:00:00"))
    assert (result.events_read, result.rows_written, result.periods) == (7, 2, 1)
    rows = _rows()
    avi = rows[(world.avi.pk, date(2026, 3, 2))]
    assert avi["events"] == 6
    assert avi["actions"] == 2  # the journal entry and the check-in
    assert avi["page_views"] == 3
    assert avi["visits"] == 3
    assert avi["visit_seconds"] == 40 * 60 + (9 * 60 + 29)
    assert avi["first_at"] == _at("2026-03-02T09:00:00")
    assert avi["last_at"] == _at("2026-03-02T15:00:00")
    assert avi["role"] == "client"
    dana = rows[(world.dana.pk, date(2026, 3, 2))]
    assert (dana["events"], dana["actions"], dana["visits"], dana["visit_seconds"]) == (1, 1, 1, 0)
    assert dana["role"] == "coach"


def test_midnight_is_the_reporting_zones(world: World, engine: str, settings: Any) -> None:
    # Jerusalem is UTC+2 in early March: 21:50 UTC is 23:50 there, 22:10 UTC is 00:10.
    settings.ANALYTICS_TIME_ZONE = "Asia/Jerusalem"
    _events(
        world.noa,
        ("2026-03-01T21:50:00", EventName.PAGE_VIEW),
        ("2026-03-01T22:10:00", EventName.PAGE_VIEW),
    )
    activity_rollup()
    rows = _rows()
    assert set(rows) == {(world.noa.pk, date(2026, 3, 1)), (world.noa.pk, date(2026, 3, 2))}
    # Twenty minutes apart, but visits are cut at midnight: two visits of 0 s.
    for row in rows.values():
        assert (row["events"], row["visits"], row["visit_seconds"]) == (1, 1, 0)


def test_a_dst_day_is_23_hours_long(world: World, engine: str, settings: Any) -> None:
    # New York springs forward on 8 March 2026: the day runs 05:00 UTC to 04:00 UTC.
    settings.ANALYTICS_TIME_ZONE = "America/New_York"
    start, end = day_bounds(date(2026, 3, 8))
    assert end - start == timedelta(hours=23)
    _events(
        world.dana,
        ("2026-03-08T04:59:59", EventName.PAGE_VIEW),  # 23:59:59 on the 7th
        ("2026-03-08T05:00:00", EventName.PAGE_VIEW),  # midnight, the 8th
        ("2026-03-08T06:50:00", EventName.PAGE_VIEW),  # 01:50 EST
        ("2026-03-08T07:10:00", EventName.BOOKING),  # 03:10 EDT: 20 minutes later
        ("2026-03-09T03:59:59", EventName.PAGE_VIEW),  # 23:59:59 EDT on the 8th
        ("2026-03-09T04:00:00", EventName.PAGE_VIEW),  # midnight, the 9th
    )
    activity_rollup()
    rows = _rows()
    days = {day: row for (_user, day), row in rows.items()}
    assert set(days) == {date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)}
    eighth = days[date(2026, 3, 8)]
    assert eighth["events"] == 4
    assert eighth["visits"] == 3  # midnight; 01:50–03:10 across the jump; 23:59:59
    assert eighth["visit_seconds"] == 20 * 60
    assert eighth["actions"] == 1


def test_role_is_that_of_the_last_event(world: World, engine: str) -> None:
    _events(world.avi, ("2026-03-02T09:00:00", EventName.PAGE_VIEW), role="client")
    _events(world.avi, ("2026-03-02T10:00:00", EventName.PAGE_VIEW), role="coach")
    activity_rollup()
    assert DailyActivity.objects.get().role == "coach"


def test_running_again_changes_nothing_and_adds_new_events(world: World, engine: str) -> None:
    _events(world.avi, ("2026-03-02T09:00:00", EventName.PAGE_VIEW))
    activity_rollup()
    first = _rows()
    activity_rollup()
    assert _rows() == first
    _events(world.avi, ("2026-03-02T09:05:00", EventName.CHECKIN))
    activity_rollup()
    row = DailyActivity.objects.get()
    assert (row.events, row.actions, row.visit_seconds) == (2, 1, 300)
    assert RollupState.objects.get(job="activity").last_event_id == Event.objects.latest("id").id


def test_an_idle_run_recomputes_nothing(world: World) -> None:
    _events(
        world.avi,
        ("2026-03-01T09:00:00", EventName.PAGE_VIEW),
        ("2026-03-02T09:00:00", EventName.PAGE_VIEW),
    )
    assert activity_rollup().periods == 2
    assert activity_rollup() == RollupResult()
    activity_rebuild()
    assert activity_rollup() == RollupResult()
    # Only the new event's day is recomputed, not the whole re-read window.
    _events(world.avi, ("2026-03-02T10:00:00", EventName.CHECKIN))
    result = activity_rollup()
    assert (result.periods, result.events_read) == (1, 2)


def test_a_run_rereads_only_the_people_with_new_events(world: World, engine: str) -> None:
    # At 5 million events a day, re-reading the whole day every five minutes (and
    # rewriting every row of it) would grow with the day; only the touched people are.
    _events(world.avi, *((f"2026-03-02T09:0{i}:00", EventName.PAGE_VIEW) for i in range(5)))
    _events(world.dana, ("2026-03-02T09:00:00", EventName.PAGE_VIEW))
    activity_rollup()
    dana_row = DailyActivity.objects.get(user=world.dana)
    _events(world.dana, ("2026-03-02T09:10:00", EventName.MESSAGE_SENT))
    result = activity_rollup()
    assert (result.periods, result.events_read, result.rows_written) == (1, 2, 1)
    incremental = _rows()
    assert incremental[(world.dana.pk, date(2026, 3, 2))]["events"] == 2
    assert DailyActivity.objects.get(user=world.dana).pk == dana_row.pk
    activity_rebuild()
    assert _rows() == incremental


def test_no_events_writes_nothing() -> None:
    assert activity_rollup().rows_written == 0
    assert not DailyActivity.objects.exists()


def test_late_committed_event_with_a_smaller_id_is_counted(world: World, engine: str) -> None:
    _events(
        world.avi,
        ("2026-03-02T09:00:00", EventName.PAGE_VIEW),
        ("2026-03-02T09:01:00", EventName.PAGE_VIEW),
        ("2026-03-02T09:02:00", EventName.PAGE_VIEW),
    )
    _first, late, last = Event.objects.order_by("id")
    # The middle id "had not committed yet" when the rollup ran.
    late_values = {"id": late.id, "user": world.avi, "role": "client", "name": "checkin"}
    late.delete()
    activity_rollup()
    assert DailyActivity.objects.get().events == 2
    assert RollupState.objects.get(job="activity").last_event_id == last.id
    Event.objects.create(occurred_at=_at("2026-03-02T09:01:30"), **late_values)
    activity_rollup()
    row = DailyActivity.objects.get()
    assert (row.events, row.actions) == (3, 1)


def test_events_later_than_the_reread_window_wait_for_a_rebuild(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(activity, "REREAD_IDS", 1)
    _events(
        world.avi,
        *((f"2026-03-0{day}T09:00:00", EventName.PAGE_VIEW) for day in range(1, 5)),
    )
    oldest = Event.objects.order_by("id").first()
    assert oldest is not None
    values = {"id": oldest.id, "user": world.avi, "role": "client", "name": "checkin"}
    oldest.delete()
    activity_rollup()
    Event.objects.create(occurred_at=_at("2026-03-01T09:00:00"), **values)
    activity_rollup()  # three ids newer: outside a window of one
    assert not DailyActivity.objects.filter(day=date(2026, 3, 1)).exists()
    activity_rebuild()
    assert DailyActivity.objects.get(day=date(2026, 3, 1)).actions == 1


def test_rebuild_since_a_day_keeps_earlier_rows(world: World) -> None:
    _events(
        world.avi,
        ("2026-03-01T09:00:00", EventName.PAGE_VIEW),
        ("2026-03-03T09:00:00", EventName.PAGE_VIEW),
    )
    activity_rollup()
    DailyActivity.objects.filter(day=date(2026, 3, 1)).update(events=99)
    DailyActivity.objects.filter(day=date(2026, 3, 3)).update(events=99)
    result = activity_rebuild(since=date(2026, 3, 2))
    assert result.periods == 1
    counts = dict(DailyActivity.objects.values_list("day", "events"))
    assert counts == {date(2026, 3, 1): 99, date(2026, 3, 3): 1}


def test_sql_and_python_agree_on_one_day(world: World, settings: Any) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("compares the PostgreSQL statement with the fallback")
    settings.ANALYTICS_TIME_ZONE = "Asia/Jerusalem"
    names = list(EventName.values)
    base = _at("2026-03-02T00:00:00")
    for index, user in enumerate((world.avi, world.noa, world.dana)):
        Event.objects.bulk_create(
            Event(
                user=user,
                role=user.role,
                name=names[(i * 7 + index) % len(names)],
                occurred_at=base + timedelta(minutes=(i * i * 13 + index * 5) % 1440, seconds=i),
            )
            for i in range(60)
        )
    zone = activity.reporting_zone()
    for day in (date(2026, 3, 1), date(2026, 3, 2)):
        activity._recompute_day(day, zone)
    by_sql = _rows()
    DailyActivity.objects.all().delete()
    for day in (date(2026, 3, 1), date(2026, 3, 2)):
        activity._recompute_day_python(day, *day_bounds(day, zone))
    assert _rows() == by_sql


# --- Incremental = full rebuild -----------------------------------------------------------

_event = st.tuples(
    st.integers(min_value=0, max_value=2),  # who
    st.integers(min_value=0, max_value=3 * 24 * 60),  # minutes into the three days
    st.sampled_from(list(EventName.values)),
)


@hsettings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batches=st.lists(st.lists(_event, min_size=0, max_size=15), min_size=1, max_size=5),
    zone=st.sampled_from(["UTC", "America/New_York", "Asia/Jerusalem"]),
    timeout=st.sampled_from([1, 30, 90]),
)
def test_incremental_equals_full_rebuild(
    world: World, settings: Any, batches: list[list[tuple[int, int, str]]], zone: str, timeout: int
) -> None:
    Event.objects.all().delete()
    DailyActivity.objects.all().delete()
    RollupState.objects.filter(job="activity").delete()
    settings.ANALYTICS_TIME_ZONE = zone
    settings.ANALYTICS_VISIT_TIMEOUT_MINUTES = timeout
    people = [world.avi, world.dana, world.maya]
    # Around New York's spring-forward night, so DST days are in play.
    base = _at("2026-03-07T00:00:00")
    for batch in batches:
        Event.objects.bulk_create(
            Event(
                user=people[who],
                role=people[who].role,
                name=name,
                occurred_at=base + timedelta(minutes=minute),
            )
            for who, minute, name in batch
        )
        activity_rollup()
    incremental = _rows()
    activity_rebuild()
    assert incremental == _rows()
    assert sum(row["events"] for row in incremental.values()) == sum(len(b) for b in batches)

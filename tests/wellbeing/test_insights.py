"""Factor insights from real rows: the 3-and-3 threshold, the half-point floor, the
order, the correlation wording, and each factor read on the client's local day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loom.wellbeing import insights
from loom.wellbeing.analysis import Insight
from loom.wellbeing.models import CheckIn
from tests.wellbeing.progress_factories import checkin, completed_session, entry

TODAY = date(2026, 3, 20)


def _days(count: int, *, offset: int = 0) -> list[date]:
    return [TODAY - timedelta(days=offset + index) for index in range(count)]


def test_sleep_insight_with_three_and_three(world) -> None:
    for day, mood in zip(_days(3), [7, 8, 7], strict=True):
        checkin(world.avi, day, mood=mood, sleep=7.5)
    for day, mood in zip(_days(3, offset=3), [5, 6, 5], strict=True):
        checkin(world.avi, day, mood=mood, sleep=5)
    found = insights.client_insights(world.avi, today=TODAY)
    sleep = [item for item in found if item.factor == "sleep"]
    assert len(sleep) == 1
    assert (sleep[0].insight.days_with, sleep[0].insight.days_without) == (3, 3)
    assert sleep[0].text == (
        "On days with 7+ hours of sleep your mood averaged 7.3, and 5.3 on other days."
    )
    assert "not what causes what" in sleep[0].note


def test_two_days_without_the_factor_is_not_enough(world) -> None:
    for day in _days(4):
        checkin(world.avi, day, mood=8, sleep=8)
    for day in _days(2, offset=4):
        checkin(world.avi, day, mood=3, sleep=4)
    assert [item.factor for item in insights.client_insights(world.avi, today=TODAY)] == []


def test_days_without_a_sleep_figure_are_on_neither_side(world) -> None:
    for day in _days(3):
        checkin(world.avi, day, mood=8, sleep=8)
    for day in _days(5, offset=3):
        checkin(world.avi, day, mood=3)  # no sleep figure
    assert [
        item for item in insights.client_insights(world.avi, today=TODAY) if item.factor == "sleep"
    ] == []


def test_small_differences_are_not_insights(world) -> None:
    for day in _days(3):
        checkin(world.avi, day, mood=6, sleep=8)
    for day in _days(3, offset=3):
        checkin(world.avi, day, mood=6, sleep=5)
    assert insights.client_insights(world.avi, today=TODAY) == []


def test_journal_practice_session_and_coping_factors(world) -> None:
    avi = world.avi  # Asia/Jerusalem
    good, bad = _days(4), _days(4, offset=4)
    for day in good:
        checkin(avi, day, mood=8, coping="breathing")
        entry(avi, day, practices=["body_scan"])
        # 09:00 UTC is noon in Jerusalem: the same local day.
        completed_session(
            world.dana,
            avi,
            datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9),
        )
    for day in bad:
        checkin(avi, day, mood=4)
    found = {item.factor: item for item in insights.client_insights(avi, today=TODAY)}
    assert set(found) == {"journal", "practice", "session", "coping"}
    for item in found.values():
        assert item.insight.average_with == 8
        assert item.insight.average_without == 4
    assert "coaching session" in found["session"].text
    assert "wrote in your journal" in found["journal"].text


def test_a_session_counts_on_the_clients_local_day(world) -> None:
    avi = world.avi
    for day in _days(6):
        checkin(avi, day, mood=5)
    # 23:30 UTC on the 19th is 01:30 on the 20th in Jerusalem: the 20th has the session.
    completed_session(world.dana, avi, datetime(2026, 3, 19, 23, 30, tzinfo=UTC))
    days = insights._session_days(avi, TODAY - timedelta(days=10), TODAY)
    assert days == {date(2026, 3, 20)}


def test_insights_are_sorted_by_the_size_of_the_difference() -> None:
    small = Insight(average_with=6.0, average_without=5.0, days_with=3, days_without=3)
    large = Insight(average_with=4.0, average_without=7.0, days_with=3, days_without=3)
    tiny = Insight(average_with=6.0, average_without=5.8, days_with=3, days_without=3)
    ranked = insights.rank({"sleep": small, "journal": large, "coping": tiny, "practice": None})
    assert [item.factor for item in ranked] == ["journal", "sleep"]


def test_insights_take_a_constant_number_of_queries(world, django_assert_num_queries) -> None:
    for day in _days(30):
        checkin(world.avi, day, mood=5, sleep=8 if day.day % 2 else 5)
        entry(world.avi, day)
    with django_assert_num_queries(4):
        insights.client_insights(world.avi, today=TODAY)


def test_nobody_elses_rows_count(world) -> None:
    for day in _days(3):
        checkin(world.avi, day, mood=9, sleep=8)
        checkin(world.noa, day, mood=1, sleep=8)
    for day in _days(3, offset=3):
        checkin(world.avi, day, mood=4, sleep=5)
    found = insights.client_insights(world.avi, today=TODAY)
    assert found[0].insight.average_with == 9


@pytest.mark.django_db
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.integers(1, 10), st.booleans()),
        max_size=14,
        unique_by=lambda row: row[0],
    )
)
def test_no_insight_below_three_and_three_from_the_database(world, rows) -> None:
    CheckIn.objects.filter(client=world.avi).delete()
    for offset, mood, slept in rows:
        checkin(world.avi, TODAY - timedelta(days=offset), mood=mood, sleep=8 if slept else 5)
    with_days = sum(1 for _offset, _mood, slept in rows if slept)
    without_days = len(rows) - with_days
    sleep = [
        item for item in insights.client_insights(world.avi, today=TODAY) if item.factor == "sleep"
    ]
    if with_days < 3 or without_days < 3:
        assert sleep == []
    for item in sleep:
        assert item.insight.days_with >= 3 and item.insight.days_without >= 3
        assert abs(item.difference) >= 0.5

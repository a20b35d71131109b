"""Review of the coach analytics page: input that used to crash it, the merged session
query against the per-range ones, last activity from the newest day, and time zones
(a coach in Asia/Jerusalem against one in America/New_York, the last day inclusive)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db.models import Max

from loom.analytics import selectors_coach as selectors
from loom.analytics.models import DailyActivity
from loom.analytics.tables import table_for
from loom.scheduling.models import SessionStatus
from tests.analytics.test_coach_support import (
    JERUSALEM,
    NOW,
    NY,
    activity,
    build_practice,
    make_session,
)
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

URL = "/coach/analytics/"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def custom(coach, start: date, end: date) -> selectors.Choice:
    return selectors.choice_from_query(
        coach,
        {"range": "custom", "start": start.isoformat(), "end": end.isoformat()},
        now=NOW,
    )


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize(
    "query",
    [
        {"range": "custom", "start": "0001-01-01", "end": "0001-01-02"},
        {"start": "0002-01-01", "end": "0003-01-01"},
        {"range": "custom", "start": "0001-01-03", "end": "0001-01-04"},
        {"range": "custom", "start": "1999-12-31", "end": "2000-01-02"},
    ],
)
def test_dates_before_2000_are_a_form_error_not_an_error_page(world, query) -> None:
    # The previous range of a range starting on 1 January 1 is before year 1
    # (OverflowError: a 500); Eli's local midnight of 1 January 1 is before it in UTC.
    for coach in (world.dana, world.eli):
        response = signed_in(coach).get(URL, query)
        assert response.status_code == 200
        assert "alert-danger" in response.content.decode()
        assert not response.context["choice"].valid
        assert "start" in response.context["form"].errors
    # An export asked with the same values gets the default range, not an exception.
    assert len(list(table_for("coach_sessions_per_week").rows(world.dana, query))) == 12


def test_the_first_allowed_day_is_accepted(world) -> None:
    choice = custom(world.dana, date(2000, 1, 1), date(2000, 1, 31))
    assert choice.valid and choice.range.start == date(2000, 1, 1)
    assert choice.range.previous().end == date(1999, 12, 31)


@pytest.mark.parametrize(
    "chosen",
    [
        ("4", None, None),
        ("12", None, None),
        # A custom range starting on a Wednesday: its previous range ends on a Tuesday,
        # so one local week holds sessions of both ranges.
        ("custom", date(2026, 10, 28), date(2026, 11, 18)),
        ("custom", date(2026, 11, 2), date(2026, 11, 2)),
    ],
)
def test_the_merged_session_query_gives_the_per_range_figures(db, chosen) -> None:
    practice = build_practice()
    dana = practice.world.dana
    key, start, end = chosen
    if key == "custom":
        choice = custom(dana, start, end)
    else:
        choice = selectors.choice_from_query(dana, {"range": key}, now=NOW)
    assert choice.valid
    weeks, totals, previous = selectors.sessions_with_totals(dana, choice.range, now=NOW)
    assert weeks == selectors.sessions_per_week(dana, choice.range, now=NOW)
    assert totals == selectors.session_totals(dana, choice.range, now=NOW)
    assert previous == selectors.session_totals(dana, choice.range.previous(), now=NOW)


def test_the_merged_query_splits_a_week_shared_by_both_ranges(db) -> None:
    practice = build_practice()
    dana = practice.world.dana
    # Wednesday 28 October to Wednesday 18 November: the previous range is 6 to 27
    # October; Tuesday 27 October (Avi, completed) is the previous range's, in the week
    # of 26 October, and Wednesday 28 October (Noa's no-show) is this range's.
    choice = custom(dana, date(2026, 10, 28), date(2026, 11, 18))
    weeks, totals, previous = selectors.sessions_with_totals(dana, choice.range, now=NOW)
    first = weeks[0]
    assert first.week == date(2026, 10, 26)
    assert (first.counts.completed, first.counts.no_shows) == (1, 1)  # 1 Nov, 28 Oct
    assert first.counts.cancelled_by_client == 1  # Avi's late cancellation, 29 Oct
    assert previous.completed == 4  # 20, 21, 25 (23:30 EDT) and 27 October
    assert previous.no_shows == 1  # 22 October
    assert totals.no_shows == 1


def test_last_activity_is_the_latest_moment_from_the_newest_day(db) -> None:
    practice = build_practice()
    world = practice.world
    avi = world.avi
    # An older day first, then a newer one: the newest day's last moment wins.
    activity(avi, NOW - timedelta(days=10))
    activity(avi, NOW - timedelta(days=3))
    rows = {
        row.client_id: row
        for row in selectors.client_engagement(
            world.dana, selectors.preset_range(world.dana, "4", now=NOW), now=NOW
        )
    }
    expected = DailyActivity.objects.filter(user=avi).aggregate(last=Max("last_at"))["last"]
    assert rows[avi.pk].last_activity == expected == NOW - timedelta(days=1)
    assert rows[world.noa.pk].last_activity == NOW - timedelta(days=50)


def test_weeks_and_the_last_day_follow_the_coachs_own_zone(world) -> None:
    dana, eli, avi, maya = world.dana, world.eli, world.avi, world.maya
    # Monday 16 November 00:30 in Jerusalem is Sunday 15 November 17:30 in New York.
    moment = datetime(2026, 11, 16, 0, 30, tzinfo=JERUSALEM)
    make_session(eli, maya, moment)
    make_session(dana, avi, moment)
    # The last day inclusive: 23:30 on Thursday 19 November counts, Friday's midnight not.
    make_session(eli, maya, datetime(2026, 11, 19, 23, 30, tzinfo=JERUSALEM))
    make_session(eli, maya, datetime(2026, 11, 20, 0, 0, tzinfo=JERUSALEM))
    make_session(dana, avi, datetime(2026, 11, 19, 23, 30, tzinfo=NY))
    make_session(dana, avi, datetime(2026, 11, 20, 0, 0, tzinfo=NY))

    def by_week(coach) -> dict[date, int]:
        chosen = custom(coach, date(2026, 11, 9), date(2026, 11, 19)).range
        return {
            row.week: row.counts.completed
            for row in selectors.sessions_per_week(coach, chosen, now=NOW)
        }

    assert by_week(eli) == {date(2026, 11, 9): 0, date(2026, 11, 16): 2}
    assert by_week(dana) == {date(2026, 11, 9): 1, date(2026, 11, 16): 1}


def test_a_coach_east_of_utc_gets_tomorrow_before_utc_does(world) -> None:
    # 22:30 UTC on Sunday 22 November is already Monday 23 November in Jerusalem (a new
    # ISO week), still Sunday in New York.
    late = datetime(2026, 11, 22, 22, 30, tzinfo=UTC)
    with time_machine.travel(late, tick=False):
        eli = selectors.preset_range(world.eli, "4", now=late)
        dana = selectors.preset_range(world.dana, "4", now=late)
        assert (eli.start, eli.end) == (date(2026, 11, 2), date(2026, 11, 23))
        assert (dana.start, dana.end) == (date(2026, 10, 26), date(2026, 11, 22))
        # Monday in Jerusalem is a valid end, not "after today", for Eli only.
        monday = {"start": "2026-11-23", "end": "2026-11-23"}
        assert selectors.choice_from_query(world.eli, monday, now=late).valid
        assert not selectors.choice_from_query(world.dana, monday, now=late).valid


def test_sessions_still_requested_or_declined_never_count_in_the_merged_query(world) -> None:
    dana, avi = world.dana, world.avi
    make_session(
        dana, avi, datetime(2026, 11, 17, 10, tzinfo=NY), SessionStatus.REQUESTED, confirmed=False
    )
    make_session(
        dana, avi, datetime(2026, 11, 17, 12, tzinfo=NY), SessionStatus.DECLINED, confirmed=False
    )
    chosen = selectors.preset_range(dana, "4", now=NOW)
    weeks, totals, previous = selectors.sessions_with_totals(dana, chosen, now=NOW)
    assert totals == previous == selectors.SessionCounts()
    assert all(row.counts == selectors.SessionCounts() for row in weeks)


def test_a_reply_the_coach_deleted_does_not_answer_the_client(db) -> None:
    from loom.messaging.models import Conversation
    from tests.analytics.test_coach_support import message

    practice = build_practice()
    dana, avi = practice.world.dana, practice.world.avi
    # Avi has waited since 17 November; Dana replied an hour ago and deleted the reply.
    reply = message(
        Conversation.objects.get(coach=dana, client=avi), dana, NOW - timedelta(hours=1)
    )
    chosen = selectors.preset_range(dana, "4", now=NOW)

    def waiting() -> dict[int, datetime | None]:
        rows = selectors.client_engagement(dana, chosen, now=NOW)
        return {row.client_id: row.unanswered_since for row in rows}

    assert waiting()[avi.pk] is None  # the reply answers him
    reply.deleted_at = NOW - timedelta(minutes=30)
    reply.save(update_fields=["deleted_at"])
    assert waiting()[avi.pk] == datetime(2026, 11, 17, 10, tzinfo=UTC)

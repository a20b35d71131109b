"""The coach analytics' numbers on the hand-built practice of ``test_coach_support``
(sessions in every state across weeks in New York time, a DST week), the range
rules, sharing, attention reasons and scoping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.http import QueryDict
from hypothesis import given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st

from loom.accounts.models import CoachClient
from loom.analytics import selectors_coach as selectors
from loom.analytics.models import DailyActivity
from loom.scheduling.models import SessionStatus
from loom.wellbeing.models import SharingPreference
from tests.analytics.test_coach_support import NOW, NY, build_practice, ny

pytestmark = pytest.mark.django_db


def four_weeks(coach):
    return selectors.preset_range(coach, "4", now=NOW)


def by_name(rows):
    return {row.name: row for row in rows}


# --- Range -------------------------------------------------------------------------------


def test_preset_covers_whole_weeks_up_to_today_in_the_coachs_zone(world) -> None:
    chosen = four_weeks(world.dana)
    assert (chosen.start, chosen.end) == (date(2026, 10, 26), date(2026, 11, 20))
    assert chosen.days == 26
    assert chosen.weeks() == [
        date(2026, 10, 26),
        date(2026, 11, 2),
        date(2026, 11, 9),
        date(2026, 11, 16),
    ]
    # Local midnights, whatever the offset that day (EDT on the 26th, EST after 1 Nov).
    assert chosen.start_at == datetime(2026, 10, 26, tzinfo=NY)
    assert chosen.start_at.utcoffset() == timedelta(hours=-4)
    assert chosen.end_at == datetime(2026, 11, 21, tzinfo=NY)
    assert chosen.end_at.utcoffset() == timedelta(hours=-5)
    previous = chosen.previous()
    assert (previous.start, previous.end) == (date(2026, 9, 30), date(2026, 10, 25))


def test_today_is_the_coachs_today_not_utcs(world) -> None:
    # 02:00 UTC on the 21st is still 21:00 on the 20th in New York.
    late = datetime(2026, 11, 21, 2, tzinfo=UTC)
    assert selectors.coach_today(world.dana, now=late) == date(2026, 11, 20)
    assert selectors.preset_range(world.dana, "4", now=late).end == date(2026, 11, 20)


def test_an_empty_query_is_the_default_twelve_weeks(world) -> None:
    choice = selectors.choice_from_query(world.dana, QueryDict(""), now=NOW)
    assert choice.valid and choice.range.key == "12"
    assert choice.range.start == date(2026, 8, 31)
    assert choice.attention_days == 14


def test_custom_range(world) -> None:
    query = QueryDict("range=custom&start=2026-01-01&end=2026-03-31&attention=30")
    choice = selectors.choice_from_query(world.dana, query, now=NOW)
    assert choice.valid
    assert (choice.range.start, choice.range.end, choice.range.key) == (
        date(2026, 1, 1),
        date(2026, 3, 31),
        "custom",
    )
    assert choice.attention_days == 30
    assert choice.params() == {
        "range": "custom",
        "start": "2026-01-01",
        "end": "2026-03-31",
        "attention": "30",
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("range=custom&start=2026-03-01&end=2026-02-01", "end"),  # to before from
        ("range=custom&start=2024-01-01&end=2026-11-20", "end"),  # more than two years
        ("range=custom&start=2026-11-01&end=2026-11-21", "end"),  # tomorrow
        ("range=custom&start=2026-11-21&end=2026-11-22", "start"),  # all in the future
        ("range=custom&start=2026-02-30&end=2026-03-01", "start"),  # no such day
        ("range=custom&start=yesterday&end=2026-03-01", "start"),  # not a date
        ("range=custom&start=&end=2026-03-01", "__all__"),  # one date missing
        ("range=custom", "__all__"),  # both missing
        ("range=13", "range"),  # not a preset
        ("range=4&attention=9", "attention"),  # not a threshold on offer
        ("range=4&attention=-1", "attention"),
        ("range=%00&start=%00", "range"),
        ("range=custom&start=99999-01-01&end=2026-03-01", "start"),
    ],
)
def test_bad_ranges_give_form_errors_and_the_default(world, query: str, field: str) -> None:
    choice = selectors.choice_from_query(world.dana, QueryDict(query), now=NOW)
    assert not choice.valid
    assert field in choice.form.errors
    assert choice.range.key == "12"
    assert choice.range.end == date(2026, 11, 20)


def test_two_years_exactly_is_allowed(world) -> None:
    query = QueryDict("range=custom&start=2024-11-20&end=2026-11-19")
    choice = selectors.choice_from_query(world.dana, query, now=NOW)
    assert choice.valid and choice.range.days == 730


def test_dates_alone_mean_a_custom_range(world) -> None:
    choice = selectors.choice_from_query(
        world.dana, QueryDict("start=2026-11-01&end=2026-11-07"), now=NOW
    )
    assert choice.valid and choice.range.key == "custom"


def test_a_configured_threshold_is_offered_and_is_the_default(world, settings) -> None:
    settings.ANALYTICS_ATTENTION_DAYS = 21
    assert selectors.attention_choices() == (7, 14, 21, 30)
    assert selectors.choice_from_query(world.dana, QueryDict(""), now=NOW).attention_days == 21


# --- Sessions ----------------------------------------------------------------------------


def test_sessions_per_week_in_new_york_weeks_across_the_dst_change(db) -> None:
    practice = build_practice()
    weeks = selectors.sessions_per_week(
        practice.world.dana, four_weeks(practice.world.dana), now=NOW
    )
    figures = {
        row.week: (
            row.counts.completed,
            row.counts.cancelled_by_client,
            row.counts.late_cancellations,
            row.counts.cancelled_by_coach,
            row.counts.no_shows,
            row.counts.scheduled,
            row.counts.completion_rate,
            row.counts.upcoming,
        )
        for row in weeks
    }
    assert figures == {
        # Avi 27 Oct and Noa on the DST Sunday (already Monday in UTC); a late
        # cancellation and a no-show: 2 of 4 scheduled.
        date(2026, 10, 26): (2, 1, 1, 0, 1, 4, 50.0, 0),
        # Avi's Monday session and Dana's cancellation are scheduled; Noa's cancelled
        # request is a cancellation by the client but was never scheduled.
        date(2026, 11, 2): (1, 1, 0, 1, 0, 2, 50.0, 0),
        # The group session counts once; the session with Zed, archived since, is
        # still Dana's work (Zed never shows by name).
        date(2026, 11, 9): (2, 0, 0, 0, 0, 2, 100.0, 0),
        # A past session still open counts as scheduled and not completed; the
        # upcoming one does not count yet.
        date(2026, 11, 16): (0, 0, 0, 0, 0, 1, 0.0, 1),
    }


def test_an_empty_week_is_shown_with_no_rate(world) -> None:
    weeks = selectors.sessions_per_week(world.dana, four_weeks(world.dana), now=NOW)
    assert len(weeks) == 4
    assert all(row.counts.scheduled == 0 and row.counts.completion_rate is None for row in weeks)


def test_totals_against_the_previous_range(db) -> None:
    practice = build_practice()
    dana = practice.world.dana
    chosen = four_weeks(dana)
    current = selectors.session_totals(dana, chosen, now=NOW)
    previous = selectors.session_totals(dana, chosen.previous(), now=NOW)
    assert (current.completed, current.no_shows, current.cancelled_by_client) == (5, 1, 2)
    assert (current.cancelled_by_coach, current.late_cancellations, current.scheduled) == (1, 1, 9)
    assert current.completion_rate == pytest.approx(100 * 5 / 9)
    # 20, 21 and 25 Oct (23:30 EDT: the 26th in UTC, still the previous range here).
    assert (previous.completed, previous.no_shows, previous.scheduled) == (3, 1, 4)
    assert previous.completion_rate == 75.0
    comparisons = {item.label: item for item in selectors.compare_totals(current, previous)}
    assert comparisons["Completed sessions"].change == 2
    assert comparisons["Completion rate"].change == pytest.approx(100 * 5 / 9 - 75)
    assert comparisons["No-shows"].change == 0


# --- Clients -----------------------------------------------------------------------------


def test_engagement_figures_per_client(db) -> None:
    practice = build_practice()
    dana = practice.world.dana
    rows = by_name(selectors.client_engagement(dana, four_weeks(dana), now=NOW))
    assert set(rows) == {"Avi Mizrahi", "Noa Peretz"}  # not Eli's Maya, not archived Zed
    avi, noa = rows["Avi Mizrahi"], rows["Noa Peretz"]
    assert avi.last_activity == NOW - timedelta(days=1)
    assert noa.last_activity == NOW - timedelta(days=50)
    # 27 Oct, 2 Nov and the group session on 10 Nov; Noa: the DST Sunday and the group.
    assert (avi.sessions_completed, noa.sessions_completed) == (3, 2)
    assert (avi.no_shows, noa.no_shows) == (0, 1)
    assert avi.next_session == ny(11, 20, 15)
    assert noa.next_session is None  # her 18 Nov session is in the past
    assert avi.shares_checkins and avi.checkin_streak == 3
    assert avi.last_checkin is not None and avi.mood_falling
    # Noa has the same check-ins but does not share them: nothing about them shows.
    assert not noa.shares_checkins
    assert (noa.checkin_streak, noa.last_checkin, noa.mood_falling) == (None, None, False)
    assert (avi.resources_completed, noa.resources_completed) == (1, 0)
    # Both directions in the range: 15 Nov (Avi, Dana) and 17 Nov; not 1 Oct.
    assert (avi.messages, noa.messages) == (3, 1)
    assert (avi.open_action_items, noa.open_action_items) == (1, 0)


def test_a_client_who_stops_sharing_loses_the_checkin_figures(db) -> None:
    practice = build_practice()
    avi = practice.world.avi
    SharingPreference.objects.filter(client=avi).update(share_checkins=False)
    dana = practice.world.dana
    row = by_name(selectors.client_engagement(dana, four_weeks(dana), now=NOW))["Avi Mizrahi"]
    assert (row.checkin_streak, row.last_checkin, row.mood_falling) == (None, None, False)


def test_another_coach_sees_only_their_own_clients(db) -> None:
    practice = build_practice()
    eli = practice.world.eli
    rows = selectors.client_engagement(eli, four_weeks(eli), now=NOW)
    assert [row.name for row in rows] == ["Maya Friedman"]
    assert rows[0].sessions_completed == 1
    assert rows[0].messages == 1
    totals = selectors.session_totals(eli, four_weeks(eli), now=NOW)
    assert (totals.completed, totals.no_shows, totals.cancelled) == (1, 0, 0)


def test_a_client_or_admin_gets_no_rows(db) -> None:
    practice = build_practice()
    for person in (practice.world.avi, practice.world.admin):
        assert selectors.client_engagement(person, four_weeks(person), now=NOW) == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Avi Mizrahi", "Noa Peretz"]),
        ("-name", ["Noa Peretz", "Avi Mizrahi"]),
        ("activity", ["Noa Peretz", "Avi Mizrahi"]),
        ("-activity", ["Avi Mizrahi", "Noa Peretz"]),
        ("-sessions", ["Avi Mizrahi", "Noa Peretz"]),
        ("sessions", ["Noa Peretz", "Avi Mizrahi"]),
        # Missing values last in both directions.
        ("next", ["Avi Mizrahi", "Noa Peretz"]),
        ("-streak", ["Avi Mizrahi", "Noa Peretz"]),
        ("streak", ["Avi Mizrahi", "Noa Peretz"]),
        ("-messages", ["Avi Mizrahi", "Noa Peretz"]),
        ("nonsense", ["Avi Mizrahi", "Noa Peretz"]),
        ("--name", ["Avi Mizrahi", "Noa Peretz"]),
    ],
)
def test_sorting(db, sort: str, expected: list[str]) -> None:
    practice = build_practice()
    dana = practice.world.dana
    rows = selectors.client_engagement(dana, four_weeks(dana), now=NOW)
    key, descending = selectors.parse_sort(sort)
    assert [row.name for row in selectors.sort_engagement(rows, key, descending)] == expected


# --- Attention ---------------------------------------------------------------------------


def test_attention_reasons(db) -> None:
    practice = build_practice()
    dana = practice.world.dana
    rows = selectors.client_engagement(dana, four_weeks(dana), now=NOW)
    items = {item.name: item for item in selectors.attention_list(rows, days=14, now=NOW)}
    assert set(items) == {"Avi Mizrahi", "Noa Peretz"}
    assert [(r.code, r.text) for r in items["Avi Mizrahi"].reasons] == [
        ("mood_falling", "Mood trend falling in shared check-ins"),
        ("unanswered", "Message waiting for your reply for 3 days"),
    ]
    # Noa: idle 50 days and a no-show. Her falling moods are not shared, and her
    # message is only 5 hours old.
    assert [(r.code, r.text) for r in items["Noa Peretz"].reasons] == [
        ("inactive", "No activity for 50 days"),
        ("no_show", "Missed 1 session in this range"),
    ]


def test_the_inactivity_threshold_is_chosen_per_request(db) -> None:
    practice = build_practice()
    dana = practice.world.dana
    DailyActivity.objects.filter(user=practice.world.noa).update(last_at=NOW - timedelta(days=20))
    rows = selectors.client_engagement(dana, four_weeks(dana), now=NOW)
    codes = {
        days: [
            r.code
            for item in selectors.attention_list(rows, days=days, now=NOW)
            for r in item.reasons
        ]
        for days in (14, 30)
    }
    assert "inactive" in codes[14]
    assert "inactive" not in codes[30]


def test_a_client_never_active_is_flagged_only_after_the_threshold(world) -> None:
    CoachClient.objects.filter(coach=world.dana).update(created_at=NOW - timedelta(days=1))
    rows = selectors.client_engagement(world.dana, four_weeks(world.dana), now=NOW)
    # On the roster since yesterday: not yet a concern.
    assert selectors.attention_list(rows, days=14, now=NOW) == []
    later = NOW + timedelta(days=15)
    rows = selectors.client_engagement(world.dana, four_weeks(world.dana), now=later)
    items = selectors.attention_list(rows, days=14, now=later)
    assert [(item.name, [r.code for r in item.reasons]) for item in items] == [
        ("Avi Mizrahi", ["never_active"]),
        ("Noa Peretz", ["never_active"]),
    ]
    assert items[0].reasons[0].text == "No activity recorded yet"


def test_a_reply_answers_the_waiting_messages(db) -> None:
    from loom.messaging.models import Conversation
    from tests.analytics.test_coach_support import message

    practice = build_practice()
    dana, avi = practice.world.dana, practice.world.avi
    message(Conversation.objects.get(coach=dana, client=avi), dana, NOW - timedelta(hours=1))
    rows = selectors.client_engagement(dana, four_weeks(dana), now=NOW)
    codes = [
        r.code for item in selectors.attention_list(rows, days=14, now=NOW) for r in item.reasons
    ]
    assert "unanswered" not in codes


# --- Resources ---------------------------------------------------------------------------


def test_resource_totals_for_the_same_range(db) -> None:
    practice = build_practice()
    dana = practice.world.dana
    totals = selectors.resource_totals(dana, four_weeks(dana))
    assert (totals.completions, totals.resources) == (1, 2)
    # The one completed on 1 October is in the previous range.
    assert selectors.resource_totals(dana, four_weeks(dana).previous()).completions == 1


def test_a_group_seat_can_be_the_next_session_and_deleted_messages_do_not_count(db) -> None:
    from loom.messaging.models import Message
    from tests.analytics.test_coach_support import make_session

    practice = build_practice()
    dana, noa = practice.world.dana, practice.world.noa
    make_session(dana, None, ny(11, 24), SessionStatus.SCHEDULED, seats=(noa,))
    Message.objects.filter(conversation__client=noa).update(deleted_at=NOW)
    rows = by_name(selectors.client_engagement(dana, four_weeks(dana), now=NOW))
    assert rows["Noa Peretz"].next_session == ny(11, 24)
    assert rows["Noa Peretz"].messages == 0
    assert rows["Noa Peretz"].unanswered_since is None


@settings_hypothesis(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2028, 12, 31)),
    end=st.dates(min_value=date(2020, 1, 1), max_value=date(2028, 12, 31)),
)
def test_any_pair_of_dates_is_either_a_valid_range_or_form_errors(start: date, end: date) -> None:
    from loom.accounts.models import User

    dana = User(timezone="America/New_York", role="coach")
    query = QueryDict(f"range=custom&start={start.isoformat()}&end={end.isoformat()}")
    choice = selectors.choice_from_query(dana, query, now=NOW)
    today = date(2026, 11, 20)
    expected = start <= end <= today and (end - start).days < selectors.MAX_RANGE_DAYS
    assert choice.valid == expected
    if expected:
        assert (choice.range.start, choice.range.end) == (start, end)
        assert choice.range.previous().end == start - timedelta(days=1)
        assert choice.range.weeks()[0] <= start and choice.range.weeks()[-1] <= end
    else:
        assert choice.form.errors and choice.range.key == selectors.DEFAULT_PRESET

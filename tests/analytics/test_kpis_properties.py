"""Hypothesis: the KPI engine's promises over random data, a bounded number of examples.

* Time zones: moving ``ANALYTICS_TIME_ZONE`` (or the people's own zones) moves which
  week a thing falls in, never whether it counts, for figures defined by exact durations
  (onboarding within 168 hours, reply times); each session lands in the week of its
  local date in the reporting zone.
* The 7th-day boundary: complete at 168:00:00 and before, not a second after.
* Coaches with no sessions: 0, not NULL, and never a division by zero.
* Empty periods: a share or mean over nothing is NULL with a denominator of 0.
* Incremental runs at any points in time end with the same table as a full rebuild.

Each example runs in a transaction that is rolled back, on the one test database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from loom.analytics.kpi_catalog import KPI_BY_KEY
from loom.analytics.kpi_periods import local_date, reporting_zone, week_start
from loom.analytics.kpis import kpi_rollup
from loom.analytics.models import KpiValue
from loom.scheduling.models import SessionStatus
from tests.analytics.test_kpis_support import (
    W0,
    activity,
    at,
    client,
    coach,
    conversation,
    invitation,
    message,
    nps_answer,
    resource,
    session,
    share,
    view,
)

pytestmark = pytest.mark.django_db

ZONES = [
    "UTC",
    "Asia/Jerusalem",
    "America/New_York",  # summer time from Sunday 8 March 2026, inside the data
    "Australia/Lord_Howe",  # moves by 30 minutes
    "Pacific/Kiritimati",  # UTC+14
    "Pacific/Pago_Pago",  # UTC−11
]
BASE = datetime(2026, 3, 2, tzinfo=UTC)
SPAN = 14 * 24 * 3600  # seconds of data: two weeks from BASE
H168 = timedelta(hours=168)
D = timedelta(days=1)

PROPERTY_SETTINGS = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _in_rollback(fn: Any) -> None:
    """Run ``fn`` in a transaction that is always rolled back (one example's data)."""
    with transaction.atomic():
        fn()
        transaction.set_rollback(True)


def _sum(key: str, segment: str = "all") -> tuple[float, float, float]:
    rows = KpiValue.objects.filter(kpi=key, period="week", segment=segment)
    return (
        sum(r.numerator for r in rows),
        sum(r.denominator for r in rows),
        float(rows.count()),
    )


invitations_st = st.lists(
    st.tuples(
        st.integers(0, SPAN - 1),
        st.one_of(st.none(), st.integers(0, 10 * 24 * 3600)),
    ),
    min_size=1,
    max_size=6,
)
messages_st = st.lists(
    st.tuples(st.integers(0, 1), st.booleans(), st.integers(0, SPAN - 1)),
    max_size=10,
)
sessions_st = st.lists(st.integers(0, SPAN - 1), max_size=5)


def _response_oracle(messages: list[tuple[int, bool, int]]) -> tuple[int, int, float]:
    """Turns, answered turns and total reply hours, from the definition in the docs."""
    turns = answered = 0
    hours = 0.0
    for conv in (0, 1):
        thread = sorted(
            ((t, n, by_coach) for n, (c, by_coach, t) in enumerate(messages) if c == conv),
        )
        previous_by_coach: bool | None = None
        for t, _n, by_coach in thread:
            if not by_coach and previous_by_coach in (None, True):
                turns += 1
                replies = [r for r, _m, c in thread if c and t < r <= t + 30 * 24 * 3600]
                if replies:
                    answered += 1
                    hours += (min(replies) - t) / 3600
            previous_by_coach = by_coach
    return turns, answered, hours


@PROPERTY_SETTINGS
@given(
    zone=st.sampled_from(ZONES),
    people_zone=st.sampled_from(ZONES),
    invitations=invitations_st,
    messages=messages_st,
    sessions=sessions_st,
)
def test_reporting_zone_moves_weeks_but_not_duration_defined_counts(
    zone: str,
    people_zone: str,
    invitations: list[tuple[int, int | None]],
    messages: list[tuple[int, bool, int]],
    sessions: list[int],
) -> None:
    def run() -> None:
        inviter = coach(joined=BASE - 2 * D, tz=people_zone)
        for offset, done_after in invitations:
            created = BASE + timedelta(seconds=offset)
            if done_after is None:
                invitation(inviter, created=created)
            else:
                person = client(
                    joined=created,
                    onboarded=created + timedelta(seconds=done_after),
                    tz=people_zone,
                )
                invitation(inviter, created=created, accepted_by=person, accepted_at=created)
        clients = [client(joined=BASE - 2 * D, tz=people_zone) for _ in range(2)]
        conversations = [conversation(inviter, c) for c in clients]
        for conv, by_coach, offset in messages:
            sender = inviter if by_coach else clients[conv]
            message(conversations[conv], sender, BASE + timedelta(seconds=offset))
        starts = [BASE + timedelta(seconds=offset) for offset in sessions]
        for n, start in enumerate(starts):
            session(inviter, start, client_user=clients[n % 2])

        with override_settings(ANALYTICS_TIME_ZONE=zone):
            kpi_rollup(now=BASE + 50 * D)
            tz = reporting_zone()
        # Onboarding (clients): every invitation once; complete within 168 h.
        done = sum(1 for _, after in invitations if after is not None and after <= 168 * 3600)
        numerator, denominator, _ = _sum("onboarding_completion", "client")
        assert (numerator, denominator) == (done, len(invitations))
        # Replies: the same turns and hours, whichever weeks they fall in.
        turns, answered, hours = _response_oracle(messages)
        assert _sum("coach_response_unanswered")[:2] == (turns - answered, turns)
        total_hours, answered_n, _ = _sum("coach_response_hours")
        assert answered_n == answered
        assert total_hours == pytest.approx(hours, abs=1e-6)
        # Each session is in the week of its local date in the reporting zone.
        expected: dict[Any, int] = {}
        for start in starts:
            monday = week_start(local_date(start, tz))
            expected[monday] = expected.get(monday, 0) + 1
        found = {
            row.period_start: int(row.numerator)
            for row in KpiValue.objects.filter(kpi="sessions_per_coach", period="week")
            if row.numerator
        }
        assert found == expected

    _in_rollback(run)


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    start_offset=st.integers(0, 7 * 24 * 3600 - 1),
    delta=st.integers(-7200, 7200),
)
@example(start_offset=36000, delta=-60)  # 167:59
@example(start_offset=36000, delta=0)  # 168:00:00
@example(start_offset=36000, delta=1)  # 168:00:01
@example(start_offset=7 * 24 * 3600 - 1, delta=0)  # the week's last second
def test_complete_within_168_hours_inclusive(start_offset: int, delta: int) -> None:
    def run() -> None:
        inviter = coach(joined=at(W0) - 8 * D)
        moment = at(W0, 0) + timedelta(seconds=start_offset)
        finished = moment + H168 + timedelta(seconds=delta)
        person = client(joined=moment, onboarded=finished)
        invitation(inviter, created=moment, accepted_by=person, accepted_at=moment)
        coach(joined=moment, onboarded=finished)
        kpi_rollup(now=at(W0, 0) + 15 * D)
        expected = 1.0 if delta <= 0 else 0.0
        for segment in ("client", "coach"):
            row = KpiValue.objects.get(
                kpi="onboarding_completion", period="week", period_start=W0, segment=segment
            )
            assert (row.numerator, row.denominator, row.provisional) == (expected, 1.0, False)

    _in_rollback(run)


@PROPERTY_SETTINGS
@given(
    idle=st.integers(1, 5),
    busy=st.lists(st.lists(st.integers(0, 29), max_size=16), max_size=4),
)
def test_coaches_without_sessions_give_zero_not_null(idle: int, busy: list[list[int]]) -> None:
    w4 = W0 + 4 * 7 * D  # ends 6 April; its 30 days start on 7 March
    since = at(w4 + 7 * D, 0) - 30 * D

    def run() -> None:
        for _ in range(idle):
            coach(joined=since - D)
        for days in busy:
            k = coach(joined=since - D)
            for n, day in enumerate(days):
                session(k, since + day * D + timedelta(minutes=n))
        kpi_rollup(now=at(w4 + 7 * D, 0) + 8 * D)
        coaches = idle + len(busy)
        at_baseline = sum(1 for days in busy if len(days) >= 13)
        row = KpiValue.objects.get(kpi="coaches_at_baseline", period_start=w4)
        assert (row.numerator, row.denominator) == (at_baseline, coaches)
        assert row.value == pytest.approx(100 * at_baseline / coaches)  # never NULL here
        active = sum(1 for days in busy if days)
        in_week = sum(1 for days in busy for day in days if day >= 23)
        per_coach = KpiValue.objects.get(kpi="sessions_per_coach", period_start=w4)
        assert (per_coach.numerator, per_coach.denominator) == (in_week, active)
        if active:
            assert per_coach.value == pytest.approx(in_week / active)
        else:
            assert per_coach.value is None

    _in_rollback(run)


# KPIs whose denominator is made of things that happen in the period: in a period with
# nothing happening they are 0 over 0 and NULL.
COHORT_KPIS = {
    "onboarding_completion",
    "session_completion",
    "visit_minutes",
    "return_7d",
    "coach_resource_upload_14d",
    "client_resource_open_7d",
    "coach_response_hours",
    "coach_response_unanswered",
    "nps",
}


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    extra_days=st.integers(8, 40),
    busy=st.booleans(),
    scores=st.lists(st.integers(0, 10), max_size=3),
)
def test_empty_periods_are_null_over_zero_and_nothing_divides_by_zero(
    extra_days: int, busy: bool, scores: list[int]
) -> None:
    def run() -> None:
        k = coach(joined=at(W0, 1))
        c = client(joined=at(W0, 2))
        if busy:
            invitation(k, created=at(W0 + D), accepted_by=c)
            session(k, at(W0 + D, 10), client_user=c)
            session(k, at(W0 + 2 * D, 10), SessionStatus.SCHEDULED, client_user=c)
            activity(c, W0 + D, visits=1, visit_seconds=120)
            r = resource(k, created=at(W0 + 2 * D))
            share(r, c, created=at(W0 + 2 * D))
            view(r, c, at(W0 + 3 * D))
            conv = conversation(k, c)
            message(conv, c, at(W0 + 3 * D))
            message(conv, k, at(W0 + 4 * D))
        for score in scores:
            nps_answer(client(joined=at(W0, 3)), score, at(W0 + 4 * D))
        kpi_rollup(now=at(W0) + extra_days * D)
        rows = list(KpiValue.objects.all())
        assert rows
        for row in rows:
            unit = KPI_BY_KEY[row.kpi].unit
            if unit != "count":
                assert (row.value is None) == (row.denominator == 0), row
            if row.value is not None:
                assert row.value == row.value and abs(row.value) != float("inf")  # no NaN/inf
        later_weeks = [r for r in rows if r.period == "week" and r.period_start > W0]
        assert later_weeks or extra_days < 7
        for row in later_weeks:
            if row.kpi in COHORT_KPIS:
                assert (row.numerator, row.denominator, row.value) == (0, 0, None), row

    _in_rollback(run)


def _table() -> set[tuple[object, ...]]:
    return set(
        KpiValue.objects.values_list(
            "kpi",
            "period",
            "period_start",
            "segment",
            "numerator",
            "denominator",
            "value",
            "provisional",
        )
    )


@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    invitations=invitations_st,
    messages=messages_st,
    sessions=st.lists(
        st.tuples(
            st.integers(0, SPAN - 1),
            st.sampled_from(
                [SessionStatus.COMPLETED, SessionStatus.NO_SHOW, SessionStatus.CANCELLED]
            ),
        ),
        max_size=6,
    ),
    active_days=st.lists(st.integers(0, 20), max_size=8),
    run_points=st.lists(st.integers(0, 45 * 24), min_size=1, max_size=3),
)
def test_incremental_runs_end_with_the_same_table_as_a_full_rebuild(
    invitations: list[tuple[int, int | None]],
    messages: list[tuple[int, bool, int]],
    sessions: list[tuple[int, str]],
    active_days: list[int],
    run_points: list[int],
) -> None:
    final_now = BASE + 45 * D

    def run() -> None:
        k = coach(joined=BASE - D)
        clients = [client(joined=BASE - D) for _ in range(2)]
        for offset, done_after in invitations:
            created = BASE + timedelta(seconds=offset)
            if done_after is None:
                invitation(k, created=created)
            else:
                person = client(joined=created, onboarded=created + timedelta(seconds=done_after))
                invitation(k, created=created, accepted_by=person, accepted_at=created)
        conversations = [conversation(k, c) for c in clients]
        for conv, by_coach, offset in messages:
            message(
                conversations[conv],
                k if by_coach else clients[conv],
                BASE + timedelta(seconds=offset),
            )
        for n, (offset, status) in enumerate(sessions):
            session(k, BASE + timedelta(seconds=offset), status, client_user=clients[n % 2])
        for n, day in enumerate(sorted(set(active_days))):
            activity(clients[n % 2], BASE.date() + day * D, visits=1, visit_seconds=60 * n)
        for hours in sorted(run_points):
            kpi_rollup(now=BASE + timedelta(hours=hours))
        kpi_rollup(now=final_now)
        incremental = _table()
        KpiValue.objects.all().delete()
        kpi_rollup(now=final_now, full=True)
        assert _table() == incremental

    _in_rollback(run)

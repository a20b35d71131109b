"""Regression tests from the adversarial review of the KPI engine (each failed before its
fix): the NPS formula shared with the survey, late acceptances, deactivated accounts, and
the bounded history of the rollup.

Calendar as in ``test_kpis_support``: W0 = Mon 2 – Sun 8 March 2026, reporting zone UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from loom.accounts.models import CoachClient
from loom.analytics import kpi_formulas, kpis
from loom.analytics import nps as nps_survey
from loom.analytics.kpi_periods import Window, reporting_zone, week_start
from loom.analytics.kpis import kpi_rollup, planned_periods
from loom.analytics.models import KpiValue
from tests.analytics.test_kpis_support import (
    NOW,
    W0,
    at,
    client,
    coach,
    conversation,
    figures,
    invitation,
    link,
    message,
    nps_answer,
    resource,
    rollup,
    session,
    share,
    value,
    view,
    week,
)

pytestmark = pytest.mark.django_db

D = timedelta(days=1)
FEB1 = at(W0 - timedelta(days=29))


def test_the_nps_kpi_uses_the_surveys_formula(monkeypatch: pytest.MonkeyPatch) -> None:
    """One formula (loom.analytics.nps.nps_score) for the KPI and the survey's page."""
    person = client(joined=FEB1)
    nps_answer(person, 10, at(W0 + D))
    seen: list[tuple[float, float, float]] = []

    def fake(promoters: float, passives: float, detractors: float) -> float:
        seen.append((promoters, passives, detractors))
        return 12.5

    monkeypatch.setattr(nps_survey, "nps_score", fake)
    figures_ = kpi_formulas.nps(kpi_formulas.Ctx(Window("week", W0, reporting_zone(), NOW)))
    assert figures_["nps"]["all"].value == 12.5
    assert (1, 0, 0) in seen


def test_the_nps_kpi_and_the_survey_agree_on_the_categories() -> None:
    for n, score in enumerate((10, 9, 8, 7, 6, 0)):
        nps_answer(client(joined=FEB1), score, at(W0 + D, 10 + n))
    rollup()
    # 2 promoters, 2 passives, 2 detractors → 0; the survey module says the same.
    assert figures("nps", W0) == (0, 6, 0.0)
    assert nps_survey.nps_score(2, 2, 2) == 0.0


def test_someone_already_onboarded_counts_only_if_they_accept_within_7_days() -> None:
    """The docstring: "someone who already had an account when invited counts as complete
    once they accept in time" — a late acceptance used to count, and a full rebuild and
    an incremental run then disagreed."""
    first, second = coach(joined=FEB1), coach(joined=FEB1)
    existing = client(joined=FEB1)  # onboarded on 1 February
    invitation(second, created=at(W0, 10), accepted_by=existing, accepted_at=at(W0 + 10 * D))
    on_time = client(joined=FEB1)
    invitation(first, created=at(W0, 11), accepted_by=on_time, accepted_at=at(W0 + 6 * D))
    rollup()
    assert figures("onboarding_completion", W0, "client") == (1, 2, 50.0)


def test_a_deactivated_coach_is_neither_an_active_coach_nor_in_sessions_per_coach() -> None:
    working = coach(joined=FEB1)
    gone = coach(joined=FEB1, active=False)
    session(working, at(week(1) + D, 10))
    session(gone, at(week(1) + D, 10))
    session(gone, at(week(1) + 2 * D, 10))
    rollup()
    # One coach account, one active coach (not 2 of 1), 1 session per coach (not 3 ÷ 2).
    assert figures("active_coaches", week(1)) == (1, 1, 1.0)
    assert figures("sessions_per_coach", week(1)) == (1, 1, 1.0)
    # The completion rate is about sessions: all three were completed.
    assert figures("session_completion", week(1)) == (3, 3, 100.0)
    day = value("active_coaches", week(1) + 2 * D, period="day")
    assert (day.numerator, day.denominator) == (1, 1)


def test_pairs_and_share_recipients_with_a_deactivated_account_are_left_out() -> None:
    k = coach(joined=FEB1)
    here, gone = client(joined=FEB1), client(joined=FEB1, active=False)
    link(k, here, created=FEB1)
    link(k, gone, created=FEB1, status=CoachClient.Status.ACTIVE)
    message(conversation(k, here), here, at(week(1) + D))
    r = resource(k, created=FEB1)
    share(r, here, created=at(week(1) + D))
    share(r, gone, created=at(week(1) + D))
    view(r, here, at(week(1) + 2 * D))
    rollup()
    assert figures("messaging_pairs_weekly", week(1)) == (1, 1, 100.0)
    assert figures("client_resource_open_7d", week(1)) == (1, 1, 100.0)


# --- The rollup's history is bounded --------------------------------------------------------------


def test_years_of_history_are_bounded_by_the_event_retention_by_default() -> None:
    coach(joined=NOW - timedelta(days=3 * 365))
    today = NOW.date()
    with override_settings(ANALYTICS_EVENT_RETENTION_DAYS=61):
        # 61 days of events, less the 31 days a formula may read before a period's end.
        assert kpis.history_days() == 30
        planned = planned_periods(NOW)
    days = [start for kind, start in planned if kind == "day"]
    assert min(days) == today - timedelta(days=30)
    assert len(days) == 31
    weeks = [start for kind, start in planned if kind == "week"]
    assert min(weeks) == week_start(today - timedelta(days=30))


def test_a_setting_of_its_own_bounds_the_history() -> None:
    coach(joined=NOW - timedelta(days=3 * 365))
    with override_settings(ANALYTICS_KPI_HISTORY_DAYS=10, ANALYTICS_EVENT_RETENTION_DAYS=395):
        days = [start for kind, start in planned_periods(NOW) if kind == "day"]
    assert len(days) == 11


def test_a_full_rebuild_keeps_final_rows_older_than_the_history() -> None:
    """Rows older than the bound were computed when their events still existed: a full
    rebuild neither recomputes them (the events are pruned) nor deletes them."""
    coach(joined=NOW - timedelta(days=100))
    old_week = week_start(NOW.date() - timedelta(days=70))
    kept = KpiValue.objects.create(
        kpi="wau_share",
        period="week",
        period_start=old_week,
        segment="all",
        numerator=42,
        denominator=50,
        value=84.0,
        provisional=False,
    )
    with override_settings(ANALYTICS_KPI_HISTORY_DAYS=20):
        kpi_rollup(now=NOW, full=True)
    kept.refresh_from_db()
    assert (kept.numerator, kept.value) == (42, 84.0)
    oldest_day = KpiValue.objects.filter(period="day").order_by("period_start").first()
    assert oldest_day is not None
    assert oldest_day.period_start == NOW.date() - timedelta(days=20)


# --- Look-aheads across a daylight-saving change -------------------------------------------------


def test_a_look_ahead_across_the_spring_change_waits_for_the_exact_hours() -> None:
    """London, week 16–22 March 2026, ends Monday 23 March 00:00 GMT; clocks go forward on
    29 March. A turn at the week's last second may be answered until 30 × 24 hours later,
    21 April 23:59:59 UTC — but 30 local days after the week's end is 22 April 00:00 BST,
    an hour earlier (21 April 23:00 UTC). The row must stay provisional until the later."""
    london = ZoneInfo("Europe/London")
    start = date(2026, 3, 16)
    before = Window("week", start, london, datetime(2026, 4, 21, 23, 30, tzinfo=UTC))
    after = Window("week", start, london, datetime(2026, 4, 22, 0, 0, tzinfo=UTC))
    assert before.is_provisional(30) is True
    assert after.is_provisional(30) is False


def test_a_look_ahead_across_the_autumn_change_waits_for_the_local_midnight() -> None:
    """London, week 12–18 October 2026, ends Monday 19 October 00:00 BST (18 October
    23:00 UTC); clocks go back on 25 October. Seven local days after the end is 26 October
    00:00 GMT, an hour after 7 × 24 hours from the end (25 October 23:00 UTC): a return
    counted in local days can still come in that hour (the guard for the fix above)."""
    london = ZoneInfo("Europe/London")
    start = date(2026, 10, 12)
    inside = Window("week", start, london, datetime(2026, 10, 25, 23, 30, tzinfo=UTC))
    over = Window("week", start, london, datetime(2026, 10, 26, tzinfo=UTC))
    assert inside.is_provisional(7) is True
    assert over.is_provisional(7) is False


@pytest.mark.parametrize(
    ("key", "value", "status"),
    [
        ("onboarding_completion", 94.996, "green"),  # shown as 95.0 %
        ("onboarding_completion", 94.94, "amber"),  # shown as 94.9 %
        ("nps", 39.6, "green"),  # shown as 40
        ("nps", 39.4, "amber"),  # shown as 39
        ("coach_response_hours", 24.04, "green"),  # shown as 24.0 h
    ],
)
def test_status_is_judged_on_the_value_as_shown(key: str, value: float, status: str) -> None:
    from loom.analytics.kpi_catalog import KPI_BY_KEY

    assert KPI_BY_KEY[key].status(value) == status

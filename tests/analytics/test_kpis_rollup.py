"""The KPI rollup's bookkeeping: what a run recomputes, provisional values, full rebuilds,
constant query counts, no text read, the system context, and the dashboards' read API."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps
from django.db import connection, models
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from loom.analytics import kpis
from loom.analytics.kpi_catalog import KPI_BY_KEY, KPIS
from loom.analytics.kpi_periods import Window, next_period_start, reporting_zone
from loom.analytics.kpis import (
    KEYS_BY_PERIOD,
    compute_period,
    kpi_latest,
    kpi_rollup,
    kpi_series,
    planned_periods,
)
from loom.analytics.models import EventName, KpiValue
from loom.core.context import SYSTEM, acting_user_var
from loom.scheduling.models import SessionStatus
from tests.analytics.test_kpis_support import (
    NOW,
    W0,
    activity,
    at,
    client,
    coach,
    conversation,
    entry,
    event,
    invitation,
    link,
    message,
    nps_answer,
    resource,
    session,
    share,
    view,
    week,
)

pytestmark = pytest.mark.django_db

D = timedelta(days=1)


def _final_by_rule(kind: str, start: date, now: datetime) -> bool:
    """An independent statement of when a period is final: its end plus the longest
    look-ahead of its KPIs has passed."""
    end = datetime.combine(next_period_start(kind, start), datetime.min.time(), tzinfo=UTC)  # type: ignore[arg-type]
    longest = max(k.lookahead_days for k in KPIS if kind in k.periods)
    return now >= end + timedelta(days=longest)


def _a_little_of_everything(scale: int = 1) -> None:
    """Rows for every formula (``scale`` multiplies the people), from 23 February on."""
    for n in range(scale):
        k = coach(joined=at(W0 - 7 * D), language="he" if n % 2 else "en")
        c = client(joined=at(W0 - 6 * D))
        link(k, c, created=at(W0 - 6 * D))
        invitation(k, created=at(W0 + D), accepted_by=c)
        session(k, at(W0 + D, 10), client_user=c)
        session(k, at(W0 + 2 * D, 10), SessionStatus.NO_SHOW, client_user=c)
        activity(c, W0, visits=2, visit_seconds=400)
        activity(k, W0 + D)
        activity(c, W0 + 3 * D)
        r = resource(k, created=at(W0))
        share(r, c, created=at(W0 + D))
        view(r, c, at(W0 + 2 * D))
        entry(c, created=at(W0 + D), shared_with=k, shared_at=at(W0 + 2 * D))
        event(c, EventName.JOURNAL_ENTRY, at(W0 + D))
        conv = conversation(k, c)
        message(conv, c, at(W0 + D, 9))
        message(conv, k, at(W0 + D, 15))
        nps_answer(c, 9, at(W0 + 2 * D), trigger="session")


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


def test_first_run_computes_all_history_then_only_periods_that_can_change() -> None:
    _a_little_of_everything()
    planned = planned_periods(NOW)
    first = kpi_rollup(now=NOW)
    assert first.periods == len(planned)
    # Every planned period of every kind is there, from the first sign-up (23 February).
    assert min(start for kind, start in planned if kind == "day") == W0 - 7 * D
    assert first.rows_written == KpiValue.objects.count()

    open_periods = [(k, s) for k, s in planned if not _final_by_rule(k, s, NOW)]
    second = kpi_rollup(now=NOW)
    assert second.periods == len(open_periods)
    # The current week, and the one before it (30 days of replies to wait for).
    assert ("week", week(7)) in open_periods
    assert ("week", week(1)) not in open_periods


def test_provisional_rows_are_recomputed_and_final_rows_are_left_alone() -> None:
    _a_little_of_everything()
    kpi_rollup(now=NOW)
    final = KpiValue.objects.get(kpi="wau_share", period="week", period_start=W0, segment="all")
    assert final.provisional is False
    KpiValue.objects.filter(pk=final.pk).update(numerator=999)
    current = KpiValue.objects.get(
        kpi="wau_share", period="week", period_start=week(7), segment="all"
    )
    assert current.provisional is True
    KpiValue.objects.filter(pk=current.pk).update(numerator=999)
    kpi_rollup(now=NOW)
    final.refresh_from_db()
    current.refresh_from_db()
    assert final.numerator == 999  # final: not recomputed
    assert current.numerator == 0  # provisional: recomputed


def test_a_missing_older_period_is_computed_again() -> None:
    _a_little_of_everything()
    kpi_rollup(now=NOW)
    open_count = kpi_rollup(now=NOW).periods
    KpiValue.objects.filter(kpi="nps", period="week", period_start=W0).delete()
    result = kpi_rollup(now=NOW)
    assert result.periods == open_count + 1
    assert (
        KpiValue.objects.get(kpi="nps", period="week", period_start=W0, segment="session").value
        == 100.0
    )


def test_a_kpi_added_to_the_catalog_fills_in_its_history() -> None:
    _a_little_of_everything()
    kpi_rollup(now=NOW)
    KpiValue.objects.filter(kpi="return_7d").delete()
    kpi_rollup(now=NOW)
    weeks = {s for k, s in planned_periods(NOW) if k == "week"}
    assert (
        set(
            KpiValue.objects.filter(kpi="return_7d", segment="all").values_list(
                "period_start", flat=True
            )
        )
        == weeks
    )


def test_full_rebuild_recomputes_everything_and_drops_rows_outside_the_history() -> None:
    _a_little_of_everything()
    kpi_rollup(now=NOW)
    before = _table()
    stale = KpiValue.objects.create(
        kpi="wau_share", period="week", period_start=date(2020, 1, 6), segment="all"
    )
    foreign = KpiValue.objects.create(
        kpi="not_in_catalog", period="week", period_start=date(2020, 1, 6), segment="all"
    )
    KpiValue.objects.filter(period="week", period_start=W0).update(numerator=999)
    kpi_rollup(now=NOW)
    assert KpiValue.objects.filter(pk=stale.pk).exists()  # a normal run leaves it
    result = kpi_rollup(now=NOW, full=True)
    assert result.periods == len(planned_periods(NOW))
    assert not KpiValue.objects.filter(pk=stale.pk).exists()
    assert KpiValue.objects.filter(pk=foreign.pk).exists()  # not ours to remove
    foreign.delete()
    assert _table() == before


def test_nothing_to_do_before_anyone_has_joined() -> None:
    result = kpi_rollup(now=NOW)
    assert (result.periods, result.rows_written) == (0, 0)
    assert not KpiValue.objects.exists()


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        kpi_rollup(now=datetime(2026, 4, 20, 12))  # noqa: DTZ001


def test_the_rollup_runs_in_the_system_context(monkeypatch: pytest.MonkeyPatch) -> None:
    client(joined=at(W0))
    seen: list[str] = []
    original = kpis.compute_period

    def spy(window: Window) -> list[KpiValue]:
        seen.append(acting_user_var.get())
        return original(window)

    monkeypatch.setattr(kpis, "compute_period", spy)
    kpi_rollup(now=NOW)
    assert seen and set(seen) == {SYSTEM}
    assert acting_user_var.get() == ""


@pytest.mark.parametrize("kind", ["day", "week", "month"])
def test_a_periods_query_count_does_not_grow_with_the_data(kind: str) -> None:
    start = {"day": W0 + D, "week": W0, "month": W0.replace(day=1)}[kind]
    window = Window(kind=kind, start=start, tz=reporting_zone(), now=NOW)  # type: ignore[arg-type]
    _a_little_of_everything(scale=1)
    with CaptureQueriesContext(connection) as small:
        compute_period(window)
    _a_little_of_everything(scale=6)
    with CaptureQueriesContext(connection) as large:
        rows = compute_period(window)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(small.captured_queries) <= {"day": 5, "week": 22, "month": 3}[kind]
    assert {row.kpi for row in rows} == KEYS_BY_PERIOD[kind]  # type: ignore[index]


def test_a_whole_rollup_query_count_does_not_grow_with_the_data() -> None:
    _a_little_of_everything(scale=1)
    with CaptureQueriesContext(connection) as small:
        kpi_rollup(now=NOW, full=True)
    _a_little_of_everything(scale=5)
    with CaptureQueriesContext(connection) as large:
        kpi_rollup(now=NOW, full=True)
    assert len(large.captured_queries) == len(small.captured_queries)


def _text_columns() -> dict[str, set[str]]:
    """Every text column of every model: {table: {column, …}} (TextField, which includes
    the encrypted fields, plus titles and names kept as CharField)."""
    found: dict[str, set[str]] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            is_text = isinstance(field, models.TextField) or field.name in {
                "title",
                "name",
                "headline",
                "full_name",
                "note",
                "text",
                "comment",
            }
            if is_text and field.column:
                found.setdefault(model._meta.db_table, set()).add(field.column)
    return found


FORBIDDEN_NAMES = re.compile(r'"(body|body_html|title|note|notes|text|comment|message|reason)"')


def test_no_kpi_query_reads_a_text_column() -> None:
    _a_little_of_everything(scale=2)
    with CaptureQueriesContext(connection) as captured:
        kpi_rollup(now=NOW, full=True)
    text_columns = _text_columns()
    assert ("journal_entry", "body") in {(t, c) for t, cols in text_columns.items() for c in cols}
    for query in captured.captured_queries:
        sql = query["sql"]
        assert not FORBIDDEN_NAMES.search(sql), sql
        for table, columns in text_columns.items():
            for column in columns:
                assert f'"{table}"."{column}"' not in sql, (table, column, sql)


# --- Read API -----------------------------------------------------------------------------------


def _values(
    key: str, starts: list[date], *, segment: str = "all", provisional: bool = False
) -> None:
    for n, start in enumerate(starts):
        KpiValue.objects.create(
            kpi=key,
            period="week",
            period_start=start,
            segment=segment,
            numerator=n,
            denominator=10,
            value=10.0 * n,
            provisional=provisional,
        )


def test_kpi_series_returns_every_key_oldest_first_in_one_query(
    django_assert_num_queries: object,
) -> None:
    _values("wau_share", [week(2), W0, week(1), week(5)])
    _values("wau_share", [W0], segment="coach")
    _values("nps", [week(1)])
    with django_assert_num_queries(1):  # type: ignore[operator]
        series = kpi_series(
            keys=["wau_share", "nps", "visit_minutes"], start=W0 + 3 * D, end=week(2)
        )
    # start moves back to its week's Monday; end is included.
    assert [row.period_start for row in series["wau_share"]] == [W0, week(1), week(2)]
    assert [row.period_start for row in series["nps"]] == [week(1)]
    assert series["visit_minutes"] == []
    coach_only = kpi_series(keys=["wau_share"], segment="coach", start=W0, end=week(9))
    assert [row.segment for row in coach_only["wau_share"]] == ["coach"]


def test_kpi_series_query_count_is_constant(django_assert_num_queries: object) -> None:
    _values("wau_share", [week(n) for n in range(40)])
    with django_assert_num_queries(1):  # type: ignore[operator]
        series = kpi_series(keys=[k.key for k in KPIS], start=W0, end=week(52))
    assert len(series["wau_share"]) == 40


def test_kpi_latest_returns_the_newest_value_per_key_in_one_query(
    django_assert_num_queries: object,
) -> None:
    _values("wau_share", [W0, week(1)])
    _values("wau_share", [week(2)], provisional=True)
    _values("nps", [W0])
    with django_assert_num_queries(1):  # type: ignore[operator]
        latest = kpi_latest()
    assert set(latest) == KEYS_BY_PERIOD["week"]
    assert latest["wau_share"] is not None and latest["wau_share"].period_start == week(2)
    assert latest["nps"] is not None and latest["nps"].period_start == W0
    assert latest["visit_minutes"] is None
    final = kpi_latest(keys=["wau_share"], final_only=True)
    assert final["wau_share"] is not None and final["wau_share"].period_start == week(1)
    as_of = kpi_latest(keys=["wau_share", "nps"], at=W0)
    assert as_of["wau_share"] is not None and as_of["wau_share"].period_start == W0


def test_read_api_rejects_unknown_keys_and_periods() -> None:
    with pytest.raises(KeyError):
        kpi_series(keys=["no_such_kpi"], start=W0, end=week(1))
    with pytest.raises(ValueError, match="period"):
        kpi_series(keys=["nps"], period="year", start=W0, end=week(1))  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        kpi_latest(keys=["nope"])
    assert kpi_series(keys=["nps"], start=week(2), end=W0) == {"nps": []}


# --- Time zones: where day and week boundaries fall ----------------------------------------------


def test_week_boundaries_follow_the_reporting_zone() -> None:
    k = coach(joined=at(W0 - 7 * D))
    # Sunday 8 March 23:30 UTC is Monday 9 March 01:30 in Jerusalem.
    session(k, datetime(2026, 3, 8, 23, 30, tzinfo=UTC))
    kpi_rollup(now=NOW)
    assert KpiValue.objects.get(kpi="sessions_per_coach", period_start=W0).numerator == 1
    KpiValue.objects.all().delete()
    with override_settings(ANALYTICS_TIME_ZONE="Asia/Jerusalem"):
        kpi_rollup(now=NOW)
        assert KpiValue.objects.get(kpi="sessions_per_coach", period_start=W0).numerator == 0
        assert KpiValue.objects.get(kpi="sessions_per_coach", period_start=week(1)).numerator == 1


def test_a_daylight_saving_week_is_167_hours_and_keeps_its_local_midnights() -> None:
    # New York moves to summer time on Sunday 8 March 2026: W0 is one hour short there.
    with override_settings(ANALYTICS_TIME_ZONE="America/New_York"):
        window = Window(kind="week", start=W0, tz=reporting_zone(), now=NOW)
        # (Subtracting in UTC: Python subtracts wall-clock times within one zone.)
        assert window.end_at.astimezone(UTC) - window.start_at.astimezone(UTC) == timedelta(
            hours=167
        )
        assert window.start_at.astimezone(UTC) == datetime(2026, 3, 2, 5, tzinfo=UTC)
        assert window.end_at.astimezone(UTC) == datetime(2026, 3, 9, 4, tzinfo=UTC)
        k = coach(joined=at(W0 - 7 * D))
        # Monday 9 March 03:30 UTC is Sunday 23:30 in New York (EDT): still W0 there.
        session(k, datetime(2026, 3, 9, 3, 30, tzinfo=UTC))
        kpi_rollup(now=NOW)
        assert KpiValue.objects.get(kpi="sessions_per_coach", period_start=W0).numerator == 1


def test_catalog_periods_and_look_aheads_are_consistent() -> None:
    for kpi in KPIS:
        assert kpi.periods and set(kpi.periods) <= {"day", "week", "month"}
        assert "all" in kpi.segments
        assert kpi.lookahead_days >= 0
        assert kpi.definition and kpi.numerator_label and kpi.denominator_label
    assert KPI_BY_KEY["coach_response_unanswered"].group == "messaging"


def test_status_against_the_target_at_the_boundaries() -> None:
    onboarding = KPI_BY_KEY["onboarding_completion"]  # at least 95, amber within 10 %
    assert onboarding.status(95) == "green"
    # Judged as shown, to one decimal: 94.96 reads 95.0 %, 94.94 reads 94.9 %.
    assert onboarding.status(94.96) == "green"
    assert onboarding.status(94.94) == "amber"
    assert onboarding.status(85.5) == "amber"  # 95 × 0.9
    assert onboarding.status(85.44) == "red"
    assert onboarding.status(None) == "none"
    response = KPI_BY_KEY["coach_response_hours"]  # at most 24
    assert response.status(24) == "green"
    assert response.status(26.4) == "amber"  # 24 × 1.1
    assert response.status(26.46) == "red"
    assert KPI_BY_KEY["session_completion"].status(10) == "none"  # no target


def test_the_current_weeks_dau_is_the_mean_of_the_days_begun_so_far() -> None:
    c = client(joined=at(W0 - 7 * D))
    activity(c, week(1))
    activity(c, week(1) + D)
    # Tuesday 10 March, 12:00: two days have begun, the person was active on both.
    kpi_rollup(now=at(week(1) + D, 12))
    row = KpiValue.objects.get(kpi="dau_share", period="week", period_start=week(1), segment="all")
    assert (row.numerator, row.denominator, row.value, row.provisional) == (1, 1, 100.0, True)


def test_formula_is_spelled_from_the_labels_and_every_kpi_names_its_source() -> None:
    onboarding = KPI_BY_KEY["onboarding_completion"]
    assert str(onboarding.formula) == "Completed within 7 days ÷ Invited or signed up × 100"
    assert str(KPI_BY_KEY["active_coaches"].formula) == "Active coaches (out of Coach accounts)"
    assert str(KPI_BY_KEY["visit_minutes"].formula) == "Minutes in visits ÷ Visits"
    assert all(str(kpi.source) for kpi in KPIS)

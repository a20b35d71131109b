"""The analytics bench generator (``bench/analytics_data.py``) at a tiny scale.

Scale 0.002 is 2 coaches, 100 clients and 10,000 events: the same SQL as the full
data set, fast enough for the suite. Timing is ``make bench``'s business; these tests
check that the data is what the bench says it is.
"""

# The SQL below names fixed tables of the bench module, never input.
# ruff: noqa: S608

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection

from bench import analytics, analytics_data
from loom.core.context import system_context

SCALE = 0.002
ANCHOR = date(2026, 11, 2)

pytestmark = pytest.mark.postgres


def rows(sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())


def scalar(sql: str, params: list[object] | None = None) -> object:
    return rows(sql, params)[0][0]


@pytest.fixture
def dataset(db: None) -> analytics_data.Dataset:
    with system_context():
        return analytics_data.dataset_generate(SCALE, anchor=ANCHOR)


def test_sizes_follow_the_scale(dataset: analytics_data.Dataset) -> None:
    assert (dataset.coaches, dataset.clients, dataset.events) == (2, 100, 10_000)
    ub = dataset.user_base
    assert (
        scalar("SELECT count(*) FROM accounts_user WHERE id >= %s AND id < %s", [ub, ub + 102])
        == 102
    )
    # Every client has a coach link, an accepted invitation, onboarding and a profile.
    for table, column in (
        ("accounts_coachclient", "client_id"),
        ("accounts_onboarding", "user_id"),
        ("accounts_clientprofile", "user_id"),
    ):
        assert (
            scalar(f"SELECT count(DISTINCT {column}) FROM {table} WHERE {column} >= %s", [ub + 2])
            == 100
        )
    assert (
        scalar("SELECT count(*) FROM accounts_invitation WHERE accepted_by_id >= %s", [ub]) == 100
    )
    assert dataset.counts["scheduling_session"] > 100
    assert dataset.counts["messaging_message"] > 200


def test_measured_coach_has_fifty_active_clients_and_full_history(
    dataset: analytics_data.Dataset,
) -> None:
    coach = dataset.coach_id
    assert (
        scalar(
            "SELECT count(*) FROM accounts_coachclient WHERE coach_id = %s AND status = 'active'",
            [coach],
        )
        == 50
    )
    plan = analytics_data.plan_of(dataset)
    joined = scalar("SELECT date_joined FROM accounts_user WHERE id = %s", [coach])
    assert joined < plan.base_start


def test_sessions_are_with_joined_clients_and_never_overlap(
    dataset: analytics_data.Dataset,
) -> None:
    assert (
        scalar(
            "SELECT count(*) FROM scheduling_session AS s JOIN accounts_user AS c ON c.id = s.client_id "
            "WHERE s.coach_id >= %s AND s.starts_at <= c.date_joined",
            [dataset.user_base],
        )
        == 0
    )
    # The exclusion constraint would have refused overlapping active sessions; check
    # all statuses anyway (one a day per coach at most).
    assert (
        scalar(
            "SELECT count(*) FROM (SELECT coach_id, starts_at::date FROM scheduling_session "
            "WHERE coach_id >= %s GROUP BY 1, 2 HAVING count(*) > 1) AS twice",
            [dataset.user_base],
        )
        == 0
    )
    statuses = {
        row[0]
        for row in rows(
            "SELECT DISTINCT status FROM scheduling_session WHERE coach_id >= %s",
            [dataset.user_base],
        )
    }
    assert {"completed", "cancelled", "scheduled"} <= statuses


def test_events_are_exact_in_window_and_after_joining(dataset: analytics_data.Dataset) -> None:
    plan = analytics_data.plan_of(dataset)
    pool = analytics_data.POOL_TABLE
    assert scalar(f"SELECT count(*) FROM {pool} WHERE NOT incremental") == 10_000
    day = scalar(f"SELECT count(*) FROM {pool} WHERE incremental")
    assert 40 <= day <= 60  # 10,000 / 182
    first, last = rows(
        f"SELECT min(occurred_at), max(occurred_at) FROM {pool} WHERE NOT incremental"
    )[0]
    assert first >= plan.base_start
    # A visit that starts late on the last day may run a few minutes past midnight.
    assert last < plan.incremental_day + timedelta(hours=1)
    assert (
        scalar(
            f"SELECT count(*) FROM {pool} AS e JOIN accounts_user AS u ON u.id = e.user_id "
            "WHERE e.occurred_at <= u.date_joined"
        )
        == 0
    )
    # Routes only on page views, and only route names.
    assert scalar(f"SELECT count(*) FROM {pool} WHERE (name = 'page_view') <> (route <> '')") == 0
    assert scalar(f"SELECT count(*) FROM {pool} WHERE route LIKE '%%/%%'") == 0


def test_activity_is_skewed(dataset: analytics_data.Dataset) -> None:
    pool = analytics_data.POOL_TABLE
    # The busiest tenth of the clients make far more than a tenth of their events.
    top_share = scalar(
        f"""SELECT sum(n) FILTER (WHERE rank <= 10)::float / sum(n) FROM (
            SELECT count(*) AS n, row_number() OVER (ORDER BY count(*) DESC) AS rank
            FROM {pool} WHERE role = 'client' GROUP BY user_id) AS per_client"""
    )
    assert top_share > 0.25


def test_events_are_deterministic(dataset: analytics_data.Dataset) -> None:
    checksum = f"SELECT md5(string_agg(occurred_at::text || user_id || name || route, ',' ORDER BY occurred_at, user_id, name, route)) FROM {analytics_data.POOL_TABLE}"
    before = scalar(checksum)
    analytics_data.pool_fill(analytics_data.plan_of(dataset))
    assert scalar(checksum) == before


def test_events_load_in_buckets_adds_up(dataset: analytics_data.Dataset) -> None:
    added = [analytics_data.events_load(buckets=step) for step in analytics.STEPS]
    assert sum(added) == 10_000
    assert all(n > 0 for n in added)
    day = analytics_data.events_load(incremental=True)
    assert scalar("SELECT count(*) FROM analytics_event") == 10_000 + day
    analytics_data.events_clear()
    assert scalar("SELECT count(*) FROM analytics_event") == 0


def test_data_set_is_made_once_and_reused(dataset: analytics_data.Dataset) -> None:
    users = scalar("SELECT count(*) FROM accounts_user")
    with system_context():
        again = analytics_data.dataset_generate(SCALE, anchor=ANCHOR)
    assert again.user_base == dataset.user_base
    assert scalar("SELECT count(*) FROM accounts_user") == users
    with pytest.raises(analytics_data.DatasetError, match=r"scale 0\.002"), system_context():
        analytics_data.dataset_generate(0.004)


def test_journal_text_is_one_readable_ciphertext_and_nps_has_no_comment(
    dataset: analytics_data.Dataset,
) -> None:
    from loom.journal.models import Entry

    with system_context():
        entry = Entry.objects.filter(author_id__gte=dataset.user_base).first()
    assert entry is not None
    assert entry.body.startswith("A bench journal entry")
    assert scalar("SELECT count(*) FROM analytics_npsresponse WHERE comment <> ''") == 0


def test_activity_rollup_reads_the_generated_events(dataset: analytics_data.Dataset) -> None:
    from loom.analytics.activity import activity_rebuild

    analytics_data.events_load()
    with system_context():
        result = activity_rebuild()
    assert result.events_read == 10_000
    assert result.rows_written == scalar(
        "SELECT count(*) FROM (SELECT DISTINCT user_id, (occurred_at AT TIME ZONE 'UTC')::date "
        "FROM analytics_event) AS days"
    )


def test_page_view_routes_are_real_url_names() -> None:
    from django.urls import URLResolver, get_resolver

    names: set[str] = set()

    def walk(resolver: URLResolver, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern, inner)
            elif pattern.name:
                names.add(namespace + pattern.name)

    walk(get_resolver(), "")
    assert set(analytics_data.CLIENT_ROUTES + analytics_data.COACH_ROUTES) <= names


def test_sqlite_is_refused_with_a_reason() -> None:
    assert "PostgreSQL" in analytics.postgres_reason({"DATABASE_URL": ""})
    assert "PostgreSQL" in analytics.postgres_reason({"DATABASE_URL": "sqlite:///x.db"})
    assert analytics.postgres_reason({"DATABASE_URL": "postgres://u@h/db"}) == ""


def test_rollup_summary_reads_a_result() -> None:
    step = {
        "events": 1_000_000,
        "activity_s": 10.0,
        "activity_rows": 50_000,
        "kpi_s": 20.0,
        "kpi_rows": 4000,
        "kpi_periods": 430,
        "total_s": 30.0,
        "s_per_million_events": 30.0,
    }
    result = {
        "database": "postgresql",
        "available": True,
        "generated_now": False,
        "dataset": {
            "scale": 1.0,
            "coaches": 1000,
            "clients": 50_000,
            "events": 5_000_000,
            "anchor": "2026-11-22",
            "generation_s": 200.0,
        },
        "load_average_before": [1.0, 1.0, 1.0],
        "load_average_after": [2.0, 1.5, 1.0],
        "steps": [step, {**step, "events": 5_000_000, "total_s": 90.0}],
        "growth": {
            "events_ratio": 5.0,
            "activity_ratio": 4.0,
            "kpi_ratio": 2.0,
            "total_ratio": 3.0,
            "total_exponent": 0.68,
        },
        "incremental": {
            "events_added": 27_000,
            "activity_s": 1.0,
            "activity_days": 2,
            "activity_rows": 9000,
            "kpi_s": 3.0,
            "kpi_periods": 12,
            "kpi_rows": 300,
            "total_s": 4.0,
        },
    }
    text = "\n".join(analytics.rollup_summary_lines(result))
    assert "| 5,000,000 |" in text
    assert "×5.00" in text
    assert "27,000 events" in text
    unavailable = {"database": "postgresql", "available": False, "reason": "no kpis"}
    assert "Not measured: no kpis" in "\n".join(analytics.rollup_summary_lines(unavailable))

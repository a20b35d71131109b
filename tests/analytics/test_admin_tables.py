"""The admin dashboards' registered tables: parameters, cells, and an export of each."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from loom.analytics import tables_admin
from loom.analytics.exports import export_request
from loom.analytics.kpi_catalog import KPIS
from loom.analytics.models import Export, ExportStatus
from loom.analytics.selectors_admin import iso_week, last_complete_week
from loom.analytics.tables import registered_tables, table_for
from loom.core import ops
from loom.core.errors import NotFound
from tests.analytics.test_admin_support import fill_weeks, put

pytestmark = pytest.mark.django_db

ADMIN_TABLES = (
    "admin_kpis",
    "admin_kpi_weeks",
    "admin_ops_routes",
    "admin_ops_errors",
    "admin_growth",
    "admin_adoption",
    "admin_nps_trend",
    "admin_kpis_primary",
    "admin_kpis_engagement",
    "admin_kpis_adoption",
    "admin_kpis_messaging",
    "admin_kpis_satisfaction",
    "admin_kpis_growth",
    "admin_kpi_trends",
    "admin_kpi_latest",
    "admin_ops_windows",
    "admin_ops_loops",
    "admin_ops_runs",
)
BAD_QUERIES = (
    {},
    {"week": "2026-W99", "segment": "boss", "trend": "9"},
    {"kpi": "nope", "segment": "x", "range": "-1"},
    {"window": "1d"},
    {"period": "decade", "range": "1000"},
)
CELL_TYPES = (str, int, float, date, datetime, type(None))


@pytest.fixture(autouse=True)
def memory_store(settings):
    settings.LOOM_OPS_METRICS_STORE = "memory"
    ops.ops_store_reset()
    ops.ops_store().clear()
    ops.ops_store().record(ops.observation(route="coach:home", status=503, seconds=0.3))
    yield
    ops.ops_store().clear()
    ops.ops_store_reset()


def test_every_admin_table_is_registered_for_admins():
    tables = registered_tables()
    for key in ADMIN_TABLES:
        assert tables[key].audience == "admin"


@pytest.mark.parametrize("key", ADMIN_TABLES)
@pytest.mark.parametrize("query", BAD_QUERIES)
def test_params_are_json_safe_and_rows_hold_plain_cells(world, key, query):
    fill_weeks(3)
    table = table_for(key)
    params = table.clean_params(query)
    assert json.loads(json.dumps(params)) == params
    for row in table.rows(world.admin, params):
        assert len(row) == len(table.columns)
        assert all(isinstance(cell, CELL_TYPES) for cell in row)


def test_kpi_table_rows_follow_the_page_parameters(world):
    week = last_complete_week()
    put("dau_share", week, 55.0, segment="coach", numerator=55, denominator=100)
    params = tables_admin.KPI_TABLE.clean_params({"week": iso_week(week), "segment": "coach"})
    rows = {row[1]: row for row in tables_admin.KPI_TABLE.rows(world.admin, params)}
    dau = rows["Daily active users"]
    assert dau[2] == "Coaches" and dau[4] == 55.0 and dau[6] == "Close"
    assert rows["Completed sessions per active coach"][2] == "Everyone"


def test_recent_errors_table_has_no_path_or_query(world):
    [row] = list(tables_admin.ERRORS_TABLE.rows(world.admin, {}))
    assert row[1:3] == ("coach:home", 503)


def test_an_admin_exports_the_kpi_table_as_csv(world, django_capture_on_commit_callbacks):
    week = last_complete_week()
    put("onboarding_completion", week, 95.0, numerator=19, denominator=20)
    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(
            user=world.admin,
            table_key="admin_kpis",
            query={"week": iso_week(week)},
            fmt="csv",
            language="en",
        )
    export = Export.objects.get(pk=export.pk)
    assert export.status == ExportStatus.READY
    with export.file.open("rb") as handle:
        content = handle.read().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][:3] == ["Group", "KPI", "Segment"]
    [onboarding] = [r for r in rows if r[1] == "Onboarding completed within 7 days"]
    assert onboarding == [
        "Primary",
        "Onboarding completed within 7 days",
        "Everyone",
        "percent",
        "95",
        "95",
        "On target",
        "",
        "",
        "19",
        "20",
        "onboarding_completion",
        "green",
    ]
    assert export.row_count == len(KPIS)


def test_a_coach_cannot_export_an_admin_table(world):
    with pytest.raises(NotFound):
        export_request(user=world.dana, table_key="admin_ops_routes", query={}, fmt="csv")
    assert not Export.objects.exists()


def test_drill_down_rows_newest_first(world):
    week = last_complete_week()
    put("nps", week - timedelta(weeks=1), 10.0, numerator=1, denominator=10)
    put("nps", week, 20.0, numerator=2, denominator=10)
    rows = list(tables_admin.DETAIL_TABLE.rows(world.admin, {"kpi": "nps", "range": "12"}))
    values = [row[4] for row in rows if row[4] is not None]
    assert values == [20.0, 10.0]


def test_kpi_group_table_holds_one_group_as_the_page_shows_it(world):
    week = last_complete_week()
    put("onboarding_completion", week, 95.0, numerator=19, denominator=20)
    table = tables_admin.KPI_GROUP_TABLES["primary"]
    assert str(table.title) == "Primary KPIs"
    params = table.clean_params({"week": iso_week(week)})
    rows = {row[0]: row for row in table.rows(world.admin, params)}
    assert set(rows) == {str(k.label) for k in KPIS if k.group == "primary"}
    onboarding = rows["Onboarding completed within 7 days"]
    assert onboarding[1:4] == (95.0, "at least 95%", "On target")
    assert onboarding[5] == "Last 12 weeks: from 95.0% to 95.0%"
    growth = list(tables_admin.KPI_GROUP_TABLES["growth"].rows(world.admin, params))
    assert {row[0] for row in growth} == {str(k.label) for k in KPIS if k.group == "growth"}


def test_kpi_trends_table_has_one_row_per_week_newest_first(world):
    week = last_complete_week()
    put("onboarding_completion", week, 95.0, numerator=19, denominator=20)
    table = tables_admin.KPI_TRENDS_TABLE
    rows = list(table.rows(world.admin, {"week": iso_week(week), "trend": "26"}))
    assert len(rows) == 26 and rows[0][0] == week and rows[1][0] == week - timedelta(weeks=1)
    column = [c.key for c in table.columns].index("onboarding_completion")
    assert rows[0][column] == 95.0


def test_latest_and_operations_tables(world):
    from loom.analytics.models import RollupRun
    from loom.core.models import WorkerHeartbeat

    week = last_complete_week()
    put("onboarding_completion", week, 95.0, numerator=19, denominator=20)
    latest = list(tables_admin.LATEST_TABLE.rows(world.admin, {"kpi": "onboarding_completion"}))
    assert ("Everyone", 95.0, "On target", 19.0, 20.0) in latest
    windows = list(tables_admin.WINDOWS_TABLE.rows(world.admin, {}))
    assert [row[0] for row in windows] == ["Last 15 minutes", "Last hour", "Last 24 hours"]
    assert windows[0][1:3] == (1, 1)
    WorkerHeartbeat.objects.create(
        name="outbox_drain", beat_at=datetime.now(tz=UTC), interval_seconds=10, failed=True
    )
    [loop] = list(tables_admin.LOOPS_TABLE.rows(world.admin, {}))
    assert loop[:2] == ("outbox_drain", "Last round failed") and loop[3] == 10.0
    RollupRun.objects.create(job="kpi_rollup", duration_ms=12, events_read=3, rows_written=4)
    RollupRun.objects.create(
        job="kpi_rollup",
        duration_ms=1,
        events_read=0,
        rows_written=0,
        ok=False,
        error="ValueError: secret detail",
    )
    runs = list(tables_admin.RUNS_TABLE.rows(world.admin, {}))
    assert [run[-1] for run in runs] == ["Failed ValueError", "Succeeded"]
    assert runs[1][2:5] == (12, 3, 4)


def test_an_admin_exports_a_kpi_group_table_with_the_pages_header(
    world, django_capture_on_commit_callbacks
):
    week = last_complete_week()
    put("onboarding_completion", week, 95.0, numerator=19, denominator=20)
    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(
            user=world.admin,
            table_key="admin_kpis_primary",
            query={"week": iso_week(week)},
            fmt="csv",
            language="en",
        )
    export = Export.objects.get(pk=export.pk)
    assert export.status == ExportStatus.READY
    with export.file.open("rb") as handle:
        rows = list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))
    assert rows[0] == [
        "KPI",
        "Value",
        "Target",
        "Status",
        "Change from the week before",
        "Last 12 weeks",
    ]
    [onboarding] = [r for r in rows if r[0] == "Onboarding completed within 7 days"]
    assert onboarding[1:4] == ["95", "at least 95%", "On target"]

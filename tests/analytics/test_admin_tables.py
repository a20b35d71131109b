"""The admin dashboards' registered tables: parameters, cells, and an export of each."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta

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

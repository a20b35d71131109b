"""Review of the admin dashboards (review4): each test failed before its fix."""

from __future__ import annotations

import dataclasses
import re

import pytest
from django.test import Client

from loom.analytics import tables_admin
from loom.analytics.kpi_catalog import KPIS
from loom.analytics.selectors_admin import iso_week, kpi_text, last_complete_week, parse_week
from loom.core import ops
from tests.accounts.security_support import enable_totp
from tests.analytics.test_admin_support import kpi_row, put, text
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

KPIS_URL = "/admin-area/analytics/"
OPS_URL = "/admin-area/analytics/operations/"


@pytest.fixture
def admin(world):
    enable_totp(world.admin)
    return signed_in(world.admin)


# --- The KPI page and its export share one source -----------------------------------------


def test_the_kpi_page_renders_the_registered_table_rows(admin, monkeypatch):
    """Whatever ``admin_kpis`` yields is what the page shows (here: a changed value)."""
    week = last_complete_week()
    put("dau_share", week, 40.0, numerator=40, denominator=100)
    original = tables_admin.KPI_TABLE.rows

    def rows(viewer, params):
        for row in original(viewer, params):
            cells = dict(zip(tables_admin.KPI_COLUMNS, row, strict=True))
            if cells["key"] == "dau_share":
                cells["value"] = 41.5
            yield tuple(cells.values())

    monkeypatch.setattr(
        tables_admin, "KPI_TABLE", dataclasses.replace(tables_admin.KPI_TABLE, rows=rows)
    )
    page = text(admin.get(KPIS_URL, {"week": iso_week(week)}))
    assert "41.5%" in kpi_row(page, "dau_share")


def test_every_kpi_row_of_the_export_is_on_the_page(admin, world):
    week = last_complete_week()
    put("onboarding_completion", week, 94.996, numerator=19, denominator=20)
    params = tables_admin.KPI_TABLE.clean_params({"week": iso_week(week)})
    page = text(admin.get(KPIS_URL, {"week": iso_week(week)}))
    for row in tables_admin.KPI_TABLE.rows(world.admin, params):
        cells = dict(zip(tables_admin.KPI_COLUMNS, row, strict=True))
        html = kpi_row(page, cells["key"])
        assert f"<span>{cells['status']}</span>" in html
        assert cells["kpi"] in html


# --- The drill-down shows every descriptive field of the catalog ---------------------------


@pytest.mark.parametrize("kpi", KPIS, ids=lambda k: k.key)
def test_drill_down_shows_definition_formula_source_and_both_labels(admin, kpi):
    page = html_unescape(text(admin.get(f"/admin-area/analytics/kpi/{kpi.key}/")))
    for name in ("definition", "formula", "source", "numerator_label", "denominator_label"):
        value = kpi_text(kpi, name)
        assert value, f"{kpi.key} has no {name}"
        assert value in page, f"{kpi.key}: {name} not shown"


def html_unescape(page: str) -> str:
    import html

    return html.unescape(page)


# --- The week parameter ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "week",
    [
        "\u0662\u0660\u0662\u0666-W\u0664\u0666",  # Arabic-Indic digits
        "\uff12\uff10\uff12\uff16-W\uff14\uff16",  # fullwidth digits
        "2026-W46\n",
        "0000-W01",
        "2026-W00",
        "2026-W54",
        "2025-W53",
        "-2026-W01",
        "99999999999999999999-W01",
        "2026-W" + "9" * 400,
    ],
)
def test_odd_weeks_never_fail_and_only_ascii_weeks_count(admin, week):
    assert parse_week(week.strip()) is None or week == "2026-W46\n"
    response = admin.get(KPIS_URL, {"week": week})
    assert response.status_code == 200


def test_unicode_digits_are_not_read_as_a_week():
    assert parse_week("\u0662\u0660\u0662\u0666-W\u0664\u0666") is None
    assert parse_week("\uff12\uff10\uff12\uff16-W\uff14\uff16") is None


def test_iso_week_53_is_shown_when_the_year_has_one(admin):
    assert parse_week("2020-W53") is not None
    page = text(admin.get(KPIS_URL, {"week": "2020-W53"}))
    assert 'value="2020-W53"' in page
    assert "here is the last complete week" not in page


# --- The operations page during a metrics-store outage -----------------------------------


def test_operations_page_works_when_redis_is_down(admin, settings, caplog):
    settings.LOOM_OPS_METRICS_STORE = "redis"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    ops.ops_store_reset()
    try:
        response = admin.get(OPS_URL)
        assert response.status_code == 200
        page = text(response)
        assert "The request figures cannot be read right now" in page
        assert "Outbox" in page
    finally:
        ops.ops_store_reset()


def test_recent_errors_export_rows_survive_a_store_outage(world, settings):
    settings.LOOM_OPS_METRICS_STORE = "redis"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    ops.ops_store_reset()
    try:
        assert list(tables_admin.ERRORS_TABLE.rows(world.admin, {})) == []
        assert list(tables_admin.ROUTES_TABLE.rows(world.admin, {"window": "1h"})) == []
    finally:
        ops.ops_store_reset()


# --- Status is never colour alone -----------------------------------------------------------


def test_each_status_has_its_own_icon_and_word(admin):
    week = last_complete_week()
    put("onboarding_completion", week, 99.0)  # green
    put("session_completion", week, 88.0)  # amber (target 90? whatever: a word is shown)
    page = text(admin.get(KPIS_URL, {"week": iso_week(week)}))
    icons = set()
    for key in ("onboarding_completion", "dau_share"):
        row = kpi_row(page, key)
        match = re.search(r'class="ad-status ad-status-(\w+)">(.*?)<span>([^<]+)</span>', row, re.S)
        assert match, row
        icons.add(match.group(2))
        assert match.group(3).strip()
    assert len(icons) == 2


# --- Who may see the pages --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [KPIS_URL, "/admin-area/analytics/kpi/nps/", OPS_URL, "/admin-area/analytics/business/"],
)
def test_admin_required_everywhere(world, url):
    assert Client().get(url).status_code == 302
    for user in (world.dana, world.eli, world.avi, world.noa, world.maya):
        assert signed_in(user).get(url).status_code == 302


def test_the_operations_page_says_when_figures_are_per_process(admin, settings):
    settings.LOOM_OPS_METRICS_STORE = "memory"
    ops.ops_store_reset()
    try:
        assert "from this server process only" in text(admin.get(OPS_URL))
    finally:
        ops.ops_store_reset()


def test_no_per_process_note_with_redis(admin, settings, redis_url):
    settings.LOOM_OPS_METRICS_STORE = "redis"
    settings.REDIS_URL = redis_url
    settings.LOOM_OPS_METRICS_KEY = "loom-test-review4-ops"
    ops.ops_store_reset()
    try:
        page = text(admin.get(OPS_URL))
        assert "from this server process only" not in page
        assert "cannot be read right now" not in page
    finally:
        ops.ops_store().clear()
        ops.ops_store_reset()


def test_a_count_kpi_is_not_described_as_a_ratio(admin):
    # "Active coaches" is a count (out of all coach accounts), not numerator ÷ denominator.
    page = html_unescape(text(admin.get("/admin-area/analytics/kpi/active_coaches/")))
    assert "Active coaches (out of Coach accounts)" in page
    assert "numerator ÷ denominator, in the unit" not in page

"""PostgreSQL tier: the KPI rollup under row-level security, as the application role.

The suite's own connection is a superuser, which bypasses row-level security; here the
rollup runs through connections that switch to the application role, as in production.
In the system context it must see everyone's rows (the same table as the superuser
computes); acting as nobody it must see no one (so the comparison means something).
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings

from loom.analytics.kpi_periods import Window, reporting_zone
from loom.analytics.kpis import compute_period, kpi_rollup
from loom.analytics.models import KpiValue
from tests.analytics.test_kpis_rollup import _a_little_of_everything, _table
from tests.analytics.test_kpis_support import NOW, W0

APP_ROLE = "loom_app"
ACCOUNT_ONLY = {"coaches_total", "clients_total", "coaches_new", "clients_new"}

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def app_role(transactional_db: None) -> str:
    call_command("db_roles", role=APP_ROLE, stdout=StringIO())
    return APP_ROLE


def _as_application(role: str):
    connections.close_all()
    return override_settings(DATABASE_APP_ROLE=role)


def test_rollup_as_the_application_role_sees_everyone_in_the_system_context(
    app_role: str,
) -> None:
    _a_little_of_everything(scale=2)
    kpi_rollup(now=NOW)
    expected = _table()
    assert any(row[4] for row in expected)  # some non-zero numerators
    KpiValue.objects.all().delete()
    try:
        with _as_application(app_role):
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT current_user")
                assert cursor.fetchone()[0] == app_role
            kpi_rollup(now=NOW)
            assert _table() == expected
            # Acting as nobody, the same formulas find no one's activity: RLS really
            # applies. (accounts_user has no row-level security, docs/security.md: the
            # account counts of the growth KPIs and the populations stay.)
            rows = compute_period(Window(kind="week", start=W0, tz=reporting_zone(), now=NOW))
            seen = [
                (row.kpi, row.segment, row.numerator)
                for row in rows
                if row.numerator and row.kpi not in ACCOUNT_ONLY
            ]
            assert seen == []
    finally:
        connections.close_all()

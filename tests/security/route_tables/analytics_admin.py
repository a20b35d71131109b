"""Authorization matrix rows for the admin analytics dashboards (see tests/security/routes.py).

Admin-only pages, GET only: coaches and clients go to their own home, anonymous
visitors to sign in, and a POST from the admin is refused (405). The drill-down of a
KPI that is not in the catalog is a 404 (tests/analytics/test_admin_views.py).
"""

from __future__ import annotations

from typing import Any

from tests.security.matrix import NOT_ALLOWED, OK, Route, admins
from tests.world import World


def nps_kpi(world: World) -> dict[str, Any]:
    return {"key": "nps"}


P = "admin-area/analytics/"

ROUTES: tuple[Route, ...] = (
    Route(P, get=admins(OK), post=admins(NOT_ALLOWED)),
    Route(f"{P}kpi/<slug:key>/", args=nps_kpi, get=admins(OK), post=admins(NOT_ALLOWED)),
    Route(f"{P}operations/", get=admins(OK), post=admins(NOT_ALLOWED)),
    Route(f"{P}business/", get=admins(OK), post=admins(NOT_ALLOWED)),
)

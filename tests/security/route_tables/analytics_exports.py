"""Authorization matrix rows for the exports pages (``analytics_exports``).

Coaches and admins have exports; clients are sent home and visitors to sign in. An
export is its requester's alone: Dana's export is a 404 for Eli and for the admin,
both for its page and its download. The request form is POST only; asking for a coach
table is a redirect to the new export for a coach and a 404 for an admin (not their
audience). Ids that do not exist are covered in tests/analytics/test_exports_views.py
(the matrix only swaps integer ids).
"""

from __future__ import annotations

from typing import Any

from loom.analytics.exports import export_request, export_run
from loom.core.context import system_context
from tests.security.matrix import (
    HOME,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    Route,
    expect,
    redirect,
)
from tests.world import World


def dana_export(world: World) -> dict[str, Any]:
    """A ready export of Dana's (its file in the matrix's temporary media folder)."""
    export = export_request(user=world.dana, table_key="coach_session_totals", query={}, fmt="csv")
    with system_context():
        export_run(export_id=export.pk)
    return {"export_id": export.pk}


def exporters(outcome: Any, **overrides: Any) -> dict[str, Any]:
    """Coaches and admins get ``outcome``; clients go home, visitors to sign in."""
    per_actor = {"coach": outcome, "other_coach": outcome, "admin": outcome, **overrides}
    return expect(HOME, anonymous=LOGIN, **per_actor)


ROUTES: tuple[Route, ...] = (
    Route("exports/", get=exporters(OK), post=exporters(NOT_ALLOWED)),
    Route(
        "exports/new/",
        get=exporters(NOT_ALLOWED),
        post=exporters(redirect("analytics_exports:detail"), admin=NOT_FOUND),
        data={"table": "coach_session_totals", "format": "csv"},
        note="A coach table: an admin is not its audience (404).",
    ),
    Route(
        "exports/<uuid:export_id>/",
        args=dana_export,
        get=exporters(NOT_FOUND, coach=OK),
        post=exporters(NOT_ALLOWED),
        note="Only the requester; anyone else's export is a 404.",
    ),
    Route(
        "exports/<uuid:export_id>/download/",
        args=dana_export,
        get=exporters(NOT_FOUND, coach=OK),
        post=exporters(NOT_ALLOWED),
        note="Only the requester, only while ready and unexpired.",
    ),
)

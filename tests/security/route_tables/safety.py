"""Authorization matrix rows for the safety pages and the wellbeing data pages.

The crisis lines page is public (someone in crisis may not be signed in). The
crisis-contact setting and the wellbeing data pages are the client's own; the review
of crisis signals is for admins only, and a signal id that does not exist is a 404.
"""

from __future__ import annotations

from typing import Any

from loom.accounts.models import CrisisSignal
from loom.core.context import system_context
from tests.security.matrix import NOT_ALLOWED, OK, Route, admins, clients, everyone, redirect
from tests.world import World


def avi_signal(world: World) -> dict[str, Any]:
    with system_context():
        signal = CrisisSignal.objects.create(
            client=world.avi,
            source="journal_entry",
            source_id=1,
            severity="concern",
            matched=["en.wish_dead"],
            language="en",
        )
    return {"signal_id": signal.pk}


D = "account/wellbeing-data/"

ROUTES: tuple[Route, ...] = (
    Route("support/crisis/", get=everyone(OK), post=everyone(NOT_ALLOWED)),
    Route(
        "account/safety/",
        get=clients(OK),
        post=clients(redirect("safety:settings")),
        note="An empty form is valid: it records 'do not tell my coach'.",
    ),
    Route("admin-area/safety/", get=admins(OK), post=admins(NOT_ALLOWED)),
    Route(
        "admin-area/safety/<int:signal_id>/review/",
        args=avi_signal,
        missing="admin",
        get=admins(NOT_ALLOWED),
        post=admins(redirect("safety:review")),
    ),
    Route(D, get=clients(OK), post=clients(NOT_ALLOWED)),
    Route(f"{D}export.json", get=clients(OK), post=clients(NOT_ALLOWED)),
    Route(f"{D}export.zip", get=clients(OK), post=clients(NOT_ALLOWED)),
    Route(
        f"{D}delete/",
        get=clients(OK),
        post=clients(OK),
        note="An empty form re-renders with errors; nothing is deleted.",
    ),
)

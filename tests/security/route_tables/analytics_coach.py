"""Authorization matrix rows for the coach analytics page (see tests/security/routes.py).

A coach-only page: clients and the admin go to their own home, anonymous visitors to
sign in. It names no object (every figure is the signed-in coach's own), so Eli gets
his own page. GET only.
"""

from __future__ import annotations

from tests.security.matrix import NOT_ALLOWED, OK, Route, coaches, expect

ROUTES: list[Route] = [
    Route("coach/analytics/", get=coaches(OK), post=expect(NOT_ALLOWED)),
]

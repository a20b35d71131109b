"""Authorization matrix rows for the scheduling client routes (see tests/security/routes.py)."""

from __future__ import annotations

from tests.security.matrix import Route

ROUTES: tuple[Route, ...] = ()

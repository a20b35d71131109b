"""Authorization matrix rows for the scheduling setup routes (see tests/security/routes.py)."""

from __future__ import annotations

from tests.security.matrix import Route

ROUTES: tuple[Route, ...] = ()

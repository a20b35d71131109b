"""Authorization matrix rows for the resources analytics routes (see tests/security/routes.py)."""

from __future__ import annotations

from tests.security.matrix import Route

ROUTES: list[Route] = []

"""Authorization matrix rows for the resources client routes (see tests/security/routes.py)."""

from __future__ import annotations

from tests.security.matrix import Route

ROUTES: list[Route] = []

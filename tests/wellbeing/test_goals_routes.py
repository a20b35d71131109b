"""The goal routes through the authorization matrix's own harness.

``tests/security/routes.py`` lists ``route_tables/wellbeing_goals.py`` once the lead
wires it in; this runs the same checks over that table on its own meanwhile (and
proves every goal URL has a row).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from tests.security.matrix import (
    NOT_FOUND,
    Route,
    build_path,
    describe,
    matches,
    request_as,
    url_patterns,
)
from tests.security.route_tables.wellbeing_goals import ROUTES
from tests.security.test_authorization_matrix import _check, _missing_ids
from tests.world import World

GOAL_PREFIXES = ("goals/", "coach/goals/", "api/v1/wellbeing/goals", "api/v1/wellbeing/milestones")


def _ours(route: str) -> bool:
    return route.startswith(GOAL_PREFIXES) or (
        route.startswith("coach/clients/<int:client_id>/goals")
        or route == "api/v1/wellbeing/clients/<int:client_id>/goals"
    )


def test_every_goal_url_has_a_row() -> None:
    listed = {route.pattern for route in ROUTES}
    ours = {pattern.route for pattern in url_patterns() if _ours(pattern.route)}
    assert ours == listed


@pytest.fixture
def matrix_world(world: World, settings: object, tmp_path: Path) -> World:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    TOTP.activate(world.admin, generate_totp_secret())
    return world


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.pattern)
def test_goal_route_answers_each_actor(route: Route, matrix_world: World) -> None:
    args = route.args(matrix_world) if route.args else {}
    path = build_path(route.pattern, args)
    mismatches = _check(matrix_world, path, route.methods(), route.data)
    if route.missing is not None:
        missing_path = build_path(route.pattern, _missing_ids(args))
        for method, expectation in route.methods().items():
            if expectation[route.missing].status == 405:
                continue
            observed = request_as(matrix_world, route.missing, method, missing_path, route.data)
            if isinstance(observed, str) or not matches(NOT_FOUND, observed):
                mismatches.append(
                    f"  {method} {missing_path}: expected 404, got {describe(observed)}"
                )
    assert not mismatches, "\n".join(mismatches)

"""The check-in rows of the authorization matrix, run on their own.

The full matrix (tests/security/test_authorization_matrix.py) runs them too once
routes.py lists ``wellbeing_checkins``; this keeps them checked meanwhile and when only
this area's tests are run.
"""

from __future__ import annotations

import pytest

import tests.security.test_authorization_matrix as matrix_tests
from tests.security.matrix import Route
from tests.security.route_tables.wellbeing_checkins import ROUTES
from tests.world import World

matrix_world = matrix_tests.matrix_world


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.pattern)
def test_check_in_routes_answer_each_actor_as_the_table_says(
    route: Route, matrix_world: World
) -> None:
    matrix_tests.test_route_answers_each_actor_as_the_matrix_says(route, matrix_world)


def test_every_check_in_url_has_a_row() -> None:
    from tests.security.matrix import url_patterns

    ours = {
        p.route
        for p in url_patterns()
        if p.route.startswith("checkins/")
        or p.route.startswith("api/v1/wellbeing/checkins")
        or p.route == "api/v1/wellbeing/emotions"
    }
    assert ours == {route.pattern for route in ROUTES}

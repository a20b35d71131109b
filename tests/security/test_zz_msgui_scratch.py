import pytest

from tests.security.route_tables import messaging_api, messaging_pages
from tests.security import test_authorization_matrix as m
from tests.security.test_authorization_matrix import matrix_world  # noqa: F401
from tests.security.matrix import url_patterns

ROUTES = [*messaging_pages.ROUTES, *messaging_api.ROUTES]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.pattern)
def test_scratch(route, matrix_world):
    m.test_route_answers_each_actor_as_the_matrix_says.__wrapped__(route, matrix_world) if hasattr(m.test_route_answers_each_actor_as_the_matrix_says, "__wrapped__") else m.test_route_answers_each_actor_as_the_matrix_says(route, matrix_world)


def test_all_messaging_patterns_listed():
    mine = {r.pattern for r in ROUTES}
    found = {p.route for p in url_patterns() if p.route.startswith(("messages/", "api/v1/messaging/"))}
    assert found == mine, (found - mine, mine - found)
    by = {r.pattern: r for r in ROUTES}
    for p in url_patterns():
        if p.route in by and p.methods is not None:
            assert p.methods <= set(by[p.route].methods()), p

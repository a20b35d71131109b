import pytest
from tests.security.route_tables.core_stream import ROUTES
from tests.security.test_authorization_matrix import _check, matrix_world  # noqa: F401
from tests.security.matrix import build_path

@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.pattern)
def test_tmp(route, matrix_world):
    assert _check(matrix_world, build_path(route.pattern, {}), route.methods(), route.data) == []

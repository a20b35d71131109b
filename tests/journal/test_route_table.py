"""Runs the journal's rows of the authorization matrix on their own.

The full harness (tests/security/test_authorization_matrix.py) runs them once the lead
adds tests/security/route_tables/journal_client.py to tests/security/routes.py; this
keeps the table honest in the journal's own test run meanwhile.
"""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from tests.security.matrix import NOT_ALLOWED, NOT_FOUND, build_path, describe, matches, request_as
from tests.security.route_tables.journal_client import ROUTES
from tests.security.test_authorization_matrix import _check, _missing_ids
from tests.world import World


@pytest.fixture
def table_world(world: World, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path
    TOTP.activate(world.admin, generate_totp_secret())
    return world


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.pattern)
def test_journal_route_answers_as_the_table_says(route: Any, table_world: World) -> None:
    args = route.args(table_world) if route.args else {}
    path = build_path(route.pattern, args)
    mismatches = _check(table_world, path, route.methods(), route.data)
    if route.missing is not None:
        missing_path = build_path(route.pattern, _missing_ids(args))
        for method, expectation in route.methods().items():
            if expectation[route.missing] == NOT_ALLOWED:
                continue
            observed = request_as(table_world, route.missing, method, missing_path, route.data)
            if isinstance(observed, str) or not matches(NOT_FOUND, observed):
                mismatches.append(f"  {method} {missing_path}: got {describe(observed)}")
    assert not mismatches, "\n".join(mismatches)

"""Every URL, every actor: anonymous, coach, other coach, client, other client, admin.

The table is ``tests/security/routes.py``. A URL pattern missing from it fails
``test_every_url_pattern_is_in_the_matrix``; each entry is then requested by each actor
(GET, POST and any other method it declares), and for object URLs with an id of
someone else's and an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from tests.security.matrix import (
    ACTORS,
    NOT_ALLOWED,
    NOT_FOUND,
    Expectation,
    actor_user,
    build_path,
    describe,
    matches,
    request_as,
    url_patterns,
)
from tests.security.routes import GROUPS, ROUTES
from tests.world import World

ROUTES_BY_PATTERN = {route.pattern: route for route in ROUTES}
SAMPLES = [(group.prefix, sample) for group in GROUPS for sample in group.samples]


def _grouped(route: str) -> bool:
    return any(route.startswith(group.prefix) for group in GROUPS)


def test_route_table_has_one_entry_per_pattern() -> None:
    patterns = [route.pattern for route in ROUTES]
    assert len(patterns) == len(set(patterns)), (
        "A pattern is listed twice in tests/security/routes.py"
    )
    for route in ROUTES:
        assert not _grouped(route.pattern), f"{route.pattern} is under a third-party group prefix"


def test_every_url_pattern_is_in_the_matrix() -> None:
    unknown = [
        pattern
        for pattern in url_patterns()
        if pattern.route not in ROUTES_BY_PATTERN and not _grouped(pattern.route)
    ]
    assert not unknown, (
        "These URL patterns are not in the authorization matrix. Add a Route for each to "
        "tests/security/routes.py, saying what anonymous, coach, other_coach, client, "
        "other_client and admin get for GET and POST (with an args factory for object ids):\n"
        + "\n".join(f"  {pattern.route!r}  (name: {pattern.name})" for pattern in unknown)
    )


def test_no_matrix_entry_is_stale() -> None:
    existing = {pattern.route for pattern in url_patterns()}
    stale = [route.pattern for route in ROUTES if route.pattern not in existing]
    assert not stale, (
        f"These routes no longer exist; remove them from tests/security/routes.py: {stale}"
    )
    for group in GROUPS:
        assert any(route.startswith(group.prefix) for route in existing), (
            f"No route under {group.prefix}"
        )


def test_every_api_method_is_in_the_matrix() -> None:
    missing = []
    for pattern in url_patterns():
        route = ROUTES_BY_PATTERN.get(pattern.route)
        if pattern.methods is None or route is None:
            continue
        listed = set(route.methods())
        missing += [f"{method} /{pattern.route}" for method in sorted(pattern.methods - listed)]
        missing += [
            f"{method} /{pattern.route} is declared but not 405 for everyone"
            for method in sorted(listed - pattern.methods)
            if any(outcome != NOT_ALLOWED for outcome in route.methods()[method].values())
        ]
    assert not missing, "API operations missing from tests/security/routes.py:\n" + "\n".join(
        missing
    )


@pytest.fixture
def matrix_world(world: World, settings: object, tmp_path: Path) -> World:
    """The named world; the admin has a second factor, as admins must; photos go to a temp dir."""
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    TOTP.activate(world.admin, generate_totp_secret())
    return world


def _check(
    world: World,
    path: str,
    methods: dict[str, Expectation],
    data: Mapping[str, object] | None = None,
) -> list[str]:
    mismatches = []
    for method, expectation in methods.items():
        for actor in ACTORS:
            observed = request_as(world, actor, method, path, data)
            expected = expectation[actor]
            if isinstance(observed, str) or not matches(expected, observed):
                mismatches.append(
                    f"  {method:6} {path}  as {actor:12}  expected {expected}, got {describe(observed)}"
                )
    return mismatches


def _missing_ids(args: dict[str, object]) -> dict[str, object]:
    return {
        name: 2_000_000_000 if isinstance(value, int) else value for name, value in args.items()
    }


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.pattern or "/")
def test_route_answers_each_actor_as_the_matrix_says(route: object, matrix_world: World) -> None:
    from tests.security.matrix import Route

    assert isinstance(route, Route)
    args = route.args(matrix_world) if route.args else {}
    path = build_path(route.pattern, args)
    mismatches = _check(matrix_world, path, route.methods(), route.data)
    if route.missing is not None:
        owner = route.missing
        missing_path = build_path(route.pattern, _missing_ids(args))
        assert missing_path != path, f"{route.pattern}: its args have no integer id to replace"
        for method, expectation in route.methods().items():
            if expectation[owner] == NOT_ALLOWED:
                continue
            observed = request_as(matrix_world, owner, method, missing_path, route.data)
            if isinstance(observed, str) or not matches(NOT_FOUND, observed):
                mismatches.append(
                    f"  {method:6} {missing_path}  as {owner:12}  expected 404 (no such id), got {describe(observed)}"
                )
    assert not mismatches, (
        f"/{route.pattern} does not answer as tests/security/routes.py says"
        f"{' (' + route.note + ')' if route.note else ''}:\n" + "\n".join(mismatches)
    )


@pytest.mark.parametrize(("prefix", "sample"), SAMPLES, ids=[sample.path for _, sample in SAMPLES])
def test_third_party_routes_answer_each_actor_as_the_matrix_says(
    prefix: str, sample: object, matrix_world: World
) -> None:
    from tests.security.matrix import Sample

    assert isinstance(sample, Sample)
    assert sample.path.startswith("/" + prefix)
    mismatches = _check(matrix_world, sample.path, {"GET": sample.get, "POST": sample.post})
    assert not mismatches, f"{sample.path} does not answer as the matrix says:\n" + "\n".join(
        mismatches
    )


def test_actors_are_who_the_matrix_says(matrix_world: World) -> None:
    roles = {actor: getattr(actor_user(matrix_world, actor), "role", None) for actor in ACTORS}
    assert roles == {
        "anonymous": None,
        "coach": "coach",
        "other_coach": "coach",
        "client": "client",
        "other_client": "client",
        "admin": "admin",
    }
    assert matrix_world.avi.coach_links.get().coach == matrix_world.dana
    assert matrix_world.maya.coach_links.get().coach == matrix_world.eli

"""Shared fixtures: the named world, signed-in clients, tier markers."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test import Client

from tests.world import World

# The real SMTP server fixtures (smtp_server, mail_via_smtp) for every test package.
pytest_plugins = ["tests.smtp"]


@pytest.fixture(autouse=True)
def _postgres_tier(request: pytest.FixtureRequest) -> None:
    """Tests marked ``postgres`` skip on SQLite locally and fail in CI (LOOM_REQUIRE_POSTGRES=1)."""
    if request.node.get_closest_marker("postgres") is None:
        return
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        request.getfixturevalue("db")
    if connection.vendor != "postgresql":
        if os.environ.get("LOOM_REQUIRE_POSTGRES") == "1":
            pytest.fail(
                "This test needs PostgreSQL (DATABASE_URL), and LOOM_REQUIRE_POSTGRES=1 is set."
            )
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture
def redis_url(request: pytest.FixtureRequest) -> str:
    """The Redis tier: REDIS_URL must answer. Skips locally without it; fails in CI (LOOM_REQUIRE_REDIS=1)."""
    import redis

    url = os.environ.get("REDIS_URL", "")
    required = os.environ.get("LOOM_REQUIRE_REDIS") == "1"
    reason = "" if url else "REDIS_URL is not set"
    if url:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            reason = f"Redis at {url} cannot be reached: {exc}"
    if reason:
        if required:
            pytest.fail(f"This test needs Redis and LOOM_REQUIRE_REDIS=1 is set: {reason}")
        pytest.skip(f"needs Redis: {reason}")
    return url


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters and cached policies live in the cache; no test inherits another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> None:
    """Each request activates its user's language in the thread and nothing resets it:
    every test starts in the default language, whatever the test before it served."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def world(db: None) -> World:
    return World.build()


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client

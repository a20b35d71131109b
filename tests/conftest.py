"""Shared fixtures: the named world, signed-in clients, tier markers."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test import Client

from tests.world import World

# The real SMTP server fixtures (smtp_server, mail_via_smtp) for every test package.
pytest_plugins = ["tests.smtp"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(pytest.mark.xdist_group("postgres"))


@pytest.fixture(autouse=True)
def _postgres_tier(request: pytest.FixtureRequest) -> None:
    """Tests marked ``postgres`` skip on SQLite locally and fail in CI (LOOM_REQUIRE_POSTGRES=1)."""
    if request.node.get_closest_marker("postgres") is None:
        return
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        request.getfixturevalue("db")
    if connection.vendor != "postgresql":
        if os.environ.get("LOOM_REQUIRE_POSTGRES") == "1":
            pytest.fail("This test needs PostgreSQL (DATABASE_URL), and LOOM_REQUIRE_POSTGRES=1 is set.")
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters and cached policies live in the cache; no test inherits another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def world(db: None) -> World:
    return World.build()


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client

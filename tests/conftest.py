"""Shared fixtures: the named world, signed-in clients, tier markers."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test import Client

from tests.world import World

# The real SMTP server fixtures (smtp_server, mail_via_smtp) for every test package.
pytest_plugins = ["tests.smtp"]


def _install_fast_flush() -> None:
    """Empty only the tables that hold rows after a transactional test (PostgreSQL).

    Django empties the database after every ``transactional_db`` test with one
    ``TRUNCATE`` of all ~80 tables, which makes new files for every table and index:
    1-2 s a test on a busy machine. After a test only a dozen tables hold rows;
    ``DELETE`` on those, in one transaction, leaves the same empty tables (every foreign
    key is deferrable, no trigger fires on delete, and sequences carry on as they do
    after Django's ``TRUNCATE`` without ``RESTART IDENTITY``). Only when the connection
    sees every row (superuser or BYPASSRLS: row-level security would hide rows from
    ``DELETE``); a sequence reset, ``CASCADE`` or any other role keeps Django's way.
    """
    from django.db import DatabaseError, transaction
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: DatabaseOperations, sql_list: list[str]) -> None:
        statement = sql_list[0].strip() if len(sql_list) == 1 else ""
        body = statement.removeprefix("TRUNCATE ").removesuffix(";")
        names = [name.strip() for name in body.split(",")]
        plain = (
            statement.startswith("TRUNCATE ")
            and statement.endswith(";")
            and all(len(n) > 2 and n[0] == n[-1] == '"' and '"' not in n[1:-1] for n in names)
        )
        if not plain:
            return original(self, sql_list)
        try:
            _delete_rows(self, statement, names)
        except DatabaseError:
            # Whatever the shortcut trips on (a trigger added later, say): Django's way.
            original(self, sql_list)
        return None

    def _delete_rows(self: DatabaseOperations, statement: str, names: list[str]) -> None:
        # The names are Django's own quoted table names, taken from its TRUNCATE.
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            row = cursor.fetchone()
            if not (row and row[0]):
                cursor.execute(statement)
                return
            probe = " UNION ALL ".join(
                f"SELECT {index} WHERE EXISTS (SELECT 1 FROM {name})"  # noqa: S608
                for index, name in enumerate(names)
            )
            cursor.execute(probe)
            for (index,) in cursor.fetchall():
                cursor.execute(f"DELETE FROM {names[index]}")  # noqa: S608

    DatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]


_install_fast_flush()


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

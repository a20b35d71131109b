"""Fixtures for the PostgreSQL row-level-security tier.

The suite connects as the ``postgres`` superuser, which bypasses row-level security
even when it is FORCED; these fixtures switch to the application role the way
production does, so policies and grants are really exercised.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import override_settings

APP_ROLE = "loom_app"


@pytest.fixture(scope="session")
def app_role(django_db_setup: None, django_db_blocker: Any) -> str:
    """The application role exists with its grants in the test database.

    Roles belong to the cluster, so it may already exist (another test database made
    it); ``db_roles`` is idempotent and race-safe. Grants belong to each database.
    """
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            call_command("db_roles", role=APP_ROLE, stdout=StringIO())
    return APP_ROLE


@contextmanager
def raw_as(user_id: object) -> Iterator[Any]:
    """A raw driver cursor acting as the application role with ``app.user_id`` set.

    Plain SQL, no ORM and no application hook: ``SET LOCAL ROLE`` and ``set_config``
    inside a savepoint that is rolled back afterwards, so the role, the setting and
    anything written are all undone. ``None`` leaves ``app.user_id`` empty.
    """
    with transaction.atomic():
        with connection.connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {APP_ROLE}")
            cursor.execute(
                "SELECT set_config('app.user_id', %s, true)",
                ["" if user_id is None else str(user_id)],
            )
            yield cursor
        transaction.set_rollback(True)


def rows(cursor: Any, query: str, params: list[Any] | None = None) -> list[Any]:
    cursor.execute(query, params or [])
    return [row[0] if len(row) == 1 else tuple(row) for row in cursor.fetchall()]


@contextmanager
def application_connections(role: str) -> Iterator[None]:
    """Run the real application as ``role``: new connections ``SET ROLE`` to it.

    Open connections are closed on the way in and out, so the connection hook runs
    again with the setting in force — and the test database is flushed afterwards
    by the superuser, not the application role.
    """
    connections.close_all()
    try:
        with override_settings(DATABASE_APP_ROLE=role):
            yield
    finally:
        connections.close_all()

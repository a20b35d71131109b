"""PostgreSQL row-level security plumbing (DESIGN.md rule 1). See docs/security.md.

Who is acting lives in ``loom.core.context.acting_user_var``: the middleware below sets
it for HTTP requests; consumers, tasks and commands set it with ``acting_as`` or
``system_context``. Every query Django sends to PostgreSQL passes through
``_rls_execute_wrapper``, which makes the server setting ``app.user_id`` equal that
value before the query runs. Policies read it through ``loom_current_user_id()`` and
``loom_is_system()`` (created in ``loom/core/migrations/0002_row_level_security.py``),
both built on ``NULLIF(current_setting('app.user_id', true), '')`` — with nobody
acting they match no rows.

How the setting is kept in step with the context, at the least cost:

* Outside a transaction (autocommit) it is set for the session, and the value sent
  is remembered on the connection. A session-level value set in autocommit mode is
  committed at once and no later rollback can undo it, so the remembered value stays
  true and the statement is skipped until the acting user changes. (Connections are
  not shared between requests at the same time; a new or pooled connection starts
  from a known ``''``, see ``_install_rls_hooks``.)
* Inside a transaction it is set with ``is_local => true`` only when the value in
  force differs. A transaction-local value ends with its transaction, and a
  savepoint rollback undoes it too, so it is remembered together with the
  transaction it belongs to and the savepoints open when it was set; once either
  is gone the value in force is treated as unknown and is set again before the
  next query. The cost: one extra statement when the acting user changes inside a
  transaction, none otherwise.

The ``set_config`` calls go through the raw driver connection, so they do not
appear in Django's query log and query-count assertions are the same on SQLite
and PostgreSQL. Savepoint statements are passed through untouched. Poolers in
transaction mode are not supported (the session value and ``SET ROLE`` would leak
between clients); Django's own psycopg pool is fine.

With ``DATABASE_APP_ROLE`` set, each new connection also switches to that role
(neither owner, superuser nor BYPASSRLS). ``LOOM_DB_OWNER_MODE=1`` skips the switch,
for running ``migrate`` and ``db_roles`` over the same login in that setup.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from psycopg import sql
from psycopg.pq import TransactionStatus

from loom.core.context import SYSTEM, acting_user_value, acting_user_var

OWNER_MODE_ENV = "LOOM_DB_OWNER_MODE"
SETTING = "app.user_id"

_SET_SESSION = f"SELECT set_config('{SETTING}', %s, false)"
_SET_LOCAL = f"SELECT set_config('{SETTING}', %s, true)"

# True while an HTTP request is being handled by RowLevelSecurityMiddleware: a
# sign-in or sign-out in that request changes who is acting for the rest of it.
_in_request: ContextVar[bool] = ContextVar("loom_rls_in_request", default=False)


def _is_postgres(connection: Any) -> bool:
    return bool(connection.vendor == "postgresql")


def owner_mode() -> bool:
    """True when this process must keep the login role (migrations, ``db_roles``)."""
    return os.environ.get(OWNER_MODE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def app_role() -> str:
    """The role application connections switch to, or ``""`` for none."""
    return "" if owner_mode() else str(getattr(settings, "DATABASE_APP_ROLE", "") or "")


class _RlsState:
    """What ``app.user_id`` is known to be on one connection (see the module docstring)."""

    __slots__ = ("local_savepoints", "local_value", "session_value")

    def __init__(self) -> None:
        # Value set for the session outside any transaction; None when unknown.
        self.session_value: str | None = None
        # Value set for the current transaction only; None when none was set.
        self.local_value: str | None = None
        # Django's savepoints open when local_value was set.
        self.local_savepoints: tuple[str | None, ...] = ()

    def in_force(self, savepoints: list[str | None]) -> str | None:
        if self.local_value is None:
            return self.session_value
        depth = len(self.local_savepoints)
        if tuple(savepoints[:depth]) != self.local_savepoints:
            # A savepoint open when the value was set has been released or rolled
            # back since; after a rollback the earlier value is back. Unknown.
            return None
        return self.local_value


def _state(connection: Any) -> _RlsState:
    state = getattr(connection, "_loom_rls", None)
    if state is None:
        state = connection._loom_rls = _RlsState()
    return state


def _sync_setting(connection: Any) -> None:
    """Make ``app.user_id`` on ``connection`` equal the acting user, if it does not already."""
    driver = connection.connection
    desired = acting_user_var.get()
    state = _state(connection)
    status = driver.info.transaction_status
    if status == TransactionStatus.IDLE:
        # No transaction is open, so no transaction-local value is in force.
        state.local_value = None
    if connection.get_autocommit():
        if state.session_value != desired:
            with connection.wrap_database_errors, driver.cursor() as cursor:
                cursor.execute(_SET_SESSION, [desired])
            state.session_value = desired
        return
    if connection.needs_rollback or status == TransactionStatus.INERROR:
        # The transaction is broken; the query itself will report it.
        return
    if state.in_force(connection.savepoint_ids) != desired:
        with connection.wrap_database_errors, driver.cursor() as cursor:
            cursor.execute(_SET_LOCAL, [desired])
        state.local_value = desired
        state.local_savepoints = tuple(connection.savepoint_ids)


# Savepoint statements read no rows. Setting the value just before one would also
# be wrong: Django forgets the savepoint before rolling back to it, so a value set
# then would be remembered as outliving the rollback that undoes it.
_SAVEPOINT_STATEMENTS = ("SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT ")


def _rls_execute_wrapper(
    execute: Callable[..., Any], query: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    if not (isinstance(query, str) and query.startswith(_SAVEPOINT_STATEMENTS)):
        _sync_setting(context["connection"])
    return execute(query, params, many, context)


@receiver(connection_created)
def _install_rls_hooks(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Switch a new PostgreSQL connection to the application role and start it as nobody.

    The setting is reset here even on a brand-new connection: a connection taken
    from a pool may still carry the previous borrower's session value.
    """
    if not _is_postgres(connection):
        return
    statements = []
    role = app_role()
    # The "no database" connection (creating or dropping databases) keeps the login role.
    if role and connection.alias != NO_DB_ALIAS:
        statements.append(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
    statements.append(sql.SQL("SELECT set_config({}, '', false)").format(sql.Literal(SETTING)))
    with connection.wrap_database_errors, connection.connection.cursor() as cursor:
        # Both statements in one round trip (no parameters, so the simple protocol).
        cursor.execute(sql.SQL("; ").join(statements))
    state = _state(connection)
    state.session_value = ""
    state.local_value = None
    state.local_savepoints = ()
    if _rls_execute_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(_rls_execute_wrapper)


# --- Migrations run as the system ---------------------------------------------------
# FORCE ROW LEVEL SECURITY applies the policies to the table owner too, so a data
# migration run by a (non-superuser) owner would otherwise see no rows at all.
_migrate_token: list[Token[str]] = []


@receiver(pre_migrate)
def _migrate_as_system(sender: Any, **kwargs: Any) -> None:
    # pre_migrate is sent once per app; the first one switches, the rest find it done.
    if not _migrate_token:
        _migrate_token.append(acting_user_var.set(SYSTEM))


@receiver(post_migrate)
def _migrate_done(sender: Any, **kwargs: Any) -> None:
    # All migrations have run before the first post_migrate is sent.
    if _migrate_token:
        acting_user_var.reset(_migrate_token.pop())


# --- HTTP ---------------------------------------------------------------------------


class RowLevelSecurityMiddleware:
    """Makes the signed-in user the acting user for the rest of the request.

    Place it right after ``AuthenticationMiddleware``. Anonymous requests act as
    nobody. A sign-in or sign-out during the request switches the acting user from
    then on (see the receivers below), so rows written after ``login()`` — the
    sign-in audit row, the user session — belong to the person who just signed in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        token = acting_user_var.set(acting_user_value(user_id))
        scope = _in_request.set(True)
        try:
            return self.get_response(request)
        finally:
            _in_request.reset(scope)
            acting_user_var.reset(token)


@receiver(user_logged_in)
def _acting_after_sign_in(sender: Any, user: Any, **kwargs: Any) -> None:
    # Only inside a request: the middleware restores the previous value at its end.
    # A sign-in outside one (the test client's force_login) must not leak a value.
    if _in_request.get():
        acting_user_var.set(acting_user_value(user.pk))


@receiver(user_logged_out)
def _acting_after_sign_out(sender: Any, **kwargs: Any) -> None:
    if _in_request.get():
        acting_user_var.set("")

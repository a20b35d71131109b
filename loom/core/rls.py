"""PostgreSQL row-level security plumbing (DESIGN.md rule 1).

* The acting user lives in ``loom.core.context.acting_user_var``; the middleware below
  sets it for HTTP requests, consumers and tasks set it themselves.
* Every query on PostgreSQL passes through ``_rls_execute_wrapper``, which makes the
  server-side setting ``app.user_id`` equal the acting user before the query runs.
  Policies read ``NULLIF(current_setting('app.user_id', true), '')``, so with nobody
  acting they match no rows.
* With ``DATABASE_APP_ROLE`` set, each new connection switches to that role (neither
  owner, superuser nor BYPASSRLS); schema commands run as the login role instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from loom.core.context import acting_user_var

OWNER_MODE_ENV = "LOOM_DB_OWNER_MODE"


def _is_postgres(connection: Any) -> bool:
    return bool(connection.vendor == "postgresql")


def _rls_execute_wrapper(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    connection = context["connection"]
    desired = acting_user_var.get()
    if getattr(connection, "_loom_rls_value", None) != desired:
        with connection.connection.cursor() as cursor:
            if connection.in_atomic_block:
                # Transaction-local: a rollback must not leave a stale value behind,
                # so the cached session value stays as it was.
                cursor.execute("SELECT set_config('app.user_id', %s, true)", [desired])
            else:
                cursor.execute("SELECT set_config('app.user_id', %s, false)", [desired])
                connection._loom_rls_value = desired
    return execute(sql, params, many, context)


@receiver(connection_created)
def _install_rls_hooks(sender: Any, connection: Any, **kwargs: Any) -> None:
    if not _is_postgres(connection):
        return
    connection._loom_rls_value = None
    role = settings.DATABASE_APP_ROLE
    if role and not os.environ.get(OWNER_MODE_ENV):
        with connection.connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{role.replace(chr(34), "")}"')
    if _rls_execute_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(_rls_execute_wrapper)


class RowLevelSecurityMiddleware:
    """Makes the signed-in user the acting user for the rest of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        user_id = str(user.pk) if user is not None and user.is_authenticated else ""
        token = acting_user_var.set(user_id)
        try:
            return self.get_response(request)
        finally:
            acting_user_var.reset(token)

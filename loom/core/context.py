"""Per-request context: the request id and the acting user, as context variables.

Set by middleware for HTTP, by websocket consumers and by tasks. Logging and the
row-level-security hook (``loom.core.rls``) read them; nothing else should.

The acting user is a string because it travels to PostgreSQL as the setting
``app.user_id`` unchanged:

* ``"42"`` — user 42 is acting; policies match that user's rows;
* ``"system"`` (``SYSTEM``) — background work that spans users (the outbox worker,
  scheduled jobs, a token lookup made before anyone is signed in); policies have an
  explicit clause for it;
* ``""`` — nobody; policies match no rows at all.

Work outside an HTTP request states who it acts as, explicitly::

    with acting_as(user_id):      # a websocket message from that user
        ...
    with system_context():        # a task that spans users
        ...

Both also work as decorators (``@system_context()``).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
client_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "client_ip", default=None
)
# The acting user's id, "system" for background work that spans users, or "" for nobody.
acting_user_var: contextvars.ContextVar[str] = contextvars.ContextVar("acting_user", default="")

SYSTEM = "system"


def acting_user_value(user_id: int | str | None) -> str:
    """The context value for ``user_id``: its decimal form, or ``""`` for nobody.

    Only positive integer ids are accepted, so a stray value can never be mistaken
    for the system context or reach PostgreSQL as something a policy cannot cast.
    """
    if user_id is None or user_id == "":
        return ""
    value = str(user_id)
    if not value.isdecimal() or not value.isascii() or int(value) <= 0:
        raise ValueError(f"Not a user id: {user_id!r}")
    return str(int(value))


@contextmanager
def acting_as(user_id: int | str | None) -> Iterator[None]:
    """Run a block as ``user_id`` (or as nobody when ``None``)."""
    token = acting_user_var.set(acting_user_value(user_id))
    try:
        yield
    finally:
        acting_user_var.reset(token)


@contextmanager
def system_context() -> Iterator[None]:
    """Run a block as the system: background work that must see every user's rows."""
    token = acting_user_var.set(SYSTEM)
    try:
        yield
    finally:
        acting_user_var.reset(token)


def is_system() -> bool:
    return acting_user_var.get() == SYSTEM


class ActingUserConsumerMixin:
    """Channels consumers: every message is handled as the socket's signed-in user.

    Put it first in the bases (``class ChatConsumer(ActingUserConsumerMixin,
    AsyncJsonWebsocketConsumer)``). ``dispatch`` handles each incoming event
    (connect, receive, group messages, disconnect), so the context is set for all
    of them, including database calls made through ``database_sync_to_async``
    (which copies the context into its thread). An anonymous socket acts as nobody.
    """

    async def dispatch(self, message: Any) -> None:
        user = getattr(self, "scope", {}).get("user")
        user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
        with acting_as(user_id):
            await super().dispatch(message)  # type: ignore[misc]

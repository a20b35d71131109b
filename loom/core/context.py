"""Per-request context: the request id and the acting user, as context variables.

Set by middleware for HTTP, by websocket consumers and by tasks. Logging and the
row-level-security hook read them; nothing else should.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
client_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)
# The acting user's id, "system" for background work that spans users, or "" for nobody.
acting_user_var: contextvars.ContextVar[str] = contextvars.ContextVar("acting_user", default="")

SYSTEM = "system"


@contextmanager
def acting_as(user_id: int | str | None) -> Iterator[None]:
    """Run a block as ``user_id`` (or as nobody when ``None``)."""
    token = acting_user_var.set("" if user_id is None else str(user_id))
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

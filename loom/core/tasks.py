"""Background tasks of the core app: thin entry points onto ``loom.core.outbox``.

Both take ids (or nothing), re-read the database and are safe to run twice: a claim
only succeeds for a row that is still due, so a duplicate task finds nothing to do.
They run as the system because the outbox spans every user.
"""

from __future__ import annotations

from django.tasks import task

from loom.core.context import system_context
from loom.core.outbox import outbox_deliver_by_id, outbox_drain


@task()
def deliver_outbox_message(message_id: int) -> str:
    """Deliver one outbox message now (the after-commit nudge)."""
    with system_context():
        return outbox_deliver_by_id(message_id=message_id)


@task()
def drain_outbox() -> dict[str, int]:
    """Deliver every due message, including ones whose worker died mid-send."""
    with system_context():
        return outbox_drain().as_dict()

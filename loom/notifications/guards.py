"""The last check before a notice's email, push or text message leaves, and its record.

Deliverers of the guarded channels (``notice_email``, ``notice_sms`` here, ``push`` in
the push module) call ``should_send`` right before sending and ``delivery_mark``
with the outcome, so the notification centre shows what really happened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from loom.core.context import system_context
from loom.core.realtime import is_active
from loom.notifications.models import Notification, NotificationDelivery

State = NotificationDelivery.State

READ = "read"
ACTIVE = "active"
EXPIRED = "expired"
GONE = "gone"


def should_send(
    notification_id: int, *, channel: str = "push", payload: dict[str, Any] | None = None
) -> tuple[bool, str]:
    """Whether the ``channel`` delivery of the notification may go out now, and why not.

    Not when the delivery was already settled (cancelled because the person read the
    thing, or sent), when the notice expired (``Notice.extra["expires_at"]``), or — for
    notices that wait for the person (new messages) — when it has been read or the
    person is active in Loom right now.
    """
    with system_context():
        notification = (
            Notification.objects.filter(pk=notification_id)
            .only("user_id", "read_at", "hold_while_active")
            .first()
        )
        if notification is None:
            return False, GONE
        delivery = (
            NotificationDelivery.objects.filter(notification_id=notification_id, channel=channel)
            .only("state", "reason")
            .first()
        )
    if delivery is not None and delivery.state in (State.SKIPPED, State.SENT):
        return False, delivery.reason or str(delivery.state)
    expires_at = (payload or {}).get("expires_at")
    if expires_at and datetime.fromisoformat(str(expires_at)) <= timezone.now():
        return False, EXPIRED
    if notification.hold_while_active:
        if notification.read_at is not None:
            return False, READ
        if is_active(notification.user_id):
            return False, ACTIVE
    return True, ""


def delivery_mark(notification_id: int, channel: str, state: str, reason: str = "") -> None:
    """Record how the ``channel`` delivery of a notification went."""
    with system_context():
        NotificationDelivery.objects.filter(
            notification_id=notification_id, channel=channel
        ).update(state=state, reason=reason[:40], updated_at=timezone.now())

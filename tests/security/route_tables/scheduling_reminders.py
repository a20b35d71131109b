"""Authorization matrix rows for the reminders and notifications routes (see tests/security/routes.py)."""

from __future__ import annotations

from typing import Any

from loom.notifications.models import Notification
from tests.security.matrix import (
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    Route,
    expect,
    redirect,
    signed_in,
)
from tests.world import World


def avi_notification(world: World) -> dict[str, Any]:
    """An unread notice of Avi's (Dana's client)."""
    notification = Notification.objects.create(
        user=world.avi,
        kind="session_reminder",
        title="Reminder: Coaching with Dana Levi",
        url="/home/",
        source="matrix:avi",
    )
    return {"notification_id": notification.pk}


ROUTES: tuple[Route, ...] = (
    Route(
        "notifications/",
        get=signed_in(OK),
        post=signed_in(NOT_ALLOWED),
    ),
    Route(
        "notifications/read-all/",
        get=signed_in(NOT_ALLOWED),
        post=signed_in(redirect("notifications:list")),
    ),
    Route(
        "notifications/<int:notification_id>/read/",
        args=avi_notification,
        missing="client",
        get=signed_in(NOT_ALLOWED),
        post=expect(NOT_FOUND, anonymous=LOGIN, client=redirect("notifications:list")),
        note="Only the person the notice is for; anyone else's id is a 404.",
    ),
    Route(
        "account/notifications/",
        get=signed_in(OK),
        post=signed_in(redirect("notifications:preferences")),
        note="An empty form is valid: no quiet hours, no email, no text messages.",
    ),
)

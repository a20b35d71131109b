"""Background tasks of the notifications app: thin entry points, safe to run twice."""

from __future__ import annotations

from django.tasks import task

from loom.notifications.announcements import announcement_deliver


@task()
def announcement_send(announcement_id: int) -> int:
    """Tell everyone in an announcement's audience (each notice once, however often run)."""
    return announcement_deliver(announcement_id=announcement_id)

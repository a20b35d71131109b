"""Writes of in-app notifications: created by the outbox, read and marked by their person."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from loom.accounts.models import User
from loom.core.context import system_context
from loom.core.errors import NotFound
from loom.core.models import OutboxMessage
from loom.core.outbox import OutboxPermanentError
from loom.notifications.models import TITLE_MAX, URL_MAX, Notification
from loom.notifications.selectors import forget_unread_count


def _site_path(url: str) -> str:
    """Only a path on this site is kept as a notification's link."""
    url = (url or "").strip()[:URL_MAX]
    if url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return url
    return ""


def notification_create(
    *, user_id: int, kind: str, title: str, body: str = "", url: str = "", source: str
) -> Notification:
    """Store one notice; a second call with the same ``source`` returns the first."""
    with system_context():
        existing = Notification.objects.filter(source=source).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    user_id=user_id,
                    kind=kind[:40],
                    title=title[:TITLE_MAX],
                    body=body,
                    url=_site_path(url),
                    source=source,
                )
        except IntegrityError:
            return Notification.objects.get(source=source)
    forget_unread_count(user_id)
    return notification


def deliver_in_app(message: OutboxMessage) -> None:
    """The outbox deliverer of the ``in_app`` channel."""
    payload = message.payload
    try:
        user_id = int(payload["user_id"])
        title = str(payload["title"])
    except (KeyError, TypeError, ValueError) as exc:
        raise OutboxPermanentError(f"An in-app message needs user_id and title: {exc}") from exc
    if not User.objects.filter(pk=user_id).exists():
        raise OutboxPermanentError("The person no longer exists.")
    notification_create(
        user_id=user_id,
        kind=str(payload.get("kind") or "notice"),
        title=title,
        body=str(payload.get("body") or ""),
        url=str(payload.get("url") or ""),
        source=str(payload.get("source") or f"outbox:{message.pk}"),
    )


def summarize_in_app(payload: dict[str, Any]) -> dict[str, Any]:
    # The notice itself lives in its own table once delivered.
    return {key: payload[key] for key in ("kind", "source") if key in payload}


def _forget_now_and_after_commit(user_id: int) -> None:
    # Now, for this request's own next read; after the commit, in case another request
    # cached the old count in between.
    forget_unread_count(user_id)
    transaction.on_commit(lambda: forget_unread_count(user_id))


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the person's own notices read (idempotent)."""
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is None:
        raise NotFound(_("This notification does not exist."))
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        notification.refresh_from_db(fields=["read_at"])
        _forget_now_and_after_commit(user.pk)
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notice of the person read; returns how many changed."""
    changed = Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    _forget_now_and_after_commit(user.pk)
    return changed

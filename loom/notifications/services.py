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
from loom.core.realtime import event_append
from loom.notifications.guards import delivery_mark as delivery_mark  # push records here
from loom.notifications.models import TITLE_MAX, URL_MAX, Notification
from loom.notifications.selectors import forget_unread_count


def site_path(url: str) -> str:
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
                    url=site_path(url),
                    source=source,
                )
        except IntegrityError:
            return Notification.objects.get(source=source)
    forget_unread_count(user_id)
    return notification


def notification_dict(notification: Notification) -> dict[str, Any]:
    """The ``notification.created`` event data (without the unread count)."""
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "url": notification.url,
    }


def unread_count_fresh(user_id: int) -> int:
    """The person's unread count from the database (what events carry)."""
    with system_context():
        return Notification.objects.filter(
            user_id=user_id, read_at__isnull=True, listed=True
        ).count()


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
        _after_read(user.pk, [notification.pk])
        event_append(
            user.pk, "notification.read", {"ids": [notification.pk], "unread": _unread(user)}
        )
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notice of the person read; returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    ids = list(unread.values_list("pk", flat=True))
    changed = Notification.objects.filter(pk__in=ids).update(read_at=timezone.now())
    _forget_now_and_after_commit(user.pk)
    if ids:
        _after_read(user.pk, ids)
        event_append(user.pk, "notification.read", {"all": True, "unread": _unread(user)})
    return changed


def _unread(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True, listed=True).count()


def _after_read(user_id: int, notification_ids: list[int]) -> None:
    """Read in Loom: what still waits to be emailed, pushed or texted is not sent, and
    pushes already shown are cleared from every device."""
    from loom.notifications.dispatch import deliveries_cancel_for_read

    deliveries_cancel_for_read(user_id=user_id, notification_ids=notification_ids)


def notices_seen_receive(*, user_id: int, source_prefix: str, **_: Any) -> None:
    """``notices_seen``: the person saw what these notices are about (e.g. read the messages)."""
    if not source_prefix:
        return
    with system_context():
        rows = Notification.objects.filter(
            user_id=user_id, source__startswith=source_prefix, read_at__isnull=True
        )
        ids = list(rows.values_list("pk", flat=True))
        if not ids:
            return
        Notification.objects.filter(pk__in=ids).update(read_at=timezone.now())
        _forget_now_and_after_commit(user_id)
        _after_read(user_id, ids)
        unread = Notification.objects.filter(
            user_id=user_id, read_at__isnull=True, listed=True
        ).count()
        event_append(user_id, "notification.read", {"ids": ids, "unread": unread})


def email_unsubscribe(*, user_id: int, scope: str) -> list[str]:
    """Turn email off for the kinds of an unsubscribe link's ``scope``; returns them.

    The signed link stands in for signing in, so this runs as the system, for the
    person the link names. Unknown or inactive people change nothing.
    """
    from loom.notifications.preferences import channel_choice_set
    from loom.notifications.tokens import scope_kinds

    kinds = scope_kinds(scope)
    with system_context(), transaction.atomic():
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise NotFound(_("This link no longer works."))
        for kind in kinds:
            channel_choice_set(user=user, kind=kind, channel="email", enabled=False)
    return kinds

"""The dispatcher of the outbox channel ``notice``: one notice → notification + deliveries.

``deliver_notice`` runs in the worker, in the system context, in one transaction:

1. the ``Notification`` is created (its ``source`` is unique: a redelivered outbox row
   finds it and does nothing more, so nothing is created or sent twice). When the
   person turned in-app off for the kind it is created unlisted, to carry the
   deliveries;
2. for email, push and SMS the person's matrix decides (``preferences.py``); each
   channel gets one ``NotificationDelivery`` row with its state and reason, and a child
   outbox row (dedupe key ``<source>:<channel>``) on a guarded channel;
3. a non-urgent child falling in the person's quiet hours waits until they end; one
   whose kind the person gets as an hourly or daily summary becomes a ``DigestItem``;
   one with ``delay_seconds`` waits that long and is sent only if the notification is
   still unread and the person not active in Loom (``guards.py``);
4. ``notification.created`` is appended to the person's stream.

The guarded channels (``notice_email``, ``notice_sms``; ``push`` belongs to the push
module) ask ``guards.should_send`` right before sending and record the outcome on the
delivery row.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape

from loom.accounts.models import User
from loom.core.context import system_context
from loom.core.email import deliver_email, summarize_email
from loom.core.logging import get_logger
from loom.core.models import OutboxMessage
from loom.core.notices import DIGEST_CATEGORY, SMS_KINDS, Notice
from loom.core.outbox import OutboxPermanentError, outbox_channel, outbox_enqueue
from loom.core.realtime import event_append
from loom.notifications.guards import READ, delivery_mark, should_send
from loom.notifications.models import (
    DigestFrequency,
    DigestItem,
    Notification,
    NotificationDelivery,
    PushSubscription,
)
from loom.notifications.preferences import Preferences, preferences_for
from loom.notifications.selectors import forget_unread_count
from loom.notifications.services import notification_dict, site_path, unread_count_fresh
from loom.notifications.tokens import preferences_url, unsubscribe_headers, unsubscribe_url

logger = get_logger(__name__)

CHANNEL = "notice"
EMAIL_CHANNEL = "notice_email"
SMS_CHANNEL = "notice_sms"
PUSH_CHANNEL = "push"

State = NotificationDelivery.State

# Why a delivery was not sent (``NotificationDelivery.reason``).
PREFERENCE = "preference"
NO_PHONE = "no_phone"
NO_DEVICE = "no_device"
UNAVAILABLE = "unavailable"
COLLAPSED = "collapsed"
QUIET_HOURS = "quiet_hours"
DELAY = "delay"


def _notice_from(payload: dict[str, Any]) -> Notice:
    names = {f.name for f in fields(Notice)}
    try:
        return Notice(**{key: value for key, value in payload.items() if key in names})
    except (TypeError, ValueError) as exc:
        raise OutboxPermanentError(f"Not a notice: {exc}") from exc


def deliver_notice(message: OutboxMessage) -> None:
    """The outbox deliverer of the ``notice`` channel (safe to run twice)."""
    notice = _notice_from(message.payload)
    with system_context():
        user = User.objects.filter(pk=notice.user_id, is_active=True).first()
        if user is None:
            # Gone or deactivated since the notice was queued: nobody to tell, and
            # nothing an admin could fix, so no dead letter either.
            logger.info("notice.no_recipient", user_id=notice.user_id, source=notice.source)
            return
        with transaction.atomic():
            notification = notice_dispatch(notice=notice, user=user)
    if notification is not None:
        forget_unread_count(user.pk)


def notice_dispatch(*, notice: Notice, user: User) -> Notification | None:
    """Create the notification and its deliveries; ``None`` when it already existed.

    Call inside a transaction, in the system context.
    """
    if Notification.objects.filter(source=notice.source).exists():
        return None
    prefs = preferences_for(user)
    now = timezone.now()
    listed = prefs.enabled(notice.kind, "in_app")
    notification = Notification.objects.create(
        user=user,
        kind=notice.kind,
        title=notice.title[:200],
        body=notice.body,
        url=site_path(notice.url),
        source=notice.source,
        created_at=now,
        listed=listed,
        hold_while_active=notice.delay_seconds > 0,
    )
    deliveries = [
        NotificationDelivery(
            notification=notification,
            channel="in_app",
            state=State.SENT if listed else State.SKIPPED,
            reason="" if listed else PREFERENCE,
            updated_at=now,
        )
    ]
    plan = _Plan(notice=notice, user=user, prefs=prefs, notification=notification, now=now)
    if notice.email is not None:
        deliveries.append(plan.email())
    deliveries.append(plan.push())
    if notice.kind in SMS_KINDS and notice.sms:
        deliveries.append(plan.sms())
    NotificationDelivery.objects.bulk_create(deliveries)
    if listed:
        event_append(
            user.pk,
            "notification.created",
            {**notification_dict(notification), "unread": unread_count_fresh(user.pk)},
        )
    logger.info(
        "notice.dispatched",
        notification_id=notification.pk,
        kind=notice.kind,
        deliveries={d.channel: f"{d.state}:{d.reason}" for d in deliveries},
    )
    return notification


class _Plan:
    """The per-channel decisions for one notice."""

    def __init__(
        self,
        *,
        notice: Notice,
        user: User,
        prefs: Preferences,
        notification: Notification,
        now: datetime,
    ) -> None:
        self.notice = notice
        self.user = user
        self.prefs = prefs
        self.notification = notification
        self.now = now

    def _row(self, channel: str, state: str, reason: str = "", outbox: Any = None) -> Any:
        return NotificationDelivery(
            notification=self.notification,
            channel=channel,
            state=state,
            reason=reason,
            outbox_message=outbox,
            updated_at=self.now,
        )

    def _when(self) -> tuple[datetime, str]:
        """When a child may go out, and why it waits (``""`` when it does not)."""
        at = self.now + timedelta(seconds=max(self.notice.delay_seconds, 0))
        reason = DELAY if at > self.now else ""
        if not self.notice.urgent:
            quiet_end = self.prefs.quiet_until(at)
            if quiet_end is not None:
                return quiet_end, QUIET_HOURS
        return at, reason

    def _collapsed(self, channel: str, name: str) -> bool:
        """Whether a pending send of this key will still go out and can speak for this one.

        A pending outbox row whose notification was read meanwhile is called off (its
        delivery is skipped) but stays pending until its time; folding a new notice into
        it would lose the new one.
        """
        key = self.notice.collapse_key
        if not key:
            return False
        return NotificationDelivery.objects.filter(
            channel=name,
            state__in=(State.QUEUED, State.WAITING),
            notification__user_id=self.user.pk,
            notification__read_at__isnull=True,
            outbox_message__channel=channel,
            outbox_message__status=OutboxMessage.Status.PENDING,
            outbox_message__payload__collapse_key=key,
        ).exists()

    def _enqueue(
        self, channel: str, recipient: str, payload: dict[str, Any], name: str
    ) -> NotificationDelivery:
        if self._collapsed(channel, name):
            return self._row(name, State.SKIPPED, COLLAPSED)
        at, reason = self._when()
        message = outbox_enqueue(
            channel=channel,
            recipient=recipient,
            payload={
                **payload,
                "notification_id": self.notification.pk,
                "user_id": self.user.pk,
                "collapse_key": self.notice.collapse_key,
                "expires_at": self.notice.extra.get("expires_at") or None,
            },
            dedupe_key=f"{self.notice.source}:{name}",
            available_at=at,
        )
        return self._row(name, State.WAITING if at > self.now else State.QUEUED, reason, message)

    def email(self) -> NotificationDelivery:
        kind = self.notice.kind
        if not self.prefs.enabled(kind, "email"):
            return self._row("email", State.SKIPPED, PREFERENCE)
        if self.prefs.digest_frequency(kind) != DigestFrequency.IMMEDIATE:
            DigestItem.objects.create(
                user=self.user,
                notification=self.notification,
                category=DIGEST_CATEGORY[kind],
                created_at=self.now,
            )
            return self._row("email", State.DIGEST)
        assert self.notice.email is not None
        payload = email_with_footer(
            self.notice.email, user=self.user, scope=kind, language=self.user.language
        )
        return self._enqueue(EMAIL_CHANNEL, self.user.email, payload, "email")

    def push(self) -> NotificationDelivery:
        if not self.prefs.enabled(self.notice.kind, "push"):
            return self._row("push", State.SKIPPED, PREFERENCE)
        if outbox_channel(PUSH_CHANNEL) is None:
            return self._row("push", State.SKIPPED, UNAVAILABLE)
        if not PushSubscription.objects.filter(user=self.user).exists():
            return self._row("push", State.SKIPPED, NO_DEVICE)
        payload = {
            "title": self.notification.title,
            "body": self.notification.body[:300],
            "url": self.notification.url or "/notifications/",
            "tag": self.notice.collapse_key or self.notice.source,
            "kind": "show",
        }
        return self._enqueue(PUSH_CHANNEL, str(self.user.pk), payload, "push")

    def sms(self) -> NotificationDelivery:
        kind = self.notice.kind
        if not self.prefs.enabled(kind, "sms"):
            return self._row("sms", State.SKIPPED, PREFERENCE)
        if not (self.user.phone_verified_at and self.user.phone):
            return self._row("sms", State.SKIPPED, NO_PHONE)
        assert self.notice.sms is not None
        return self._enqueue(SMS_CHANNEL, self.user.phone, {"body": self.notice.sms[:640]}, "sms")


# --- Email footer ----------------------------------------------------------------------


def email_with_footer(
    email: dict[str, Any], *, user: User, scope: str, language: str
) -> dict[str, Any]:
    """``email`` with the preferences and unsubscribe links and the List-Unsubscribe headers."""
    link = unsubscribe_url(user_id=user.pk, scope=scope)
    context = {"preferences_url": preferences_url(), "unsubscribe_url": link}
    with translation.override(language):
        text_footer = render_to_string("notifications/email/footer.txt", context).strip()
        html_footer = render_to_string("notifications/email/footer.html", context).strip()
    html = str(email.get("html") or f"<pre>{escape(email.get('text', ''))}</pre>")
    marker = html.lower().rfind("</body>")
    html = html[:marker] + html_footer + html[marker:] if marker >= 0 else html + html_footer
    return {
        **email,
        "text": f"{email.get('text', '')}\n\n-- \n{text_footer}",
        "html": html,
        "headers": {**(email.get("headers") or {}), **unsubscribe_headers(link)},
    }


# --- Guarded deliverers --------------------------------------------------------------------


def _guarded(message: OutboxMessage, channel: str, send: Any) -> None:
    notification_id = message.payload.get("notification_id")
    if notification_id is None:
        raise OutboxPermanentError("A notice delivery needs its notification id.")
    ok, reason = should_send(int(notification_id), channel=channel, payload=message.payload)
    if not ok:
        delivery_mark(int(notification_id), channel, State.SKIPPED, reason)
        return
    try:
        send(message)
    except Exception as exc:
        final = isinstance(exc, OutboxPermanentError) or message.attempts >= message.max_attempts
        delivery_mark(
            int(notification_id),
            channel,
            State.FAILED if final else State.QUEUED,
            "failed" if final else "retrying",
        )
        raise
    delivery_mark(int(notification_id), channel, State.SENT)


def deliver_notice_email(message: OutboxMessage) -> None:
    _guarded(message, "email", deliver_email)


def deliver_notice_sms(message: OutboxMessage) -> None:
    from loom.accounts.sms import deliver_outbox_sms

    _guarded(message, "sms", deliver_outbox_sms)


def summarize_notice_sms(payload: dict[str, Any]) -> dict[str, Any]:
    return {"notification_id": payload.get("notification_id")}


def summarize_notice_email(payload: dict[str, Any]) -> dict[str, Any]:
    return {**summarize_email(payload), "notification_id": payload.get("notification_id")}


# --- Read in Loom --------------------------------------------------------------------------


def deliveries_cancel_for_read(*, user_id: int, notification_ids: list[int]) -> None:
    """The person read these notifications: pending deliveries are not sent, and pushes
    already shown are cleared from every device (one ``clear`` per tag).

    Call inside the transaction that marked them read, in any context.
    """
    with system_context():
        now = timezone.now()
        pending = NotificationDelivery.objects.filter(
            notification_id__in=notification_ids,
            channel__in=("email", "push", "sms"),
            state__in=(State.QUEUED, State.WAITING),
        )
        pending.update(state=State.SKIPPED, reason=READ, updated_at=now)
        if outbox_channel(PUSH_CHANNEL) is None:
            return
        shown = (
            NotificationDelivery.objects.filter(
                notification_id__in=notification_ids, channel="push", state=State.SENT
            )
            .select_related("notification", "outbox_message")
            .order_by("notification_id")
        )
        tags: dict[str, Notification] = {}
        for delivery in shown:
            sent = delivery.outbox_message
            tag = str((sent.payload or {}).get("tag") or "") if sent else ""
            tags.setdefault(tag or delivery.notification.source, delivery.notification)
        for tag, notification in tags.items():
            outbox_enqueue(
                channel=PUSH_CHANNEL,
                recipient=str(user_id),
                payload={"kind": "clear", "tag": tag, "notification_id": notification.pk},
                dedupe_key=f"{notification.source}:push:clear",
            )


def summarize_notice(payload: dict[str, Any]) -> dict[str, Any]:
    # The notification row holds what was said; the outbox keeps only what it was.
    return {key: payload[key] for key in ("kind", "source", "user_id") if key in payload}

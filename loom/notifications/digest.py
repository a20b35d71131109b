"""Email summaries: the notices a person chose to get hourly or daily, in one email.

The dispatcher files such a notice's email as a ``DigestItem``. ``digests_send`` (run
by ``loom notifications_digest --loop``) sends each person's pending items of one
category as one email per *period*:

* hourly — at the top of each hour, the items that arrived before it;
* daily — at the person's ``daily_digest_hour`` in their zone, the items that arrived
  before that moment.

A period's email has the dedupe key ``digest:<user>:<category>:<period>``, so however
many loops run, and however often, a period is summarised once: items that arrive
late for an already sent period wait for the next one. Items whose notification was
read in Loom meanwhile, or whose email the person has since turned off, are dropped
without an email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from loom.accounts.models import User
from loom.core.context import system_context
from loom.core.email import email_payload
from loom.core.logging import get_logger
from loom.core.models import OutboxMessage
from loom.core.outbox import outbox_enqueue
from loom.notifications.dispatch import email_with_footer
from loom.notifications.models import DigestFrequency, DigestItem, NotificationDelivery
from loom.notifications.preferences import Preferences, local_instant, preferences_for
from loom.notifications.tokens import DIGEST_PREFIX, absolute

logger = get_logger(__name__)

TEMPLATE = "notifications/email/digest"


@dataclass
class DigestResult:
    emails: int = 0
    items: int = 0
    dropped: int = 0


def digest_period(prefs: Preferences, category: str, now: datetime) -> tuple[str, datetime]:
    """The period whose summary is due at ``now``: its key and its closing instant."""
    frequency = (
        prefs.settings.messages_digest if category == "messages" else prefs.settings.activity_digest
    )
    if frequency == DigestFrequency.DAILY:
        zone = prefs.zone
        local = now.astimezone(zone)
        at = time(int(prefs.settings.daily_digest_hour))
        closes = local_instant(local.date(), at, zone)
        if closes > now:
            closes = local_instant(local.date() - timedelta(days=1), at, zone)
        return f"d{closes.astimezone(zone).date().isoformat()}", closes
    # Hourly, and what is left after someone switched back to "right away".
    closes = now.replace(minute=0, second=0, microsecond=0)
    return f"h{closes.strftime('%Y-%m-%dT%H')}", closes


def digests_send(*, now: datetime | None = None) -> DigestResult:
    """Send every summary that is due; safe to run in several processes at once."""
    now = now or timezone.now()
    result = DigestResult()
    with system_context():
        pending = (
            DigestItem.objects.filter(sent_at__isnull=True)
            .values_list("user_id", "category")
            .distinct()
            .order_by("user_id", "category")
        )
        for user_id, category in list(pending):
            _send_one(user_id=user_id, category=category, now=now, result=result)
    return result


def _send_one(*, user_id: int, category: str, now: datetime, result: DigestResult) -> None:
    with transaction.atomic():
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            return
        prefs = preferences_for(user)
        if prefs.quiet_until(now) is not None:
            # A summary is never urgent: it waits for the person's quiet hours to end,
            # and the first run after them sends everything that waited.
            return
        key, closes = digest_period(prefs, category, now)
        items = list(
            DigestItem.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("notification")
            .filter(user=user, category=category, sent_at__isnull=True, created_at__lt=closes)
            .order_by("created_at", "id")
        )
        if not items:
            return
        dedupe_key = f"digest:{user.pk}:{category}:{key}"
        if OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return  # this period is summarised; late items go in the next one
        keep = [
            item
            for item in items
            if item.notification.read_at is None
            and user.is_active
            and prefs.enabled(item.notification.kind, "email")
        ]
        DigestItem.objects.filter(pk__in=[item.pk for item in items]).update(sent_at=now)
        dropped = [item.notification_id for item in items if item not in keep]
        NotificationDelivery.objects.filter(notification_id__in=dropped, channel="email").update(
            state=NotificationDelivery.State.SKIPPED, reason="read", updated_at=now
        )
        result.dropped += len(dropped)
        if not keep:
            return
        payload = email_payload(
            template=TEMPLATE,
            context={
                "user_name": user.full_name,
                "category": category,
                "items": [_item(item) for item in keep],
                "list_url": absolute(reverse("notifications:list")),
            },
            language=user.language,
            time_zone=user.timezone,
        )
        payload = email_with_footer(
            payload, user=user, scope=f"{DIGEST_PREFIX}{category}", language=user.language
        )
        message = outbox_enqueue(
            channel="email", recipient=user.email, payload=payload, dedupe_key=dedupe_key
        )
        NotificationDelivery.objects.filter(
            notification_id__in=[item.notification_id for item in keep], channel="email"
        ).update(
            state=NotificationDelivery.State.SENT,
            reason="digest",
            outbox_message=message,
            updated_at=now,
        )
        result.emails += 1
        result.items += len(keep)
        logger.info("digest.queued", user_id=user.pk, category=category, items=len(keep))


def _item(item: DigestItem) -> dict[str, Any]:
    notification = item.notification
    return {
        "title": notification.title,
        "body": notification.body,
        "link": absolute(notification.url or reverse("notifications:list")),
    }


def digests_next_due_at(now: datetime | None = None) -> datetime | None:
    """The next top of the hour when anything waits (daily summaries fall on one too)."""
    with system_context():
        if not DigestItem.objects.filter(sent_at__isnull=True).exists():
            return None
    now = now or timezone.now()
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)

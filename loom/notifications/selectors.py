"""Reads of in-app notifications, always scoped to the person reading them."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch

from loom.accounts.models import User
from loom.notifications.models import Notification, NotificationDelivery

PAGE_SIZE = 25
# The header shows the unread count on every page: it is cached briefly, and dropped
# whenever a notice is created or read in this process. Without a shared cache
# (Redis), a worker's new notice shows in another process after at most this long.
UNREAD_CACHE_SECONDS = 30


def _unread_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def forget_unread_count(user_id: int) -> None:
    cache.delete(_unread_key(user_id))


def unread_count(user: Any) -> int:
    """How many of the person's notices are unread (0 for anonymous visitors)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(user=user, read_at__isnull=True, listed=True).count()
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return int(count)


def notifications_page(*, user: User, page: Any = 1) -> Page[Notification]:
    """The person's notices, newest first, one page with each notice's deliveries (three
    queries: count, rows, deliveries)."""
    rows = (
        Notification.objects.filter(user=user, listed=True)
        .prefetch_related(
            Prefetch("deliveries", queryset=NotificationDelivery.objects.order_by("id"))
        )
        .order_by("-created_at", "-id")
    )
    return Paginator(rows, PAGE_SIZE).get_page(page)

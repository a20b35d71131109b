"""Attempt limits for MFA code entry and SMS sends, kept in the Django cache.

allauth limits sign-in, sign-up and password reset itself (``ACCOUNT_RATE_LIMITS``);
this module covers what allauth does not see: our SMS sends and SMS code checks, and
an extra per-account and per-IP bound on every second-factor code entered.

Each limit is a fixed window that opens at the first hit and lasts ``period`` seconds.
Counting is ``cache.add`` + ``cache.incr``, both atomic on Redis and on the local
memory cache, so concurrent requests cannot both slip under a limit. A refused hit
is taken back out of the counts (it did not happen), and a window never grows longer
than its period.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from loom.core.audit import audit_record
from loom.core.errors import DomainError


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds
    per: str  # "user" or "ip"


# Scope → limits. Bounds on SMS sends also cap what an attacker can cost us in texts.
RATES: dict[str, tuple[Rate, ...]] = {
    "sms_send": (
        Rate(1, 60, "user"),
        Rate(5, 60 * 60, "user"),
        Rate(10, 60 * 60, "ip"),
    ),
    "mfa_code": (
        Rate(10, 15 * 60, "user"),
        Rate(30, 15 * 60, "ip"),
    ),
}


class Throttled(DomainError):
    """Too many attempts. The message is generic: it never says whether an account exists."""

    status = 429
    title = "Too many requests"
    code = "throttled"

    def __init__(self, *, scope: str, retry_after: int) -> None:
        super().__init__(str(_("Too many attempts. Please wait a little and try again.")))
        self.scope = scope
        self.retry_after = retry_after


def _cache_key(scope: str, rate: Rate, subject: str) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"loom:throttle:{scope}:{rate.limit}/{rate.period}:{rate.per}:{digest}"


def _hit(key: str, rate: Rate, now: float) -> tuple[int, int]:
    """Count one hit; return (hits in the window, seconds until the window closes)."""
    if cache.add(key, 0, timeout=rate.period):
        cache.set(f"{key}:t", now, timeout=rate.period)
    try:
        count = cache.incr(key)
    except ValueError:
        # The window expired between add and incr: this hit opens a new one.
        cache.set(key, 1, timeout=rate.period)
        cache.set(f"{key}:t", now, timeout=rate.period)
        count = 1
    opened = cache.get(f"{key}:t", now)
    retry_after = max(1, math.ceil(float(opened) + rate.period - now))
    return count, retry_after


def throttle_hit(*, scope: str, user_id: int | None, ip: str | None) -> None:
    """Count an attempt for ``scope`` and raise ``Throttled`` when any limit is exceeded.

    A refused attempt is taken back out of every count, so double-clicking "send" does
    not eat into the hourly allowance, and it is audited (``throttle.refused``), so an
    audit reader sees the attempts that were stopped as well as those that were made.
    """
    now = time.time()
    counted: list[str] = []
    refused_for = 0
    refused_rate: Rate | None = None
    for rate in RATES[scope]:
        subject = str(user_id) if rate.per == "user" else (ip or "")
        if not subject:
            continue
        key = _cache_key(scope, rate, subject)
        count, retry_after = _hit(key, rate, now)
        counted.append(key)
        if count > rate.limit and retry_after > refused_for:
            refused_for, refused_rate = retry_after, rate
    if refused_rate is None:
        return
    for key in counted:
        # ValueError: the window closed meanwhile, so there is nothing to take back.
        with contextlib.suppress(ValueError):
            cache.decr(key)
    audit_record(
        action="throttle.refused",
        actor=None,
        details={
            "scope": scope,
            "per": refused_rate.per,
            "limit": f"{refused_rate.limit}/{refused_rate.period}s",
            "user_id": user_id,
        },
        ip_address=ip,
    )
    raise Throttled(scope=scope, retry_after=refused_for)


def throttle_reset(*, scope: str, user_id: int | None = None, ip: str | None = None) -> None:
    """Forget the counts of ``scope`` for a user and/or IP (used after a success and in tests)."""
    for rate in RATES[scope]:
        subject = str(user_id) if rate.per == "user" and user_id is not None else None
        if rate.per == "ip":
            subject = ip
        if subject:
            key = _cache_key(scope, rate, subject)
            cache.delete_many([key, f"{key}:t"])

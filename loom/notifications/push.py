"""Web Push (RFC 8030, 8291, 8292): devices that turned push on, and the outbox deliverer.

Keys. ``LOOM_VAPID_PRIVATE_KEY`` is the application server's P-256 private key: the
32-byte private number in base64url (what ``loom vapid_keys`` prints), or a PEM
document (handy with ``LOOM_VAPID_PRIVATE_KEY_FILE``). The public key browsers need
(``applicationServerKey``) is derived from it; ``LOOM_VAPID_PUBLIC_KEY``, when set, must
be the same key or push stays off, because subscriptions made with another key are
refused by every push service. Without a private key push is off.

Devices. A browser's subscription (endpoint + its P-256 key ``p256dh`` + 16-byte
``auth`` secret) is stored per person. The endpoint is unique: the same endpoint again
updates its row, and an endpoint that moves to another person (a shared computer,
someone else signed in) leaves the first person.

Delivery. The notifications dispatcher enqueues outbox rows on channel ``push`` with
``{"notification_id", "title", "body", "url", "tag", "kind": "show"|"clear"}`` for
recipient = the person's id. One encrypted request goes to each device. A device the
push service calls gone (404/410) is deleted; throttling, server errors and network
failures make the row retry with the outbox's backoff, and the devices already served
are remembered in the row's payload so a retry never shows the notice twice on them.
``Topic`` is the tag hashed to 32 characters, so a push service that still holds an
undelivered push for the same conversation replaces it (a later "clear" replaces the
"show" it cancels).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from loom.accounts.models import User
from loom.core.context import system_context
from loom.core.errors import DomainError, NotFound
from loom.core.logging import get_logger
from loom.core.models import OutboxMessage
from loom.core.outbox import OutboxPermanentError, outbox_register_channel
from loom.notifications.guards import delivery_mark, should_send
from loom.notifications.models import NotificationDelivery, PushSubscription

logger = get_logger(__name__)
State = NotificationDelivery.State

CHANNEL = "push"
ENDPOINT_MAX = 1000
LABEL_MAX = 120
TITLE_MAX = 200
# Push services accept 4096 bytes of encrypted body; after the record overhead and a
# title this leaves room for a Hebrew body (two bytes a letter) of this many characters.
BODY_MAX = 600
P256DH_BYTES = 65
AUTH_BYTES = 16
TOPIC_MAX = 32
# Defaults for settings the configuration reference documents.
DEFAULT_TTL_SECONDS = 24 * 60 * 60
DEFAULT_TIMEOUT_SECONDS = 10.0


class PushRetry(Exception):
    """Some devices could not be reached for now; the outbox retries the rest later."""


class InvalidSubscription(DomainError):
    status = 400
    title = "Request refused"
    code = "invalid_subscription"


# --- Keys ------------------------------------------------------------------------------------


def _b64url_decode(value: str) -> bytes:
    """Strict base64url (padding optional); raises ValueError on anything else."""
    if not isinstance(value, str) or not value.isascii():
        raise ValueError("not base64url")
    stripped = value.rstrip("=")
    if any(ch not in _B64URL_ALPHABET for ch in stripped):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


_B64URL_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_key_b64(private_key: ec.EllipticCurvePrivateKey) -> str:
    """The uncompressed public point in base64url: a browser's ``applicationServerKey``."""
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url_encode(raw)


def private_key_b64(private_key: ec.EllipticCurvePrivateKey) -> str:
    return b64url_encode(private_key.private_numbers().private_value.to_bytes(32, "big"))


def generate_vapid_keys() -> tuple[str, str]:
    """A fresh (public, private) pair in the settings' base64url form."""
    key = ec.generate_private_key(ec.SECP256R1())
    return public_key_b64(key), private_key_b64(key)


@dataclass(frozen=True)
class VapidKeys:
    vapid: Vapid
    public_key: str


def _load_private_key(value: str) -> ec.EllipticCurvePrivateKey:
    value = value.strip()
    if "-----BEGIN" in value:
        key = serialization.load_pem_private_key(value.encode("ascii"), password=None)
    else:
        raw = _b64url_decode(value.replace("\n", ""))
        if len(raw) == 32:
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        else:
            key = serialization.load_der_private_key(raw, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("a VAPID key is a P-256 (prime256v1) EC key")
    return key


@lru_cache(maxsize=4)
def _keys_from(private_value: str, public_value: str) -> VapidKeys | None:
    try:
        key = _load_private_key(private_value)
    except (ValueError, TypeError) as exc:
        logger.error("push.vapid_key_invalid", error=str(exc))
        return None
    public = public_key_b64(key)
    if public_value and public_value.strip().rstrip("=") != public:
        logger.error("push.vapid_public_key_mismatch")
        return None
    return VapidKeys(vapid=Vapid(key), public_key=public)


def vapid_keys() -> VapidKeys | None:
    """The configured keys, or None when push is off (no key, or an unusable one)."""
    private_value = settings.LOOM_VAPID_PRIVATE_KEY or ""
    if not private_value.strip():
        return None
    return _keys_from(private_value, settings.LOOM_VAPID_PUBLIC_KEY or "")


def push_enabled() -> bool:
    return vapid_keys() is not None


# --- Subscriptions ---------------------------------------------------------------------------


def _http_hosts() -> set[str]:
    return {host.lower() for host in getattr(settings, "LOOM_PUSH_HTTP_HOSTS", [])}


def _clean_endpoint(endpoint: Any) -> str:
    invalid = InvalidSubscription(_("This browser sent a push address Loom cannot use."))
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > ENDPOINT_MAX:
        raise invalid
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in endpoint):
        raise invalid
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError as exc:
        raise invalid from exc
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password or parts.fragment:
        raise invalid
    allowed_plain = host in _http_hosts()
    if parts.scheme == "http":
        if not (settings.DEBUG or allowed_plain):
            raise invalid
    elif parts.scheme != "https":
        raise invalid
    # The server posts to this address: refuse ones that point inside our own network
    # (a forged subscription would otherwise make Loom call internal services).
    if not allowed_plain and not settings.DEBUG:
        if host == "localhost" or host.endswith(".localhost"):
            raise invalid
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            if not address.is_global:
                raise invalid
    if port == 0:
        raise invalid
    return endpoint


def _clean_key(value: Any, size: int) -> str:
    invalid = InvalidSubscription(_("This browser sent push keys Loom cannot use."))
    if not isinstance(value, str) or len(value) > 200:
        raise invalid
    try:
        raw = _b64url_decode(value)
    except ValueError as exc:
        raise invalid from exc
    if len(raw) != size:
        raise invalid
    if size == P256DH_BYTES:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        except ValueError as exc:
            raise invalid from exc
    return b64url_encode(raw)


def _clean_label(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidSubscription(_("The device name is not valid."))
    label = "".join(ch for ch in value if not unicodedata.category(ch).startswith("C")).strip()
    if len(label) > LABEL_MAX:
        raise InvalidSubscription(
            _("A device name is at most %(count)d characters.") % {"count": LABEL_MAX}
        )
    return label


@transaction.atomic
def push_subscription_save(
    *, user: User, endpoint: Any, p256dh: Any, auth: Any, label: Any = ""
) -> tuple[PushSubscription, bool]:
    """Store (or refresh) the person's device; returns it and whether it is new.

    Raises ``InvalidSubscription`` for an address or keys a browser would not send.
    """
    if not push_enabled():
        raise InvalidSubscription(_("Push notifications are not set up on this server."))
    endpoint = _clean_endpoint(endpoint)
    p256dh = _clean_key(p256dh, P256DH_BYTES)
    auth = _clean_key(auth, AUTH_BYTES)
    label = _clean_label(label)
    # Row-level security hides another person's row with this endpoint, but the unique
    # index does not: the lookup and the hand-over run as the system.
    with system_context():
        existing = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
        if existing is not None and existing.user_id != user.pk:
            logger.info("push.subscription_moved", subscription_id=existing.pk)
            existing.delete()
            existing = None
    if existing is not None:
        existing.p256dh, existing.auth, existing.failures = p256dh, auth, 0
        if label:
            existing.device_label = label
        existing.save(update_fields=["p256dh", "auth", "failures", "device_label"])
        return existing, False
    try:
        # A savepoint: the same browser posting twice at once must not fail the request.
        with transaction.atomic():
            subscription = PushSubscription.objects.create(
                user=user, endpoint=endpoint, p256dh=p256dh, auth=auth, device_label=label
            )
    except IntegrityError:
        raced = PushSubscription.objects.filter(user=user, endpoint=endpoint).first()
        if raced is None:
            # Taken by someone else at this very moment: the browser may simply retry.
            raise InvalidSubscription(
                _("This browser sent a push address Loom cannot use.")
            ) from None
        return raced, False
    return subscription, True


def push_subscriptions_for_user(user: User) -> QuerySet[PushSubscription]:
    """The person's devices, newest first."""
    return PushSubscription.objects.filter(user=user).order_by("-created_at", "-id")


@transaction.atomic
def push_subscription_delete(*, user: User, subscription_id: int) -> None:
    """Forget one of the person's own devices; someone else's id is ``NotFound``."""
    deleted, _rows = PushSubscription.objects.filter(user=user, pk=subscription_id).delete()
    if not deleted:
        raise NotFound(_("This device does not exist."))


# --- Delivery --------------------------------------------------------------------------------


def topic_for(tag: str) -> str:
    """A ``Topic`` header value (≤ 32 base64url characters) standing for ``tag``."""
    return b64url_encode(hashlib.sha256(tag.encode("utf-8")).digest())[:TOPIC_MAX]


def _site_path(url: Any) -> str:
    url = str(url or "")
    # Only a path on this site: the service worker opens it in a Loom window.
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url[:500]
    return "/notifications/"


def _device_data(payload: dict[str, Any]) -> bytes:
    tag = str(payload.get("tag") or "")
    if payload.get("kind") == "clear":
        data: dict[str, Any] = {"kind": "clear", "tag": tag}
    else:
        data = {
            "kind": "show",
            "notification_id": payload.get("notification_id"),
            "title": str(payload.get("title") or "")[:TITLE_MAX],
            "body": str(payload.get("body") or "")[:BODY_MAX],
            "url": _site_path(payload.get("url")),
            "tag": tag,
        }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _mark(notification_id: int | None, state: str, reason: str = "") -> None:
    if notification_id is not None:
        delivery_mark(notification_id, CHANNEL, state, reason)


@dataclass
class _Result:
    sent: int = 0
    gone: int = 0
    rejected: int = 0
    retry: int = 0


def _status_of(exc: WebPushException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _send_to_device(
    device: PushSubscription, data: bytes, keys: VapidKeys, headers: dict[str, str]
) -> str:
    """One request to one device: "sent", "gone", "rejected" or "retry"."""
    try:
        webpush(
            subscription_info={
                "endpoint": device.endpoint,
                "keys": {"p256dh": device.p256dh, "auth": device.auth},
            },
            data=data,
            vapid_private_key=keys.vapid,
            # A fresh dict each time: webpush writes "aud" (this endpoint's origin) into it.
            vapid_claims={"sub": settings.LOOM_VAPID_SUBJECT},
            ttl=int(getattr(settings, "LOOM_PUSH_TTL_SECONDS", DEFAULT_TTL_SECONDS)),
            timeout=float(getattr(settings, "LOOM_PUSH_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)),
            headers=headers,
        )
    except WebPushException as exc:
        status = _status_of(exc)
        if status in (404, 410):
            return "gone"
        if status is None or status == 429 or status >= 500:
            logger.warning("push.retryable", subscription_id=device.pk, status=status)
            return "retry"
        logger.warning("push.rejected", subscription_id=device.pk, status=status)
        return "rejected"
    except requests.RequestException as exc:
        logger.warning("push.unreachable", subscription_id=device.pk, error=type(exc).__name__)
        return "retry"
    return "sent"


def deliver_push(message: OutboxMessage) -> None:
    """The outbox deliverer of channel ``push`` (runs in the system context)."""
    payload = dict(message.payload)
    kind = payload.get("kind", "show")
    if kind not in ("show", "clear"):
        raise OutboxPermanentError(f"Unknown push kind {kind!r}.")
    try:
        user_id = int(message.recipient)
        notification_id = (
            int(payload["notification_id"]) if payload.get("notification_id") else None
        )
    except (TypeError, ValueError, KeyError) as exc:
        raise OutboxPermanentError(f"A push needs a person and a notification: {exc}") from exc
    if kind == "show" and notification_id is None:
        raise OutboxPermanentError("A push to show needs its notification_id.")

    keys = vapid_keys()
    if keys is None:
        if kind == "show":
            _mark(notification_id, State.SKIPPED, "push off")
        return
    served = {int(pk) for pk in payload.get("served", [])}
    if kind == "show":
        assert notification_id is not None
        allowed, reason = should_send(notification_id, channel=CHANNEL, payload=payload)
        if not allowed:
            if served and reason != State.SENT:
                # Read (or cancelled) between two attempts: the devices that already
                # show it are cleared, since nothing recorded them as sent.
                _clear_devices(user_id, served, str(payload.get("tag") or ""), keys)
            elif not served:
                _mark(notification_id, State.SKIPPED, reason)
            return

    devices = [
        device
        for device in PushSubscription.objects.filter(user_id=user_id).order_by("pk")
        if device.pk not in served
    ]
    if not devices and not served:
        if kind == "show":
            _mark(notification_id, State.SKIPPED, "no_device")
        return

    data = _device_data(payload)
    headers = {"Urgency": "normal"}
    if payload.get("tag"):
        headers["Topic"] = topic_for(str(payload["tag"]))
    result = _Result(sent=len(served))
    for device in devices:
        outcome = _send_to_device(device, data, keys, headers)
        if outcome == "sent":
            result.sent += 1
            served.add(device.pk)
            PushSubscription.objects.filter(pk=device.pk).update(
                last_success_at=timezone.now(), failures=0
            )
            # Written at once, so even a worker that dies before the outcome is
            # recorded does not show this device the notice again on the next attempt.
            payload["served"] = sorted(served)
            OutboxMessage.objects.filter(pk=message.pk).update(payload=payload)
            message.payload = payload
        elif outcome == "gone":
            result.gone += 1
            PushSubscription.objects.filter(pk=device.pk).delete()
        else:
            PushSubscription.objects.filter(pk=device.pk).update(failures=F("failures") + 1)
            if outcome == "retry":
                result.retry += 1
            else:
                result.rejected += 1

    logger.info(
        "push.delivered",
        message_id=message.pk,
        kind=kind,
        sent=result.sent,
        gone=result.gone,
        rejected=result.rejected,
        retry=result.retry,
    )
    if result.retry:
        if kind == "show" and message.attempts >= message.max_attempts:
            _mark(
                notification_id,
                State.SENT if result.sent else State.FAILED,
                "" if result.sent else "unreachable",
            )
        raise PushRetry(f"{result.retry} device(s) could not be reached; retrying later.")
    if kind == "show":
        if result.sent:
            _mark(notification_id, State.SENT)
        elif result.rejected:
            _mark(notification_id, State.FAILED, "rejected")
        else:
            _mark(notification_id, State.SKIPPED, "no_device")


def _clear_devices(user_id: int, device_ids: set[int], tag: str, keys: VapidKeys) -> None:
    if not tag:
        return
    data = _device_data({"kind": "clear", "tag": tag})
    headers = {"Urgency": "normal", "Topic": topic_for(tag)}
    for device in PushSubscription.objects.filter(user_id=user_id, pk__in=device_ids):
        # Best effort: a device that misses it keeps a notice that links to a read thing.
        if _send_to_device(device, data, keys, headers) == "gone":
            device.delete()


def summarize_push(payload: dict[str, Any]) -> dict[str, Any]:
    # Titles and bodies are personal; the status page only needs what and how many.
    summary: dict[str, Any] = {
        key: payload[key] for key in ("kind", "notification_id", "tag") if key in payload
    }
    summary["devices"] = len(payload.get("served", []))
    return summary


def register() -> None:
    """Make channel ``push`` deliverable (called from ``NotificationsConfig.ready``)."""
    outbox_register_channel(CHANNEL, deliver=deliver_push, summarize=summarize_push)

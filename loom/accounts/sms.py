"""Sending text messages: a pluggable backend chosen by ``settings.SMS_BACKEND``.

Application code never calls a backend directly: it enqueues an "sms" message on the
durable outbox (``sms_enqueue``) inside its transaction, and the outbox worker calls
``deliver_outbox_sms``, which hands the message to the configured backend.

Backends:

* ``ConsoleSMSBackend`` (development, demo, tests): writes the message to the log and
  to ``SmsMessageLog``, which admins can read at ``/admin-area/sms/`` in demo mode.
* ``TwilioSMSBackend``: Twilio's REST API (``POST /2010-04-01/Accounts/{sid}/Messages.json``,
  form-encoded, HTTP basic auth with the account SID and auth token).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from loom.core.logging import get_logger
from loom.core.models import OutboxMessage
from loom.core.outbox import OutboxPermanentError, outbox_enqueue

logger = get_logger(__name__)

# E.164: a plus sign, a country code that does not start with 0, at most 15 digits.
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
# Characters people type inside phone numbers that carry no meaning.
_PHONE_NOISE = re.compile(r"[\s().-]")
SMS_BODY_MAX_CHARS = 640  # four concatenated segments; our messages are one


class SMSError(Exception):
    """Sending failed; trying again later may succeed (network, 5xx, 429)."""


class SMSPermanentError(SMSError):
    """Sending failed in a way retrying cannot fix (invalid number, bad credentials)."""


def normalize_phone(raw: str) -> str:
    """Return ``raw`` as an E.164 number (``+972501234567``) or raise ``ValueError``.

    Spaces, dashes, dots and parentheses are dropped and a leading ``00`` becomes ``+``;
    anything else that is not E.164 is refused rather than guessed at.
    """
    value = _PHONE_NOISE.sub("", raw or "")
    if value.startswith("00"):
        value = "+" + value[2:]
    if not _E164.match(value):
        raise ValueError("not an E.164 phone number")
    return value


def mask_phone(phone: str) -> str:
    """``+972501234567`` → ``•••• 4567``: enough for the owner to recognise it."""
    return f"•••• {phone[-4:]}" if len(phone) >= 4 else "••••"


class BaseSMSBackend(ABC):
    """A way of delivering one text message. Subclasses implement ``send``."""

    @abstractmethod
    def send(self, to: str, body: str) -> None:
        """Deliver ``body`` to ``to`` or raise; the outbox retries on failure."""


class ConsoleSMSBackend(BaseSMSBackend):
    """Development backend: the message goes to the log and to ``SmsMessageLog``."""

    def send(self, to: str, body: str) -> None:
        from loom.accounts.models import SmsMessageLog

        SmsMessageLog.objects.create(to=to, body=body)
        logger.info("sms.console", to=to, body=body)


class TwilioSMSBackend(BaseSMSBackend):
    """Twilio's Messages API. Non-2xx answers raise ``SMSError``/``SMSPermanentError``."""

    timeout_seconds = 10.0

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        from_number: str | None = None,
        api_base: str | None = None,
    ) -> None:
        self.account_sid = account_sid or settings.TWILIO_ACCOUNT_SID
        self.auth_token = auth_token or settings.TWILIO_AUTH_TOKEN
        self.from_number = from_number or settings.TWILIO_FROM_NUMBER
        self.api_base = (api_base or settings.TWILIO_API_BASE).rstrip("/")
        if not (self.account_sid and self.auth_token and self.from_number):
            raise ImproperlyConfigured(
                "TwilioSMSBackend needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER."
            )

    @property
    def messages_url(self) -> str:
        return f"{self.api_base}/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def send(self, to: str, body: str) -> None:
        try:
            response = httpx.post(
                self.messages_url,
                data={"To": to, "From": self.from_number, "Body": body},
                auth=(self.account_sid, self.auth_token),
                headers={"Accept": "application/json"},
                timeout=self.timeout_seconds,
            )
        except httpx.HTTPError as exc:
            raise SMSError(f"Twilio could not be reached: {type(exc).__name__}: {exc}") from exc
        if response.is_success:
            sid = _json_field(response, "sid")
            logger.info("sms.twilio_sent", to=to, sid=sid)
            return
        code = _json_field(response, "code")
        message = _json_field(response, "message") or response.text[:300]
        detail = f"Twilio answered {response.status_code} (error {code or 'unknown'}): {message}"
        # 4xx means the request itself is wrong (bad number, bad credentials): sending
        # it again cannot help. 429 and 5xx are Twilio's own trouble and may pass later.
        if 400 <= response.status_code < 500 and response.status_code != 429:
            raise SMSPermanentError(detail)
        raise SMSError(detail)


def _json_field(response: httpx.Response, name: str) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    value = data.get(name) if isinstance(data, dict) else None
    return "" if value is None else str(value)


def get_sms_backend() -> BaseSMSBackend:
    backend_class = import_string(settings.SMS_BACKEND)
    backend: BaseSMSBackend = backend_class()
    return backend


def sms_enqueue(*, to: str, body: str, expires_at: datetime | None = None) -> OutboxMessage:
    """Queue a text message on the outbox; it is sent after the caller's transaction commits.

    ``expires_at`` marks a message that is useless later (a one-time code): if the
    worker only gets to it after that moment, it is dropped instead of sent.
    """
    if len(body) > SMS_BODY_MAX_CHARS:
        raise ValueError("An SMS body must be at most 640 characters.")
    payload: dict[str, Any] = {"body": body}
    if expires_at is not None:
        payload["expires_at"] = expires_at.isoformat()
    return outbox_enqueue(channel="sms", recipient=to, payload=payload)


def deliver_outbox_sms(message: OutboxMessage) -> None:
    """The outbox deliverer for the "sms" channel."""
    expires_at = message.payload.get("expires_at")
    if expires_at and datetime.fromisoformat(expires_at) <= timezone.now():
        raise OutboxPermanentError("The message expired before it could be sent.")
    try:
        get_sms_backend().send(message.recipient, message.payload["body"])
    except SMSPermanentError as exc:
        raise OutboxPermanentError(str(exc)) from exc


def summarize_outbox_sms(payload: dict[str, Any]) -> dict[str, Any]:
    # The body may hold a one-time code: nothing of it is kept once sent.
    return {}

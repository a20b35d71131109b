"""SMS one-time codes: verifying a phone number and using it as a second factor.

Invariants of a code (``SmsCode``):

* six digits from ``secrets``; only an HMAC-SHA256 of it, keyed with ``SECRET_KEY`` and
  bound to the user and purpose, is stored;
* valid for five minutes, for at most five attempts, and consumed by its first
  success; sending a new code retires the previous open one;
* sends are limited per account and per IP (``loom.accounts.throttle``), and so are
  code checks, on top of the five attempts per code;
* every send, success, failure and refusal writes an audit row.

The text itself goes through the durable outbox (``loom.accounts.sms.sms_enqueue``).

Sign-in integration: ``SecondFactorStage`` replaces allauth.mfa's ``AuthenticateStage``
in ``AccountAdapter.get_login_stages``. It keeps allauth's stage key, so allauth's
"trust this browser" stage still follows it, and sends users who have any second
factor (authenticator app, security key, or SMS codes) to our verification page,
which offers the authenticator code, a recovery code or "text me a code".
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from allauth.core.internal.httpkit import headed_redirect_response
from allauth.mfa.internal.flows import trust
from allauth.mfa.models import Authenticator
from allauth.mfa.stages import AuthenticateStage
from allauth.mfa.webauthn.internal.flows import did_use_passwordless_login
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loom.accounts.models import SmsCode, User
from loom.accounts.sms import mask_phone, normalize_phone, sms_enqueue
from loom.accounts.throttle import throttle_hit, throttle_reset
from loom.core.audit import audit_record
from loom.core.errors import Conflict, DomainError

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
Purpose = SmsCode.Purpose
PRIMARY_AUTHENTICATOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


class SmsCodeInvalid(DomainError):
    """The code was wrong, expired, used, or out of attempts. Deliberately one message."""

    code = "sms_code_invalid"

    def __init__(self) -> None:
        super().__init__(str(_("That code is not valid. Check it, or ask for a new code.")))


class PhoneInvalid(DomainError):
    code = "phone_invalid"

    def __init__(self) -> None:
        super().__init__(
            str(_("Enter a mobile number with its country code, for example +972 50 123 4567."))
        )


# --- Second-factor state -------------------------------------------------------------------


def sms_mfa_active(user: Any) -> bool:
    """SMS codes are a usable second factor: switched on and the phone is verified."""
    return bool(
        getattr(user, "sms_mfa_enabled_at", None)
        and getattr(user, "phone", "")
        and getattr(user, "phone_verified_at", None)
    )


def user_has_second_factor(user: Any) -> bool:
    """An authenticator app, a security key or SMS codes protect the account."""
    if user is None or getattr(user, "pk", None) is None:
        return False
    if sms_mfa_active(user):
        return True
    return Authenticator.objects.filter(
        user_id=user.pk, type__in=PRIMARY_AUTHENTICATOR_TYPES
    ).exists()


def user_has_app_authenticator(user: Any) -> bool:
    return Authenticator.objects.filter(
        user_id=user.pk, type__in=PRIMARY_AUTHENTICATOR_TYPES
    ).exists()


# --- Codes -------------------------------------------------------------------------------


def hash_sms_code(*, code: str, user_id: int, purpose: str) -> str:
    """Keyed hash of a code; binding user and purpose stops a code being reused elsewhere."""
    return salted_hmac(
        "loom.accounts.sms_code", f"{user_id}:{purpose}:{code}", algorithm="sha256"
    ).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _message_body(*, user: User, code: str, purpose: str) -> str:
    with translation.override(user.language or None):
        if purpose == Purpose.VERIFY_PHONE:
            text = gettext(
                "Your Loom code to confirm this phone is {code}. It expires in 5 minutes."
            )
        else:
            text = gettext(
                "Your Loom sign-in code is {code}. It expires in 5 minutes. Never share it with anyone."
            )
    return text.format(code=code)


@dataclass(frozen=True)
class SentCode:
    sms_code: SmsCode
    masked_phone: str


def sms_code_send(*, user: User, purpose: str, phone: str, ip: str | None) -> SentCode:
    """Send a fresh code to ``phone`` for ``purpose``; retire the user's previous open code.

    Raises ``Throttled`` when the account or IP sent too many codes recently (the
    refusal is audited). The text is written to the outbox in the same transaction
    as the code, so it is sent only if the code exists.
    """
    throttle_hit(scope="sms_send", user_id=user.pk, ip=ip)
    return _sms_code_create(user=user, purpose=purpose, phone=phone)


@transaction.atomic
def _sms_code_create(*, user: User, purpose: str, phone: str) -> SentCode:
    now = timezone.now()
    SmsCode.objects.filter(user=user, purpose=purpose, consumed_at__isnull=True).update(
        consumed_at=now
    )
    code = _new_code()
    sms_code = SmsCode.objects.create(
        user=user,
        purpose=purpose,
        phone=phone,
        code_hash=hash_sms_code(code=code, user_id=user.pk, purpose=purpose),
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    sms_enqueue(
        to=phone,
        body=_message_body(user=user, code=code, purpose=purpose),
        expires_at=sms_code.expires_at,
    )
    audit_record(
        action="sms.code_sent",
        actor=user,
        target=user,
        details={"purpose": purpose, "phone": mask_phone(phone), "code_id": sms_code.pk},
    )
    return SentCode(sms_code=sms_code, masked_phone=mask_phone(phone))


def sms_code_verify(*, user: User, purpose: str, code: str, ip: str | None) -> SmsCode:
    """Check ``code`` against the user's open code for ``purpose`` and consume it.

    Raises ``Throttled`` (too many checks for the account or IP) or ``SmsCodeInvalid``
    (wrong, expired, already used, or the sixth attempt). A wrong attempt is counted
    and audited even though the call fails: the bookkeeping commits before raising.
    """
    throttle_hit(scope="mfa_code", user_id=user.pk, ip=ip)
    outcome, sms_code = _sms_code_check(user=user, purpose=purpose, code=code)
    if outcome != "ok" or sms_code is None:
        raise SmsCodeInvalid()
    throttle_reset(scope="mfa_code", user_id=user.pk)
    return sms_code


@transaction.atomic
def _sms_code_check(*, user: User, purpose: str, code: str) -> tuple[str, SmsCode | None]:
    now = timezone.now()
    sms_code = (
        SmsCode.objects.select_for_update()
        .filter(user=user, purpose=purpose, consumed_at__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )
    outcome = "ok"
    if sms_code is None:
        outcome = "no_open_code"
    elif sms_code.expires_at <= now:
        outcome = "expired"
    elif sms_code.attempts >= MAX_ATTEMPTS:
        outcome = "attempts_exhausted"
    else:
        candidate = code.strip().replace(" ", "")[: CODE_DIGITS * 2]
        expected = hash_sms_code(code=candidate, user_id=user.pk, purpose=purpose)
        if not hmac.compare_digest(expected, sms_code.code_hash):
            outcome = "wrong_code"
    if sms_code is not None and outcome in {"ok", "wrong_code"}:
        # Conditional update: two concurrent checks of the same code cannot both
        # consume it, nor both slip past the attempt limit.
        changes: dict[str, Any] = {"attempts": F("attempts") + 1}
        if outcome == "ok":
            changes["consumed_at"] = now
        updated = SmsCode.objects.filter(
            pk=sms_code.pk, consumed_at__isnull=True, attempts__lt=MAX_ATTEMPTS
        ).update(**changes)
        if updated != 1:
            outcome = "race_lost"
    audit_record(
        action="sms.code_checked" if outcome == "ok" else "sms.code_rejected",
        actor=user,
        target=user,
        details={"purpose": purpose, "outcome": outcome, "code_id": getattr(sms_code, "pk", None)},
    )
    if outcome == "ok" and sms_code is not None:
        sms_code.refresh_from_db()
        return outcome, sms_code
    return outcome, None


# --- Phone and SMS second factor ---------------------------------------------------------


def phone_verification_start(*, user: User, phone: str, ip: str | None) -> SentCode:
    """Text a code to a new number; the account keeps its old number until it is confirmed."""
    try:
        normalized = normalize_phone(phone)
    except ValueError as exc:
        raise PhoneInvalid() from exc
    return sms_code_send(user=user, purpose=Purpose.VERIFY_PHONE, phone=normalized, ip=ip)


def phone_verification_confirm(*, user: User, code: str, ip: str | None) -> User:
    """Confirm the number the last verification code was sent to and store it."""
    sms_code = sms_code_verify(user=user, purpose=Purpose.VERIFY_PHONE, code=code, ip=ip)
    return _phone_set_verified(user=user, phone=sms_code.phone)


@transaction.atomic
def _phone_set_verified(*, user: User, phone: str) -> User:
    previous = user.phone
    user.phone = phone
    user.phone_verified_at = timezone.now()
    user.save(update_fields=["phone", "phone_verified_at"])
    audit_record(
        action="account.phone_verified",
        actor=user,
        target=user,
        details={"phone": mask_phone(phone), "changed": bool(previous and previous != phone)},
    )
    return user


@transaction.atomic
def sms_mfa_enable(*, user: User) -> User:
    if not (user.phone and user.phone_verified_at):
        raise Conflict(str(_("Confirm your mobile number before turning on text message codes.")))
    if user.sms_mfa_enabled_at is None:
        user.sms_mfa_enabled_at = timezone.now()
        user.save(update_fields=["sms_mfa_enabled_at"])
        audit_record(action="mfa.added", actor=user, target=user, details={"type": "sms"})
    return user


def _ensure_may_drop_sms(user: User) -> None:
    from loom.accounts.mfa_policy import mfa_required_for

    if sms_mfa_active(user) and mfa_required_for(user) and not user_has_app_authenticator(user):
        raise Conflict(
            str(
                _(
                    "Your account must keep two-step verification. Set up an authenticator app "
                    "before turning off text message codes."
                )
            ),
            code="mfa_required",
        )


@transaction.atomic
def sms_mfa_disable(*, user: User) -> User:
    _ensure_may_drop_sms(user)
    if user.sms_mfa_enabled_at is not None:
        user.sms_mfa_enabled_at = None
        user.save(update_fields=["sms_mfa_enabled_at"])
        audit_record(action="mfa.removed", actor=user, target=user, details={"type": "sms"})
    return user


@transaction.atomic
def phone_remove(*, user: User) -> User:
    """Forget the phone number; SMS codes stop working with it."""
    _ensure_may_drop_sms(user)
    had_sms = user.sms_mfa_enabled_at is not None
    user.phone = ""
    user.phone_verified_at = None
    user.sms_mfa_enabled_at = None
    user.save(update_fields=["phone", "phone_verified_at", "sms_mfa_enabled_at"])
    SmsCode.objects.filter(user=user, consumed_at__isnull=True).update(consumed_at=timezone.now())
    audit_record(action="account.phone_removed", actor=user, target=user)
    if had_sms:
        audit_record(action="mfa.removed", actor=user, target=user, details={"type": "sms"})
    return user


# --- Sign-in stage ---------------------------------------------------------------------------


class SecondFactorStage(AuthenticateStage):
    """allauth's MFA sign-in stage, extended to users whose only second factor is SMS.

    Same key as allauth's stage (so ``TrustStage`` offers "trust this browser" after
    it), but it sends people to ``security:mfa_authenticate``.
    """

    urlname = "security:mfa_authenticate"

    def handle(self) -> tuple[Any, bool]:
        if self._should_handle(self.request):
            self.state["authentication_required"] = True
            return headed_redirect_response(self.urlname), True
        return None, True

    def _should_handle(self, request: HttpRequest) -> bool:
        user = self.login.user
        if user is None or not user_has_second_factor(user):
            return False
        if did_use_passwordless_login(request, user):
            return False
        return not trust.is_trusted_browser(request, user)


def login_stages(default: list[str]) -> list[str]:
    """allauth's stage list with its MFA stage swapped for ``SecondFactorStage``."""
    ours = f"{SecondFactorStage.__module__}.{SecondFactorStage.__qualname__}"
    return [ours if path == "allauth.mfa.stages.AuthenticateStage" else path for path in default]

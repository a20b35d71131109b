"""Helpers shared by the sign-in security tests (MFA, SMS, sessions, throttles)."""

from __future__ import annotations

import re
import time
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.test import Client
from django.utils import timezone

from loom.accounts.mfa_policy import MFAAdapter
from loom.accounts.models import SmsMessageLog, User
from tests.world import PASSWORD

LOGIN_URL = "/accounts/login/"
VERIFY_URL = "/account/security/sign-in/verify/"


def enable_totp(user: User) -> str:
    """Give ``user`` an authenticator app (and recovery codes); return the TOTP secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def totp_code(secret: str, *, offset_steps: int = 0) -> str:
    counter = int(time.time()) // 30 + offset_steps
    return format_hotp_value(hotp_value(secret, counter))


def stored_totp_secret(user: User) -> str:
    auth = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return MFAAdapter().decrypt(auth.data["secret"])


def recovery_codes(user: User) -> list[str]:
    auth = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    return list(auth.wrap().get_unused_codes())


def enable_sms(user: User, phone: str = "+972501234567") -> User:
    now = timezone.now()
    user.phone = phone
    user.phone_verified_at = now
    user.sms_mfa_enabled_at = now
    user.save(update_fields=["phone", "phone_verified_at", "sms_mfa_enabled_at"])
    return user


def password_step(client: Client, user: User, *, next_url: str = "", remember: bool = False) -> Any:
    """Submit the sign-in form with the right password; return the (unfollowed) response."""
    url = LOGIN_URL + (f"?next={next_url}" if next_url else "")
    data = {"login": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    if remember:
        data["remember"] = "on"
    return client.post(url, data)


def last_sms_code(to: str) -> str:
    """The code in the newest text the console backend logged for ``to``."""
    message = SmsMessageLog.objects.filter(to=to).order_by("-created_at", "-pk").first()
    assert message is not None, f"no SMS was logged for {to}"
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match, message.body
    return match.group(1)


def reauthenticate(client: Client) -> None:
    """Confirm the password, as allauth asks before MFA changes."""
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302, response.status_code

"""Throttling of sign-in, sign-up, password reset, MFA code entry and SMS sends: answered
with 429 or a form error, the same whether or not the account exists, and audited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from loom.accounts.throttle import RATES, Rate, Throttled, throttle_hit, throttle_reset
from loom.core.models import AuditLog
from tests.accounts.security_support import (
    LOGIN_URL,
    VERIFY_URL,
    enable_sms,
    enable_totp,
    password_step,
    totp_code,
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate-limit counters and used TOTP codes live in the cache: start clean, and leave
    # nothing behind for the next test in this process.
    cache.clear()
    yield
    cache.clear()


def _errors(response) -> list[str]:
    """Form error texts on a page, without the parts that differ per request."""
    html = response.content.decode()
    return re.findall(r"<li>([^<]*)</li>", html.split("<main", 1)[1])


# --- The limiter -------------------------------------------------------------------------------------


def test_a_limit_refuses_the_hit_over_it_and_reopens_after_its_window(db):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        throttle_hit(scope="sms_send", user_id=1, ip=None)
        with pytest.raises(Throttled) as excinfo:
            throttle_hit(scope="sms_send", user_id=1, ip=None)
        assert excinfo.value.status == 429
        assert 1 <= excinfo.value.retry_after <= 60
        # Another account is counted separately.
        throttle_hit(scope="sms_send", user_id=2, ip=None)
        clock.shift(timedelta(seconds=61))
        throttle_hit(scope="sms_send", user_id=1, ip=None)


def test_refused_hits_do_not_use_up_the_allowance(db):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            throttle_hit(scope="sms_send", user_id=1, ip=None)
            for _ in range(3):
                with pytest.raises(Throttled):
                    throttle_hit(scope="sms_send", user_id=1, ip=None)
            clock.shift(timedelta(seconds=61))
        # Five sends in the hour: the sixth is refused by the hourly limit.
        with pytest.raises(Throttled) as excinfo:
            throttle_hit(scope="sms_send", user_id=1, ip=None)
        assert excinfo.value.retry_after > 60


def test_throttle_reset_forgets_an_account(db):
    for _ in range(10):
        throttle_hit(scope="mfa_code", user_id=7, ip=None)
    with pytest.raises(Throttled):
        throttle_hit(scope="mfa_code", user_id=7, ip=None)
    throttle_reset(scope="mfa_code", user_id=7)
    throttle_hit(scope="mfa_code", user_id=7, ip=None)


def test_refusals_are_audited_with_the_scope_and_address(db):
    throttle_hit(scope="sms_send", user_id=3, ip="192.0.2.1")
    with pytest.raises(Throttled):
        throttle_hit(scope="sms_send", user_id=3, ip="192.0.2.1")
    entry = AuditLog.objects.get(action="throttle.refused")
    assert entry.details["scope"] == "sms_send"
    assert entry.details["per"] == "user"
    assert entry.ip_address == "192.0.2.1"


def test_the_configured_limits_match_the_policy():
    assert Rate(1, 60, "user") in RATES["sms_send"]
    assert Rate(5, 3600, "user") in RATES["sms_send"]
    assert any(rate.per == "ip" for rate in RATES["sms_send"])
    assert {rate.per for rate in RATES["mfa_code"]} == {"user", "ip"}


# --- Sign-in ------------------------------------------------------------------------------------------


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(world):
    known = Client().post(LOGIN_URL, {"login": world.dana.email, "password": "wrong password 123"})
    unknown = Client().post(
        LOGIN_URL, {"login": "nobody@example.com", "password": "wrong password 123"}
    )
    assert known.status_code == unknown.status_code == 200
    assert _errors(known) == _errors(unknown)
    assert _errors(known)
    assert AuditLog.objects.filter(action="auth.sign_in_failed").count() == 2


def test_repeated_failures_for_one_address_are_stopped_with_a_generic_message(world):
    for email in (world.dana.email, "nobody@example.com"):
        responses = [
            Client(REMOTE_ADDR=f"198.51.100.{n}").post(
                LOGIN_URL, {"login": email, "password": "wrong password 1"}
            )
            for n in range(6)
        ]
        assert all(r.status_code == 200 for r in responses)
        assert "Too many failed login attempts" in " ".join(_errors(responses[-1]))
        assert "Too many failed login attempts" not in " ".join(_errors(responses[-2]))
    # Even the right password is refused while the address is throttled: no oracle.
    response = password_step(Client(REMOTE_ADDR="198.51.100.77"), world.dana)
    assert response.status_code == 200
    assert "Too many failed login attempts" in " ".join(_errors(response))
    assert AuditLog.objects.filter(action="throttle.refused", details__scope="sign_in").count() == 3
    assert AuditLog.objects.filter(action="auth.sign_in_failed").count() == 10


def test_many_sign_in_attempts_from_one_address_get_429(world):
    client = Client(REMOTE_ADDR="203.0.113.50")
    statuses = [client.post(LOGIN_URL, {"login": "x@example.com"}).status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
    response = client.post(LOGIN_URL, {"login": "x@example.com"})
    assert b"Too many attempts" in response.content
    assert AuditLog.objects.filter(action="throttle.refused", details__scope="allauth").exists()
    # Another address is unaffected.
    assert (
        Client(REMOTE_ADDR="203.0.113.51").post(LOGIN_URL, {"login": "x@example.com"}).status_code
        == 200
    )


# --- Sign-up and password reset -------------------------------------------------------------------------


def test_sign_up_is_limited_per_address(db):
    client = Client(REMOTE_ADDR="203.0.113.60")
    statuses = [
        client.post(
            "/accounts/signup/",
            {"email": f"new{n}@example.com", "password1": "x", "password2": "x"},
        ).status_code
        for n in range(21)
    ]
    assert 429 not in statuses[:20]
    assert statuses[20] == 429


def test_sign_up_with_a_taken_address_does_not_reveal_it(world):
    password = "a long enough passphrase 9"
    taken = Client(REMOTE_ADDR="203.0.113.61").post(
        "/accounts/signup/",
        {"email": world.dana.email, "password1": password, "password2": password},
    )
    fresh = Client(REMOTE_ADDR="203.0.113.62").post(
        "/accounts/signup/",
        {"email": "brand-new@example.com", "password1": password, "password2": password},
    )
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]


def test_password_reset_is_limited_per_address_with_the_same_answer_for_unknown_accounts(world):
    for email in (world.dana.email, "nobody@example.com"):
        statuses = [
            Client(REMOTE_ADDR=f"198.51.100.{n + 20}")
            .post("/accounts/password/reset/", {"email": email})
            .status_code
            for n in range(6)
        ]
        assert statuses == [302, 302, 302, 302, 302, 429], email
    # Only the real account was mailed, and only within the limit.
    assert len([m for m in mail.outbox if world.dana.email in m.to]) <= 5
    # Every request that got through was audited, for both addresses.
    requests = AuditLog.objects.filter(action="auth.password_reset_requested")
    assert requests.filter(details__known=True, target_id=str(world.dana.pk)).count() == 5
    assert requests.filter(details__known=False, details__email="nobody@example.com").count() == 5


def test_password_reset_is_limited_per_ip(db):
    client = Client(REMOTE_ADDR="203.0.113.70")
    statuses = [
        client.post("/accounts/password/reset/", {"email": f"someone{n}@example.com"}).status_code
        for n in range(21)
    ]
    assert 429 not in statuses[:20]
    assert statuses[20] == 429


# --- MFA code entry and SMS sends --------------------------------------------------------------------------


def test_mfa_code_guessing_is_stopped_and_the_right_code_is_refused_meanwhile(world):
    secret = enable_totp(world.dana)
    client = Client()
    password_step(client, world.dana)
    wrong = totp_code(secret, offset_steps=40)
    statuses = [
        client.post(VERIFY_URL, {"action": "code", "code": wrong}).status_code for _ in range(6)
    ]
    assert statuses[:5] == [400] * 5
    assert statuses[5] == 429
    response = client.post(VERIFY_URL, {"action": "code", "code": totp_code(secret)})
    assert response.status_code == 429
    assert client.get("/coach/").status_code == 302
    assert AuditLog.objects.filter(action="mfa.failed", actor=world.dana).count() == 5
    assert AuditLog.objects.filter(action="throttle.refused", details__scope="mfa_code").exists()


def test_our_mfa_limit_holds_per_account_across_sign_in_attempts(world):
    enable_sms(world.avi)
    statuses = []
    for n in range(11):
        client = Client(REMOTE_ADDR=f"198.51.100.{n + 100}")
        password_step(client, world.avi)
        statuses.append(
            client.post(VERIFY_URL, {"action": "sms_code", "sms_code": "000000"}).status_code
        )
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429


def test_sms_code_checks_are_limited_per_ip_across_accounts(world):
    users = [world.dana, world.eli, world.avi, world.noa, world.maya]
    for user in users:
        enable_sms(user, phone=f"+97250123{user.pk:04d}")
    statuses = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for attempt in range(31):
            # Spread out so allauth's own sign-in limit (30 a minute per IP) stays out of the way.
            clock.shift(timedelta(seconds=3))
            client = Client(REMOTE_ADDR="203.0.113.90")
            password_step(client, users[attempt % len(users)])
            statuses.append(
                client.post(VERIFY_URL, {"action": "sms_code", "sms_code": "000000"}).status_code
            )
    assert 429 not in statuses[:30]
    assert statuses[30] == 429

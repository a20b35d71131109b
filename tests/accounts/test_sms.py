"""SMS: the backends (console, Twilio against a real local HTTP server), delivery through the
outbox, phone verification, SMS codes as a second factor at sign-in, and their limits."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone

from loom.accounts.models import SmsCode, SmsMessageLog
from loom.accounts.sms import (
    ConsoleSMSBackend,
    SMSError,
    SMSPermanentError,
    TwilioSMSBackend,
    normalize_phone,
    sms_enqueue,
)
from loom.accounts.sms_mfa import (
    MAX_ATTEMPTS,
    Purpose,
    SmsCodeInvalid,
    hash_sms_code,
    sms_code_send,
    sms_code_verify,
)
from loom.accounts.throttle import Throttled
from loom.core.context import system_context
from loom.core.models import AuditLog, OutboxMessage
from loom.core.outbox import outbox_drain
from tests.accounts.security_support import (
    VERIFY_URL,
    enable_sms,
    enable_totp,
    last_sms_code,
    password_step,
    reauthenticate,
)
from tests.conftest import signed_in
from tests.security.conftest import APP_ROLE, app_role, application_connections  # noqa: F401
from tests.world import World

PHONE = "+972501234567"
SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilio-test-token"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate-limit counters and used TOTP codes live in the cache: start clean, and leave
    # nothing behind for the next test in this process.
    cache.clear()
    yield
    cache.clear()


# --- A real HTTP server standing in for Twilio ----------------------------------------------------


class FakeTwilio:
    """A local HTTP server that records requests and answers with a chosen status."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 201
        self.body: dict[str, Any] = {"sid": "SM0001", "status": "queued"}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length).decode()
                outer.requests.append(
                    {
                        "method": "POST",
                        "path": self.path,
                        "authorization": self.headers.get("Authorization", ""),
                        "content_type": self.headers.get("Content-Type", ""),
                        "form": {key: values[0] for key, values in parse_qs(raw).items()},
                    }
                )
                payload = json.dumps(outer.body).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def backend(self) -> TwilioSMSBackend:
        return TwilioSMSBackend(
            account_sid=SID, auth_token=TOKEN, from_number="+15005550006", api_base=self.base_url
        )


@pytest.fixture
def twilio():
    fake = FakeTwilio()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_twilio_backend_posts_the_form_with_basic_auth(twilio):
    twilio.backend().send(PHONE, "Your Loom code is 123456.")
    assert len(twilio.requests) == 1
    request = twilio.requests[0]
    assert request["method"] == "POST"
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    expected_auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request["authorization"] == expected_auth
    assert request["content_type"].startswith("application/x-www-form-urlencoded")
    assert request["form"] == {
        "To": PHONE,
        "From": "+15005550006",
        "Body": "Your Loom code is 123456.",
    }


def test_twilio_client_error_is_permanent_and_says_why(twilio):
    twilio.status = 400
    twilio.body = {
        "code": 21211,
        "message": "The 'To' number is not a valid phone number.",
        "status": 400,
    }
    with pytest.raises(SMSPermanentError) as excinfo:
        twilio.backend().send("+10000000", "hello")
    assert "400" in str(excinfo.value)
    assert "21211" in str(excinfo.value)
    assert "not a valid phone number" in str(excinfo.value)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_twilio_server_trouble_is_a_retryable_error(twilio, status):
    twilio.status = status
    twilio.body = {"code": 20500, "message": "Internal error"}
    with pytest.raises(SMSError) as excinfo:
        twilio.backend().send(PHONE, "hello")
    assert not isinstance(excinfo.value, SMSPermanentError)
    assert str(status) in str(excinfo.value)


def test_twilio_unreachable_is_a_retryable_error(twilio):
    backend = twilio.backend()
    twilio.server.shutdown()
    twilio.server.server_close()
    with pytest.raises(SMSError) as excinfo:
        backend.send(PHONE, "hello")
    assert not isinstance(excinfo.value, SMSPermanentError)
    assert "could not be reached" in str(excinfo.value)


def test_twilio_backend_refuses_to_start_without_credentials():
    from django.core.exceptions import ImproperlyConfigured

    with (
        override_settings(TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="", TWILIO_FROM_NUMBER=""),
        pytest.raises(ImproperlyConfigured),
    ):
        TwilioSMSBackend()


def test_sms_goes_through_the_outbox_to_twilio_and_the_body_is_not_kept(
    db, twilio, django_capture_on_commit_callbacks
):
    twilio_settings = {
        "SMS_BACKEND": "loom.accounts.sms.TwilioSMSBackend",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE": twilio.base_url,
    }
    with override_settings(**twilio_settings), django_capture_on_commit_callbacks(execute=True):
        message = sms_enqueue(to=PHONE, body="Your Loom code is 654321.")
    assert [r["form"]["Body"] for r in twilio.requests] == ["Your Loom code is 654321."]
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.payload == {}


def test_a_refused_number_becomes_a_dead_letter_at_once(
    db, twilio, django_capture_on_commit_callbacks
):
    twilio.status = 400
    twilio.body = {"code": 21211, "message": "Invalid 'To' Phone Number"}
    with (
        override_settings(
            SMS_BACKEND="loom.accounts.sms.TwilioSMSBackend",
            TWILIO_ACCOUNT_SID=SID,
            TWILIO_AUTH_TOKEN=TOKEN,
            TWILIO_FROM_NUMBER="+15005550006",
            TWILIO_API_BASE=twilio.base_url,
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = sms_enqueue(to=PHONE, body="hello")
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DEAD
    assert "21211" in message.last_error


def test_a_code_text_that_could_not_be_sent_in_time_is_dropped(db):
    message = sms_enqueue(
        to=PHONE, body="Your code is 111111", expires_at=timezone.now() + timedelta(minutes=5)
    )
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        outbox_drain()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DEAD
    assert not SmsMessageLog.objects.exists()


def test_console_backend_stores_the_message_for_the_demo_page(db):
    ConsoleSMSBackend().send(PHONE, "Hello from Loom")
    assert SmsMessageLog.objects.get().body == "Hello from Loom"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+972 50-123-4567", "+972501234567"),
        ("00972501234567", "+972501234567"),
        ("+1 (212) 555-0100", "+12125550100"),
    ],
)
def test_phone_numbers_are_normalized_to_e164(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "0501234567", "+0123456789", "+97250abc4567", "+1" + "2" * 20, "+9725\x0001234567"]
)
def test_phone_numbers_that_are_not_e164_are_refused(raw):
    with pytest.raises(ValueError):
        normalize_phone(raw)


# --- Codes -----------------------------------------------------------------------------------------


def _send(user, django_capture_on_commit_callbacks, purpose=Purpose.SIGN_IN, ip="198.51.100.7"):
    with django_capture_on_commit_callbacks(execute=True):
        sms_code_send(user=user, purpose=purpose, phone=PHONE, ip=ip)
    return last_sms_code(PHONE)


def test_codes_are_six_digits_and_stored_only_as_a_keyed_hash(
    world, django_capture_on_commit_callbacks
):
    code = _send(world.dana, django_capture_on_commit_callbacks)
    stored = SmsCode.objects.get(user=world.dana)
    assert len(code) == 6 and code.isdigit()
    assert code not in stored.code_hash
    assert stored.code_hash == hash_sms_code(
        code=code, user_id=world.dana.pk, purpose=Purpose.SIGN_IN
    )
    with override_settings(SECRET_KEY="another-secret-key-for-this-test-only"):
        assert stored.code_hash != hash_sms_code(
            code=code, user_id=world.dana.pk, purpose=Purpose.SIGN_IN
        )
    assert stored.expires_at - stored.created_at == timedelta(minutes=5)
    assert AuditLog.objects.filter(action="sms.code_sent", actor=world.dana).exists()


def test_a_code_is_accepted_once(world, django_capture_on_commit_callbacks):
    code = _send(world.dana, django_capture_on_commit_callbacks)
    sms_code_verify(user=world.dana, purpose=Purpose.SIGN_IN, code=code, ip=None)
    with pytest.raises(SmsCodeInvalid):
        sms_code_verify(user=world.dana, purpose=Purpose.SIGN_IN, code=code, ip=None)
    assert AuditLog.objects.filter(
        action="sms.code_rejected", details__outcome="no_open_code"
    ).exists()


def test_an_expired_code_is_refused(world, django_capture_on_commit_callbacks):
    code = _send(world.dana, django_capture_on_commit_callbacks)
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1), tick=False),
        pytest.raises(SmsCodeInvalid),
    ):
        sms_code_verify(user=world.dana, purpose=Purpose.SIGN_IN, code=code, ip=None)
    assert AuditLog.objects.filter(action="sms.code_rejected", details__outcome="expired").exists()


def test_the_sixth_attempt_is_refused_even_with_the_right_code(
    world, django_capture_on_commit_callbacks
):
    code = _send(world.dana, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(SmsCodeInvalid):
            sms_code_verify(user=world.dana, purpose=Purpose.SIGN_IN, code=wrong, ip=None)
    assert SmsCode.objects.get(user=world.dana).attempts == MAX_ATTEMPTS
    with pytest.raises(SmsCodeInvalid):
        sms_code_verify(user=world.dana, purpose=Purpose.SIGN_IN, code=code, ip=None)
    assert AuditLog.objects.filter(
        action="sms.code_rejected", details__outcome="attempts_exhausted"
    ).exists()
    assert (
        AuditLog.objects.filter(action="sms.code_rejected", details__outcome="wrong_code").count()
        == 5
    )


def test_a_new_code_retires_the_previous_one(world, django_capture_on_commit_callbacks):
    _send(world.dana, django_capture_on_commit_callbacks)
    first = SmsCode.objects.get(user=world.dana)
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=False):
        second = _send(world.dana, django_capture_on_commit_callbacks)
        first.refresh_from_db()
        assert first.consumed_at is not None
        sms_code_verify(user=world.dana, purpose=Purpose.SIGN_IN, code=second, ip=None)


def test_a_phone_verification_code_is_no_sign_in_code(world, django_capture_on_commit_callbacks):
    code = _send(world.dana, django_capture_on_commit_callbacks, purpose=Purpose.VERIFY_PHONE)
    with pytest.raises(SmsCodeInvalid):
        sms_code_verify(user=world.dana, purpose=Purpose.SIGN_IN, code=code, ip=None)


def test_resending_is_limited_per_minute_and_per_hour(world, django_capture_on_commit_callbacks):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _send(world.dana, django_capture_on_commit_callbacks)
        with pytest.raises(Throttled):
            _send(world.dana, django_capture_on_commit_callbacks)
        for _ in range(4):
            clock.shift(timedelta(seconds=61))
            _send(world.dana, django_capture_on_commit_callbacks)
        clock.shift(timedelta(seconds=61))
        with pytest.raises(Throttled) as excinfo:
            _send(world.dana, django_capture_on_commit_callbacks)
        assert excinfo.value.status == 429
        clock.shift(timedelta(hours=1))
        _send(world.dana, django_capture_on_commit_callbacks)
    assert SmsCode.objects.filter(user=world.dana).count() == 6
    assert (
        AuditLog.objects.filter(action="throttle.refused", details__scope="sms_send").count() == 2
    )


def test_sends_are_limited_per_ip_across_accounts(world, django_capture_on_commit_callbacks):
    users = [world.dana, world.eli, world.avi, world.noa, world.maya, world.admin]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        # Ten sends from one address (two each for five accounts, a minute apart) ...
        for _round in range(2):
            for user in users[:5]:
                _send(user, django_capture_on_commit_callbacks, ip="203.0.113.9")
            clock.shift(timedelta(seconds=61))
        # ... and the eleventh, for a sixth account, is refused.
        with pytest.raises(Throttled):
            _send(world.admin, django_capture_on_commit_callbacks, ip="203.0.113.9")
        # Another address is not affected.
        _send(world.admin, django_capture_on_commit_callbacks, ip="203.0.113.10")


# --- Phone verification and enabling SMS codes (views) -------------------------------------------


def test_verify_a_phone_then_turn_on_sms_codes(world, django_capture_on_commit_callbacks):
    client = signed_in(world.dana)
    reauthenticate(client)
    assert client.get("/account/security/sms/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/security/sms/phone/", {"phone": "+972 50-123-4567"})
    assert response.status_code == 302
    world.dana.refresh_from_db()
    assert world.dana.phone == ""  # not stored before it is confirmed
    page = client.get("/account/security/sms/")
    assert "•••• 4567".encode() in page.content

    response = client.post(
        "/account/security/sms/phone/confirm/", {"sms_code": last_sms_code(PHONE)}
    )
    assert response.status_code == 302
    world.dana.refresh_from_db()
    assert world.dana.phone == PHONE
    assert world.dana.phone_verified_at is not None

    response = client.post("/account/security/sms/enable/")
    assert response.status_code == 302
    world.dana.refresh_from_db()
    assert world.dana.sms_mfa_enabled_at is not None
    assert AuditLog.objects.filter(
        action="mfa.added", actor=world.dana, details__type="sms"
    ).exists()
    # The change is confirmed with an offer to sign out other devices.
    assert b"/account/security/sessions/end-others/" in client.get("/account/security/sms/").content


def test_an_invalid_phone_gets_a_clear_error_and_nothing_is_written(world):
    client = signed_in(world.dana)
    reauthenticate(client)
    for bad in ["not a phone", "x" * 10_000, "+97250\x001234567"]:
        response = client.post("/account/security/sms/phone/", {"phone": bad})
        assert response.status_code == 400
    assert not SmsCode.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_sms_codes_cannot_be_turned_on_without_a_confirmed_phone(world):
    client = signed_in(world.dana)
    reauthenticate(client)
    client.post("/account/security/sms/enable/")
    world.dana.refresh_from_db()
    assert world.dana.sms_mfa_enabled_at is None


def test_changing_sms_codes_asks_for_reauthentication(world):
    enable_sms(world.dana)
    response = signed_in(world.dana).post("/account/security/sms/disable/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    world.dana.refresh_from_db()
    assert world.dana.sms_mfa_enabled_at is not None


def test_an_admin_cannot_turn_off_their_only_second_factor(world):
    enable_sms(world.admin)
    client = signed_in(world.admin)
    reauthenticate(client)
    client.post("/account/security/sms/disable/")
    client.post("/account/security/sms/phone/remove/")
    world.admin.refresh_from_db()
    assert world.admin.sms_mfa_enabled_at is not None
    assert world.admin.phone == "+972501234567"
    enable_totp(world.admin)
    client.post("/account/security/sms/disable/")
    world.admin.refresh_from_db()
    assert world.admin.sms_mfa_enabled_at is None


# --- Signing in with a texted code -------------------------------------------------------------


def test_sign_in_with_a_texted_code(world, django_capture_on_commit_callbacks):
    enable_sms(world.avi)
    client = Client()
    response = password_step(client, world.avi, next_url="/account/security/sessions/")
    assert response["Location"] == VERIFY_URL
    page = client.get(VERIFY_URL)
    assert b"Text me a code" in page.content
    assert b'name="code"' not in page.content  # no authenticator app, no recovery codes

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(VERIFY_URL, {"action": "send_sms"})
    assert response["Location"] == VERIFY_URL
    page = client.get(VERIFY_URL)
    assert "•••• 4567".encode() in page.content

    response = client.post(VERIFY_URL, {"action": "sms_code", "sms_code": last_sms_code(PHONE)})
    assert response["Location"] == "/accounts/2fa/trust/"
    response = client.post("/accounts/2fa/trust/", {"action": "trust"}, follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/account/security/sessions/"
    assert AuditLog.objects.filter(action="sms.code_checked", actor=world.avi).exists()

    # Trusted for 30 days: the next sign-in skips the texted code.
    client.post("/accounts/logout/")
    assert password_step(client, world.avi)["Location"] == "/home/"


def test_a_wrong_texted_code_keeps_you_signed_out(world, django_capture_on_commit_callbacks):
    enable_sms(world.avi)
    client = Client()
    password_step(client, world.avi)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(VERIFY_URL, {"action": "send_sms"})
    code = last_sms_code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY_URL, {"action": "sms_code", "sms_code": wrong})
    assert response.status_code == 400
    assert b"That code is not valid" in response.content
    assert client.get("/client/").status_code == 302
    malformed = client.post(VERIFY_URL, {"action": "sms_code", "sms_code": "12ab"})
    assert malformed.status_code == 400


def test_a_user_with_both_factors_may_choose_either(world, django_capture_on_commit_callbacks):
    enable_totp(world.dana)
    enable_sms(world.dana)
    client = Client()
    password_step(client, world.dana)
    page = client.get(VERIFY_URL)
    assert b'name="code"' in page.content
    assert b"Text me a code" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(VERIFY_URL, {"action": "send_sms"})
    response = client.post(VERIFY_URL, {"action": "sms_code", "sms_code": last_sms_code(PHONE)})
    assert response["Location"] == "/accounts/2fa/trust/"


def test_texting_a_code_at_sign_in_is_limited(world, django_capture_on_commit_callbacks):
    enable_sms(world.avi)
    client = Client()
    password_step(client, world.avi)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(VERIFY_URL, {"action": "send_sms"})
    response = client.post(VERIFY_URL, {"action": "send_sms"})
    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert SmsCode.objects.filter(user=world.avi).count() == 1


# --- The demo SMS page ---------------------------------------------------------------------------


def test_admins_read_texts_on_the_demo_page(world, django_assert_max_num_queries):
    for index in range(30):
        SmsMessageLog.objects.create(to=PHONE, body=f"Your Loom code is {index:06d}.")
    enable_totp(world.admin)
    client = signed_in(world.admin)
    # The page's own reads, plus the header's realtime stream position and badges.
    with django_assert_max_num_queries(14):
        response = client.get("/admin-area/sms/")
    assert response.status_code == 200
    assert b"Your Loom code is 000029." in response.content


def test_an_admin_without_mfa_can_still_read_the_demo_page_to_enrol(world):
    SmsMessageLog.objects.create(to=PHONE, body="Your Loom code to confirm this phone is 123456.")
    response = signed_in(world.admin).get("/admin-area/sms/")
    assert response.status_code == 200
    assert b"123456" in response.content


def test_the_demo_page_is_for_admins_only_and_only_in_demo_mode(world):
    enable_totp(world.admin)
    assert signed_in(world.dana).get("/admin-area/sms/")["Location"] == "/coach/"
    assert Client().get("/admin-area/sms/").status_code == 302
    with override_settings(LOOM_DEMO_MODE=False):
        assert signed_in(world.admin).get("/admin-area/sms/").status_code == 404


# --- PostgreSQL, as the application role (row-level security on SMS codes) ----------------------


@pytest.mark.postgres
@pytest.mark.usefixtures("app_role")
def test_sms_sign_in_works_as_the_application_role(transactional_db):
    # Before sign-in nobody is acting, yet the code must be written and checked for the
    # person in the pending sign-in: the verify step acts as them.
    world = World.build()
    enable_sms(world.avi)
    with application_connections(APP_ROLE):
        client = Client()
        assert password_step(client, world.avi)["Location"] == VERIFY_URL
        assert client.post(VERIFY_URL, {"action": "send_sms"})["Location"] == VERIFY_URL
        assert "•••• 4567".encode() in client.get(VERIFY_URL).content
        with system_context():
            code = last_sms_code(PHONE)
        response = client.post(VERIFY_URL, {"action": "sms_code", "sms_code": code})
        assert response["Location"] == "/accounts/2fa/trust/"
        response = client.post("/accounts/2fa/trust/", {"action": "skip"}, follow=True)
        assert response.request["PATH_INFO"] == "/client/"
        assert client.get("/account/security/sessions/").status_code == 200
        with system_context():
            assert SmsCode.objects.get(user=world.avi).consumed_at is not None

"""Expired, replayed, tampered and foreign tokens: a clear error, and nothing written.

Invitation links, email verification keys, password reset links, and second-factor
codes (authenticator app, recovery codes, texted codes). The only writes a refusal
may make are the records of the refused attempt itself: an audit row
(``ATTEMPT_ACTIONS``) and, for a texted code, its attempt counter.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from allauth.account import app_settings as account_settings
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.core.cache import cache
from django.test import Client, TestCase
from django.utils import timezone

from loom.accounts import services
from loom.accounts.models import SecurityPolicy, SmsCode
from loom.accounts.sms_mfa import Purpose, sms_code_send
from tests.accounts.security_support import (
    VERIFY_URL,
    enable_sms,
    enable_totp,
    last_sms_code,
    password_step,
    recovery_codes,
    totp_code,
)
from tests.conftest import signed_in
from tests.factories import InvitationFactory
from tests.security.bad_input import (
    LONG,
    assert_nothing_written,
    body_text,
    new_audit_actions,
    snapshot,
)
from tests.world import PASSWORD, World

pytestmark = pytest.mark.django_db

FULLWIDTH_DIGITS = "\uff11\uff12\uff13\uff14\uff15\uff16"  # "123456" typed on a CJK keyboard

NEW_PASSWORD = "lantern harbour quietly sings"
SMS_ATTEMPTS = {"accounts.smscode": frozenset({"attempts"})}


@pytest.fixture(autouse=True)
def _fresh_cache(db: None) -> Iterator[None]:
    cache.clear()
    SecurityPolicy.current()
    yield
    cache.clear()


# --- Invitations ---------------------------------------------------------------------------------

ACCEPT = {
    "full_name": "Tamar Golan",
    "password1": NEW_PASSWORD,
    "password2": NEW_PASSWORD,
    "timezone": "Asia/Jerusalem",
    "accept_terms": "on",
}
UNAVAILABLE = "This invitation link cannot be used"


def _expired(world: World) -> str:
    invitation = InvitationFactory(coach=world.dana, email="late@example.com")
    invitation.expires_at = timezone.now() - timedelta(seconds=1)
    invitation.save(update_fields=["expires_at"])
    return invitation.token


def _accepted(world: World) -> str:
    invitation = InvitationFactory(coach=world.dana, email="first@example.com")
    services.invitation_accept(
        token=invitation.token, full_name="First", password=NEW_PASSWORD, accepted_terms=True
    )
    return invitation.token


def _revoked(world: World) -> str:
    invitation = InvitationFactory(coach=world.dana, email="withdrawn@example.com")
    services.invitation_revoke(coach=world.dana, invitation_id=invitation.pk)
    return invitation.token


def _replaced_by_a_resend(world: World) -> str:
    invitation = InvitationFactory(coach=world.dana, email="resent@example.com")
    services.invitation_resend(coach=world.dana, invitation_id=invitation.pk)
    return invitation.token  # the old link


def _tampered(world: World) -> str:
    token = InvitationFactory(coach=world.dana, email="tampered@example.com").token
    return token[:-1] + ("A" if token[-1] != "A" else "B")


BAD_LINKS = {
    "expired": (_expired, 410),
    "replayed after acceptance": (_accepted, 410),
    "revoked": (_revoked, 410),
    "replaced by a resend": (_replaced_by_a_resend, 404),
    "tampered": (_tampered, 404),
    "malformed": (lambda world: "not-a-token!", 404),
    "overlong": (lambda world: "A" * 10_000, 404),
    "percent-encoded NUL": (lambda world: "%00" + "A" * 42, 404),
    "unicode": (lambda world: "ת" * 43, 404),
}


@pytest.mark.parametrize("kind", BAD_LINKS)
@pytest.mark.parametrize("who", ["anonymous", "avi"])
def test_unusable_invitation_links_say_why_and_write_nothing(world, kind, who):
    make, status = BAD_LINKS[kind]
    token = make(world)
    client = Client() if who == "anonymous" else signed_in(world.avi)
    before = snapshot()
    for response in (client.get(f"/invite/{token}/"), client.post(f"/invite/{token}/", ACCEPT)):
        assert response.status_code == status, kind
        assert UNAVAILABLE in body_text(response)
    assert_nothing_written(before, kind)


def test_someone_elses_invitation_is_refused_while_signed_in(world):
    """Eli (a coach) and Maya (Eli's client) open a link Dana sent to Avi's address."""
    invitation = InvitationFactory(coach=world.dana, email="avi@example.com")
    for person in (world.eli, world.maya):
        client = signed_in(person)
        before = snapshot()
        for response in (
            client.get(f"/invite/{invitation.token}/"),
            client.post(f"/invite/{invitation.token}/", ACCEPT),
        ):
            assert response.status_code == 403
            assert "accounts/invitation/wrong_account.html" in [t.name for t in response.templates]
        assert_nothing_written(before, person.email)
    # The link still works for the person it was sent to.
    assert signed_in(world.avi).post(f"/invite/{invitation.token}/").status_code == 302


def test_an_invitation_link_cannot_be_accepted_twice_even_by_the_same_browser(world):
    invitation = InvitationFactory(coach=world.dana, email="twice@example.com")
    client = Client()
    assert client.post(f"/invite/{invitation.token}/", ACCEPT).status_code == 302
    client.logout()
    before = snapshot()
    again = client.post(f"/invite/{invitation.token}/", {**ACCEPT, "full_name": "Someone Else"})
    assert again.status_code == 410
    assert_nothing_written(before, "second acceptance")


def test_an_invitation_link_expires_after_seven_days(world):
    invitation = InvitationFactory(coach=world.dana, email="week@example.com")
    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
        before = snapshot()
        response = Client().post(f"/invite/{invitation.token}/", ACCEPT)
        assert response.status_code == 410
        assert_nothing_written(before, "expired after 7 days")


# --- Email verification keys ----------------------------------------------------------------------

CONFIRM_FAILED = "This email confirmation link expired or is invalid"


def _address(user, email: str) -> EmailAddress:
    return EmailAddress.objects.create(user=user, email=email, verified=False, primary=False)


def _confirm_url(address: EmailAddress) -> str:
    return f"/accounts/confirm-email/{EmailConfirmationHMAC(address).key}/"


def test_a_valid_email_key_confirms_once(world):
    """The control: the untampered key works (and only once, below)."""
    address = _address(world.dana, "dana.work@example.com")
    client = signed_in(world.dana)
    response = client.post(_confirm_url(address))
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(
            lambda key: key[:-2] + ("AA" if not key.endswith("AA") else "BB"),
            id="tampered-signature",
        ),
        pytest.param(lambda key: "MQ:" + key.split(":", 1)[1], id="another-address-id"),
        pytest.param(lambda key: key + "x" * 10_000, id="overlong"),
        pytest.param(lambda key: "not-a-key", id="malformed"),
        pytest.param(lambda key: key.split(":")[0], id="truncated"),
    ],
)
def test_tampered_email_keys_are_refused_and_write_nothing(world, mangle):
    address = _address(world.dana, "dana.work@example.com")
    key = EmailConfirmationHMAC(address).key
    client = signed_in(world.dana)
    url = f"/accounts/confirm-email/{mangle(key)}/"
    before = snapshot()
    # Following the link (GET) explains; posting the confirmation of a bad key is a 404.
    opened = client.get(url)
    assert opened.status_code == 200
    assert CONFIRM_FAILED in body_text(opened)
    assert client.post(url).status_code == 404
    assert_nothing_written(before, "tampered key")
    address.refresh_from_db()
    assert not address.verified


def test_a_used_email_key_cannot_be_replayed(world):
    address = _address(world.dana, "dana.work@example.com")
    url = _confirm_url(address)
    client = signed_in(world.dana)
    assert client.post(url).status_code == 302
    before = snapshot()
    response = client.post(url)
    assert response.status_code < 500
    assert_nothing_written(before, "replayed key")


def test_an_expired_email_key_is_refused(world):
    address = _address(world.dana, "dana.work@example.com")
    url = _confirm_url(address)
    days = account_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS
    with time_machine.travel(timezone.now() + timedelta(days=days, hours=1)):
        client = signed_in(world.dana)
        before = snapshot()
        assert CONFIRM_FAILED in body_text(client.get(url))
        assert client.post(url).status_code == 404
        assert_nothing_written(before, "expired key")
    address.refresh_from_db()
    assert not address.verified


def test_another_accounts_key_cannot_confirm_an_address_already_taken(world):
    """Avi added dana@example.com-like address that Dana already holds verified: refused."""
    taken = _address(world.avi, "dana@example.com")
    client = signed_in(world.avi)
    before = snapshot()
    response = client.post(_confirm_url(taken))
    assert response.status_code < 500
    assert_nothing_written(before, "address of another account")
    taken.refresh_from_db()
    assert not taken.verified


def test_a_key_opened_while_signed_in_as_someone_else_confirms_nothing_for_them(world):
    """Dana's key, opened in Eli's browser, never verifies or changes anything of Eli's."""
    address = _address(world.dana, "dana.work@example.com")
    client = signed_in(world.eli)
    eli_addresses = list(
        EmailAddress.objects.filter(user=world.eli).values_list("email", "verified")
    )
    response = client.post(_confirm_url(address))
    assert response.status_code < 500
    assert (
        list(EmailAddress.objects.filter(user=world.eli).values_list("email", "verified"))
        == eli_addresses
    )
    assert not EmailAddress.objects.filter(user=world.eli, email="dana.work@example.com").exists()


# --- Password reset links ----------------------------------------------------------------------------

BAD_TOKEN = "Bad Token"


def _reset_url(user, key: str | None = None) -> str:
    return f"/accounts/password/reset/key/{user_pk_to_url_str(user)}-{key or default_token_generator.make_token(user)}/"


def _follow_and_post(client: Client, url: str) -> tuple[object, object]:
    opened = client.get(url)
    target = opened["Location"] if opened.status_code == 302 else url
    posted = client.post(target, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    return opened, posted


def _assert_password_unchanged(user) -> None:
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_valid_reset_link_changes_the_password_once(world):
    url = _reset_url(world.dana)
    client = Client()
    _opened, posted = _follow_and_post(client, url)
    assert posted.status_code == 302
    world.dana.refresh_from_db()
    assert world.dana.check_password(NEW_PASSWORD)
    # Used: the same link now says it is bad, and writes nothing.
    before = snapshot()
    opened, posted = _follow_and_post(Client(), url)
    assert BAD_TOKEN in body_text(opened) + body_text(posted)
    assert_nothing_written(before, "reused reset link")
    world.dana.refresh_from_db()
    assert world.dana.check_password(NEW_PASSWORD)


def _tampered_token(token: str) -> str:
    # Change the last character to a different one: replacing it with a fixed
    # character would leave the token valid whenever it already ended with it.
    return token[:-1] + ("1" if token.endswith("0") else "0")


@pytest.mark.parametrize(
    "make_url",
    [
        pytest.param(
            lambda w: _reset_url(
                w.dana, _tampered_token(default_token_generator.make_token(w.dana))
            ),
            id="tampered",
        ),
        pytest.param(
            lambda w: _reset_url(w.avi, default_token_generator.make_token(w.dana)),
            id="another-users-token",
        ),
        pytest.param(lambda w: _reset_url(w.dana, "x" * 10_000), id="overlong"),
        pytest.param(
            lambda w: "/accounts/password/reset/key/zzzzzzzzzzzzzz-abc/", id="unknown-user"
        ),
        pytest.param(
            lambda w: f"/accounts/password/reset/key/{'9' * 400}-abc-def/", id="huge-user-id"
        ),
        pytest.param(lambda w: "/accounts/password/reset/key/1-%00/", id="nul"),
    ],
)
def test_bad_reset_links_are_refused_and_write_nothing(world, make_url):
    url = make_url(world)
    before = snapshot()
    opened, posted = _follow_and_post(Client(), url)
    assert opened.status_code < 500 and posted.status_code < 500  # type: ignore[attr-defined]
    assert BAD_TOKEN in body_text(opened) + body_text(posted) or 404 in (
        opened.status_code,
        posted.status_code,
    )  # type: ignore[attr-defined]
    assert_nothing_written(before, url[:80])
    _assert_password_unchanged(world.dana)
    _assert_password_unchanged(world.avi)


def test_a_reset_link_dies_when_the_password_changes(world):
    url = _reset_url(world.dana)
    client = signed_in(world.dana)
    client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a different passphrase entirely",
            "password2": "a different passphrase entirely",
        },
    )
    world.dana.refresh_from_db()
    before = snapshot()
    opened, posted = _follow_and_post(Client(), url)
    assert BAD_TOKEN in body_text(opened) + body_text(posted)
    assert_nothing_written(before, "reset after password change")
    world.dana.refresh_from_db()
    assert world.dana.check_password("a different passphrase entirely")


def test_a_reset_link_expires(world, settings):
    url = _reset_url(world.dana)
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    ):
        before = snapshot()
        opened, posted = _follow_and_post(Client(), url)
        assert BAD_TOKEN in body_text(opened) + body_text(posted)
        assert_nothing_written(before, "expired reset link")
    _assert_password_unchanged(world.dana)


# --- Second-factor codes ----------------------------------------------------------------------------


def _at_second_step(user) -> Client:
    client = Client()
    assert password_step(client, user)["Location"] == VERIFY_URL
    return client


def _assert_refused_code(response, before, what: str, *, counters=None) -> None:
    assert response.status_code in (400, 429), (what, response.status_code)
    assert 'class="field-errors"' in body_text(response) or 'role="alert"' in body_text(response), (
        what
    )
    assert_nothing_written(before, what, counters=counters)


def test_a_totp_code_is_single_use_and_the_replay_writes_only_its_audit(world):
    secret = enable_totp(world.dana)
    code = totp_code(secret)
    first = _at_second_step(world.dana)
    assert first.post(VERIFY_URL, {"action": "code", "code": code}).status_code == 302
    second = _at_second_step(world.dana)
    before = snapshot()
    response = second.post(VERIFY_URL, {"action": "code", "code": code})
    _assert_refused_code(response, before, "replayed TOTP")
    assert new_audit_actions(before) == ["mfa.failed"]
    assert second.get("/coach/").status_code == 302  # still not signed in


def test_another_persons_totp_code_is_refused(world):
    enable_totp(world.dana)
    avi_secret = enable_totp(world.avi)
    client = _at_second_step(world.dana)
    before = snapshot()
    response = client.post(VERIFY_URL, {"action": "code", "code": totp_code(avi_secret)})
    _assert_refused_code(response, before, "Avi's TOTP code for Dana")


@pytest.mark.parametrize("offset", [-3, 3, 100])
def test_a_totp_code_from_another_time_is_refused(world, offset):
    secret = enable_totp(world.dana)
    client = _at_second_step(world.dana)
    before = snapshot()
    response = client.post(
        VERIFY_URL, {"action": "code", "code": totp_code(secret, offset_steps=offset)}
    )
    _assert_refused_code(response, before, f"TOTP {offset} steps away")


def test_a_used_recovery_code_is_refused_and_another_persons_too(world):
    enable_totp(world.dana)
    enable_totp(world.avi)
    code = recovery_codes(world.dana)[0]
    first = _at_second_step(world.dana)
    assert first.post(VERIFY_URL, {"action": "code", "code": code}).status_code == 302
    again = _at_second_step(world.dana)
    before = snapshot()
    _assert_refused_code(
        again.post(VERIFY_URL, {"action": "code", "code": code}), before, "reused recovery code"
    )
    before = snapshot()
    avis = recovery_codes(world.avi)[0]
    _assert_refused_code(
        again.post(VERIFY_URL, {"action": "code", "code": avis}), before, "Avi's recovery code"
    )
    assert avis in recovery_codes(world.avi)


def _texted(user) -> str:
    with TestCase.captureOnCommitCallbacks(execute=True):
        sms_code_send(user=user, purpose=Purpose.SIGN_IN, phone=user.phone, ip="127.0.0.1")
    return last_sms_code(user.phone)


def test_a_texted_code_is_single_use(world):
    enable_sms(world.avi)
    client = _at_second_step(world.avi)
    code = _texted(world.avi)
    assert client.post(VERIFY_URL, {"action": "sms_code", "sms_code": code}).status_code == 302
    again = _at_second_step(world.avi)
    before = snapshot()
    response = again.post(VERIFY_URL, {"action": "sms_code", "sms_code": code})
    _assert_refused_code(response, before, "replayed SMS code", counters=SMS_ATTEMPTS)
    assert new_audit_actions(before) == ["sms.code_rejected"]


def test_an_expired_texted_code_is_refused(world):
    enable_sms(world.avi)
    client = _at_second_step(world.avi)
    code = _texted(world.avi)
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        before = snapshot()
        response = client.post(VERIFY_URL, {"action": "sms_code", "sms_code": code})
        _assert_refused_code(response, before, "expired SMS code", counters=SMS_ATTEMPTS)


def test_another_persons_texted_code_is_refused(world):
    enable_sms(world.avi)
    enable_sms(world.noa, phone="+972501234568")
    avi = _at_second_step(world.avi)
    _texted(world.avi)
    noas_code = _texted(world.noa)
    before = snapshot()
    response = avi.post(VERIFY_URL, {"action": "sms_code", "sms_code": noas_code})
    if noas_code == last_sms_code(world.avi.phone):
        pytest.skip("the two random codes happen to be equal")
    _assert_refused_code(response, before, "Noa's code for Avi", counters=SMS_ATTEMPTS)
    # Noa's code is untouched: still open, no attempt counted against it.
    noas = SmsCode.objects.get(user=world.noa, consumed_at__isnull=True)
    assert noas.attempts == 0


def test_a_phone_confirmation_code_is_not_a_sign_in_code(world):
    enable_sms(world.avi)
    with TestCase.captureOnCommitCallbacks(execute=True):
        sms_code_send(
            user=world.avi, purpose=Purpose.VERIFY_PHONE, phone=world.avi.phone, ip="127.0.0.1"
        )
    code = last_sms_code(world.avi.phone)
    client = _at_second_step(world.avi)
    before = snapshot()
    response = client.post(VERIFY_URL, {"action": "sms_code", "sms_code": code})
    _assert_refused_code(response, before, "phone code used to sign in", counters=SMS_ATTEMPTS)


@pytest.mark.parametrize(
    "code", [LONG, "\x00" * 6, "12345\x00", FULLWIDTH_DIGITS, "12 34 56 78", "-12345"]
)
def test_malformed_codes_never_reach_the_check(world, code):
    enable_totp(world.dana)
    enable_sms(world.dana)
    client = _at_second_step(world.dana)
    _texted(world.dana)  # an open code: the text-code field is on the page
    for data in ({"action": "code", "code": code}, {"action": "sms_code", "sms_code": code}):
        before = snapshot()
        response = client.post(VERIFY_URL, data)
        _assert_refused_code(response, before, f"{data['action']} {code[:10]!r}")

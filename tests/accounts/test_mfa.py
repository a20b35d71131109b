"""Two-step verification: TOTP and recovery codes through allauth.mfa, our second-factor
sign-in step, trusted browsers, and the MFA policy for admins and coaches."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.test import Client

from loom.accounts.mfa_policy import security_policy_current
from loom.accounts.models import SecurityPolicy
from loom.core.models import AuditLog
from tests.accounts.security_support import (
    VERIFY_URL,
    enable_totp,
    password_step,
    reauthenticate,
    recovery_codes,
    stored_totp_secret,
    totp_code,
)
from tests.conftest import signed_in

TRUST_URL = "/accounts/2fa/trust/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate-limit counters and used TOTP codes live in the cache: start clean, and leave
    # nothing behind for the next test in this process.
    cache.clear()
    yield
    cache.clear()


def _finish_without_trust(client: Client):
    response = client.post(TRUST_URL, {"action": "skip"})
    assert response.status_code == 302
    return response


def test_totp_sign_in_asks_for_the_code_after_the_password(world):
    secret = enable_totp(world.dana)
    client = Client()
    response = password_step(client, world.dana)
    assert response.status_code == 302
    assert response["Location"] == VERIFY_URL
    # Not signed in yet: the coach area sends us to sign in.
    assert client.get("/coach/")["Location"].startswith("/accounts/login/")

    page = client.get(VERIFY_URL)
    assert page.status_code == 200
    assert b'name="code"' in page.content

    response = client.post(VERIFY_URL, {"action": "code", "code": totp_code(secret)})
    assert response["Location"] == TRUST_URL
    response = _finish_without_trust(client)
    assert client.get(response["Location"], follow=True).request["PATH_INFO"] == "/coach/"
    assert AuditLog.objects.filter(
        action="mfa.used", actor=world.dana, details__type="totp"
    ).exists()
    assert AuditLog.objects.filter(action="auth.sign_in", actor=world.dana).exists()


def test_next_is_kept_through_the_mfa_step_and_the_chain_ends_on_a_page(world):
    secret = enable_totp(world.dana)
    client = Client()
    password_step(client, world.dana, next_url="/account/security/sessions/")
    client.post(VERIFY_URL, {"action": "code", "code": totp_code(secret)})
    response = client.post(TRUST_URL, {"action": "skip"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/account/security/sessions/"


@pytest.mark.parametrize("role", ["dana", "avi", "admin"])
def test_every_role_signs_in_through_the_mfa_step_and_lands_on_a_page(world, role):
    user = getattr(world, role)
    secret = enable_totp(user)
    client = Client()
    response = password_step(client, user)
    response = client.get(response["Location"])
    assert response.status_code == 200
    client.post(VERIFY_URL, {"action": "code", "code": totp_code(secret)})
    response = client.post(TRUST_URL, {"action": "skip"}, follow=True)
    assert response.status_code == 200
    assert len(response.redirect_chain) < 5
    expected = {"dana": "/coach/", "avi": "/client/", "admin": "/admin-area/"}[role]
    assert response.request["PATH_INFO"] == expected


def test_wrong_totp_code_is_refused_and_audited(world):
    secret = enable_totp(world.dana)
    client = Client()
    password_step(client, world.dana)
    wrong = totp_code(secret, offset_steps=20)
    response = client.post(VERIFY_URL, {"action": "code", "code": wrong})
    assert response.status_code == 400
    assert b"Incorrect code" in response.content
    assert AuditLog.objects.filter(action="mfa.failed", actor=world.dana).exists()
    assert client.get("/coach/").status_code == 302


def test_a_totp_code_cannot_be_replayed(world):
    secret = enable_totp(world.dana)
    code = totp_code(secret)
    first = Client()
    password_step(first, world.dana)
    assert first.post(VERIFY_URL, {"action": "code", "code": code})["Location"] == TRUST_URL
    second = Client()
    password_step(second, world.dana)
    response = second.post(VERIFY_URL, {"action": "code", "code": code})
    assert response.status_code == 400


def test_a_recovery_code_signs_in_once(world):
    enable_totp(world.dana)
    code = recovery_codes(world.dana)[0]
    client = Client()
    password_step(client, world.dana)
    assert client.post(VERIFY_URL, {"action": "code", "code": code})["Location"] == TRUST_URL
    _finish_without_trust(client)
    assert code not in recovery_codes(world.dana)
    assert AuditLog.objects.filter(action="mfa.used", details__type="recovery_codes").exists()

    again = Client()
    password_step(again, world.dana)
    response = again.post(VERIFY_URL, {"action": "code", "code": code})
    assert response.status_code == 400


def test_a_user_without_mfa_signs_in_directly(world):
    client = Client()
    response = password_step(client, world.avi)
    assert response["Location"] == "/home/"


def test_the_verify_step_without_a_pending_sign_in_goes_to_sign_in(world, client):
    response = client.get(VERIFY_URL)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_trusting_the_browser_skips_the_second_step_for_later_sign_ins(world):
    secret = enable_totp(world.dana)
    client = Client()
    password_step(client, world.dana)
    client.post(VERIFY_URL, {"action": "code", "code": totp_code(secret)})
    response = client.post(TRUST_URL, {"action": "trust"})
    assert response.status_code == 302
    assert "mfa_trusted" in response.cookies
    assert response.cookies["mfa_trusted"]["max-age"] == 30 * 24 * 60 * 60
    client.post("/accounts/logout/")

    response = password_step(client, world.dana)
    assert response["Location"] == "/home/"


def test_totp_activation_shows_the_qr_code_and_the_manual_key_and_then_recovery_codes(
    transactional_db, world
):
    # Transactional: allauth announces the change after commit, and that is what makes
    # the page offer to sign out the other devices.
    client = signed_in(world.dana)
    reauthenticate(client)
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert b'src="data:image/svg+xml;base64,' in page.content
    assert secret.encode() in page.content
    assert b"<h1>" in page.content and b"extends" not in page.content

    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)}, follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/accounts/2fa/recovery-codes/"
    codes = recovery_codes(world.dana)
    assert len(codes) == 10
    assert codes[0].encode() in response.content
    # After an MFA change the page offers to sign out the other devices.
    assert b"/account/security/sessions/end-others/" in response.content
    assert stored_totp_secret(world.dana) == secret
    assert AuditLog.objects.filter(
        action="mfa.added", actor=world.dana, details__type="totp"
    ).exists()


def test_totp_secret_is_encrypted_at_rest(world):
    secret = enable_totp(world.dana)
    stored = Authenticator.objects.get(user=world.dana, type=Authenticator.Type.TOTP).data["secret"]
    assert stored.startswith("enc1:")
    assert secret not in stored


def test_mfa_changes_ask_for_reauthentication(world):
    client = signed_in(world.dana)  # no recent authentication recorded in this session
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")


def test_recovery_codes_can_be_viewed_downloaded_and_regenerated(
    world, django_capture_on_commit_callbacks
):
    enable_totp(world.dana)
    old = recovery_codes(world.dana)
    client = Client()
    password_step(client, world.dana)
    client.post(VERIFY_URL, {"action": "code", "code": old[0]})
    _finish_without_trust(client)
    reauthenticate(client)

    page = client.get("/accounts/2fa/recovery-codes/")
    assert page.status_code == 200
    assert old[1].encode() in page.content
    download = client.get("/accounts/2fa/recovery-codes/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert old[1] in download.content.decode()

    assert client.get("/accounts/2fa/recovery-codes/generate/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/recovery-codes/generate/", follow=True)
    assert response.status_code == 200
    new = recovery_codes(world.dana)
    assert set(new).isdisjoint(old)
    assert AuditLog.objects.filter(action="mfa.reset", actor=world.dana).exists()


def test_security_overview_and_setup_pages_render(world):
    client = signed_in(world.dana)
    overview = client.get("/account/security/")
    assert overview.status_code == 200
    assert b"/accounts/2fa/totp/activate/" in overview.content
    assert b"/account/security/sms/" in overview.content
    setup = client.get("/account/security/mfa/?next=/coach/")
    assert setup.status_code == 200
    enable_totp(world.dana)
    setup = client.get("/account/security/mfa/?next=/coach/")
    assert b'href="/coach/"' in setup.content
    # An outside address is never offered as "continue".
    setup = client.get("/account/security/mfa/?next=https://evil.example/")
    assert b'href="https://evil.example/"' not in setup.content


# --- Policy ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin-area/", "/django-admin/", "/admin-area/security/"])
def test_admin_without_mfa_is_sent_to_setup_without_a_loop(world, path):
    response = signed_in(world.admin).get(path, follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/account/security/mfa/"
    assert len(response.redirect_chain) == 1
    assert b"needs two-step verification" in response.content


def test_admin_with_mfa_reaches_the_admin_areas(world):
    enable_totp(world.admin)
    client = signed_in(world.admin)
    assert client.get("/admin-area/").status_code == 200
    assert client.get("/django-admin/").status_code == 200


def test_setup_pages_stay_reachable_for_an_admin_without_mfa(world):
    client = signed_in(world.admin)
    for path in [
        "/account/security/",
        "/account/security/mfa/",
        "/account/security/sms/",
        "/accounts/2fa/",
    ]:
        assert client.get(path).status_code == 200, path
    assert client.post("/accounts/logout/").status_code == 302


def test_the_django_admin_password_form_is_replaced_by_our_sign_in(world, client):
    response = client.get("/django-admin/login/?next=/django-admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fdjango-admin%2F"


def test_a_signed_in_non_staff_user_opening_the_django_admin_goes_home_without_a_loop(world):
    response = signed_in(world.dana).get("/django-admin/", follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/coach/"
    assert len(response.redirect_chain) == 2


def test_staff_with_mfa_pass_through_the_django_admin_login(world):
    enable_totp(world.admin)
    response = signed_in(world.admin).get("/django-admin/login/", follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/django-admin/"


def test_coach_mfa_policy_is_toggled_by_an_admin_and_forces_coaches_to_enrol(world):
    enable_totp(world.admin)
    admin = signed_in(world.admin)
    assert admin.get("/admin-area/security/").status_code == 200
    dana = signed_in(world.dana)
    assert dana.get("/coach/").status_code == 200

    response = admin.post("/admin-area/security/", {"require_coach_mfa": "on"})
    assert response.status_code == 302
    assert SecurityPolicy.objects.get(pk=1).require_coach_mfa is True
    assert AuditLog.objects.filter(
        action="admin.security_policy_changed", actor=world.admin
    ).exists()

    response = dana.get("/coach/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [("/account/security/mfa/?next=%2Fcoach%2F", 302)]
    # Clients are not affected by the coach policy.
    assert signed_in(world.avi).get("/client/").status_code == 200

    enable_totp(world.dana)
    assert dana.get("/coach/").status_code == 200

    admin.post("/admin-area/security/", {})
    assert security_policy_current().require_coach_mfa is False


def test_only_admins_change_the_security_policy(world):
    response = signed_in(world.dana).post("/admin-area/security/", {"require_coach_mfa": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/coach/"
    assert not SecurityPolicy.objects.filter(require_coach_mfa=True).exists()


def test_an_admin_cannot_remove_the_last_second_factor(world):
    enable_totp(world.admin)
    client = Client()
    password_step(client, world.admin)
    secret = stored_totp_secret(world.admin)
    client.post(VERIFY_URL, {"action": "code", "code": totp_code(secret)})
    _finish_without_trust(client)

    reauthenticate(client)
    page = client.get("/accounts/2fa/totp/deactivate/")
    assert page.status_code == 200
    assert b"must keep two-step verification" in page.content
    client.post("/accounts/2fa/totp/deactivate/")
    assert Authenticator.objects.filter(user=world.admin, type=Authenticator.Type.TOTP).exists()


def test_a_coach_may_turn_off_the_authenticator_app_when_not_required(transactional_db, world):
    secret = enable_totp(world.dana)
    client = Client()
    password_step(client, world.dana)
    client.post(VERIFY_URL, {"action": "code", "code": totp_code(secret)})
    _finish_without_trust(client)
    reauthenticate(client)
    response = client.post("/accounts/2fa/totp/deactivate/", follow=True)
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=world.dana).exists()
    assert AuditLog.objects.filter(
        action="mfa.removed", actor=world.dana, details__type="totp"
    ).exists()
    assert b"/account/security/sessions/end-others/" in response.content


def test_reauthenticating_with_an_authenticator_code(world):
    secret = enable_totp(world.dana)
    client = signed_in(world.dana)
    page = client.get("/accounts/2fa/reauthenticate/?next=/accounts/2fa/totp/deactivate/")
    assert page.status_code == 200
    assert b'name="code"' in page.content
    response = client.post(
        "/accounts/2fa/reauthenticate/?next=/accounts/2fa/totp/deactivate/",
        {"code": totp_code(secret), "next": "/accounts/2fa/totp/deactivate/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/deactivate/"
    assert client.get("/accounts/2fa/totp/deactivate/").status_code == 200
    assert AuditLog.objects.filter(action="mfa.used", details__reauthenticated=True).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/account/security/",
        "/account/security/mfa/",
        "/account/security/sms/",
        "/account/security/sessions/",
        "/account/security/changed/",
        "/accounts/2fa/",
    ],
)
def test_security_pages_render_in_hebrew_right_to_left(world, path):
    response = signed_in(world.eli).get(path)
    assert response.status_code == 200
    assert b'<html lang="he" dir="rtl">' in response.content
    assert response.content.count(b"<h1") == 1

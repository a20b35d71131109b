"""The operator paths the runbooks in docs/runbooks/ describe, proven to work as written."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.db import transaction
from django.test import Client

from loom.accounts.models import User
from loom.core.audit import audit_record
from loom.core.models import AuditLog
from tests.accounts.security_support import VERIFY_URL, enable_sms, enable_totp, password_step
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_restore_access_admin_removes_a_lost_authenticator_in_the_django_admin(world):
    """docs/runbooks/restore-access.md: the only admin path is the Django admin."""
    enable_totp(world.dana)
    enable_totp(world.admin)  # the admin areas require the admin's own second factor
    lost = list(Authenticator.objects.filter(user=world.dana).values_list("pk", flat=True))
    assert len(lost) == 2  # the authenticator app and its recovery codes

    admin = signed_in(world.admin)
    listing = admin.get(f"/django-admin/mfa/authenticator/?user__id__exact={world.dana.pk}")
    assert listing.status_code == 200
    response = admin.post(
        "/django-admin/mfa/authenticator/",
        {"action": "delete_selected", "_selected_action": lost, "post": "yes"},
    )
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=world.dana).exists()

    # Dana signs in with her password alone and is asked for no code.
    client = Client()
    response = password_step(client, world.dana)
    assert response.status_code == 302
    assert response["Location"] != VERIFY_URL
    assert client.get("/coach/").status_code == 200


def test_restore_access_shell_snippet_resets_the_second_factor_audits_and_signs_out(world):
    """The `loom shell` snippet of docs/runbooks/restore-access.md, line for line."""
    enable_totp(world.dana)
    enable_sms(world.dana)
    dana_browser = signed_in(world.dana)
    dana_browser.get("/coach/")  # records the user session
    assert UserSession.objects.filter(user=world.dana).exists()

    # --- the snippet ---
    admin = User.objects.get(email__iexact="admin@example.com")
    user = User.objects.get(email__iexact="dana@example.com")
    with transaction.atomic():
        removed, _ = Authenticator.objects.filter(user=user).delete()
        User.objects.filter(pk=user.pk).update(sms_mfa_enabled_at=None)
        for session in UserSession.objects.filter(user=user):
            session.end()
        audit_record(
            action="admin.mfa_reset",
            actor=admin,
            target=user,
            details={"authenticators_removed": removed, "reason": "lost phone, ticket 123"},
        )
    # --- end of the snippet ---

    assert not Authenticator.objects.filter(user=world.dana).exists()
    assert AuditLog.objects.filter(action="admin.mfa_reset", actor=admin, target_id=str(user.pk))
    # Every device that was signed in is signed out.
    assert dana_browser.get("/coach/")["Location"].startswith("/accounts/login/")
    client = Client()
    assert password_step(client, world.dana)["Location"] != VERIFY_URL
    assert client.get("/coach/").status_code == 200

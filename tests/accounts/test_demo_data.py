"""`loom load_demo_data` and `loom demo_signins`."""

from __future__ import annotations

import io
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from loom.accounts.management.commands.load_demo_data import DEMO_PASSWORD, PEOPLE
from loom.accounts.models import (
    ClientProfile,
    CoachClient,
    CoachProfile,
    ConsentRecord,
    Invitation,
    Onboarding,
    Role,
    User,
)
from loom.core.models import AuditLog, OutboxMessage

pytestmark = pytest.mark.django_db

MODELS = (
    User,
    EmailAddress,
    CoachProfile,
    ClientProfile,
    CoachClient,
    Invitation,
    Onboarding,
    ConsentRecord,
)


def _load() -> str:
    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


def _snapshot() -> dict[str, list[tuple]]:
    return {model.__name__: sorted(model.objects.values_list()) for model in MODELS}


def test_demo_data_has_two_coaches_eight_clients_an_archived_one_invitations_and_an_admin():
    _load()
    coaches = User.objects.filter(role=Role.COACH)
    assert sorted(coaches.values_list("language", "timezone")) == [
        ("en", "America/New_York"),
        ("he", "Asia/Jerusalem"),
    ]
    assert User.objects.filter(role=Role.CLIENT).count() == 8
    admin = User.objects.get(role=Role.ADMIN)
    assert admin.is_staff and admin.is_superuser
    assert CoachClient.objects.filter(status="archived").count() == 1
    assert Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True).count() == 2
    # Everyone can sign in: verified address, finished onboarding.
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == User.objects.count()
    assert Onboarding.objects.filter(completed_at__isnull=False).count() == User.objects.count() - 1
    # Realistic, bilingual profiles and encrypted intakes.
    hebrew_coach = coaches.get(language="he")
    assert re.search(r"[\u0590-\u05FF]", hebrew_coach.coach_profile.bio)
    for profile in ClientProfile.objects.all():
        assert profile.goals and profile.reason
    assert ConsentRecord.objects.filter(document="terms").count() == 8
    # Loading sends nothing and audits nothing.
    assert not OutboxMessage.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="invitation.").exists()


def test_running_it_again_changes_nothing():
    first = _load()
    assert "11 people" in first
    before = _snapshot()
    second = _load()
    assert "nothing changed" in second
    assert _snapshot() == before


def test_an_existing_person_is_left_untouched():
    _load()
    User.objects.filter(email="rachel.adler@example.com").update(full_name="Rachel A.")
    _load()
    assert User.objects.get(email="rachel.adler@example.com").full_name == "Rachel A."


def test_demo_signins_prints_every_account_and_working_invitation_links():
    _load()
    out = io.StringIO()
    call_command("demo_signins", stdout=out)
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    for person in PEOPLE:
        assert person.email in text
    assert "two-factor" in text
    links = re.findall(r"https?://\S+(/invite/[A-Za-z0-9_-]{43}/)", text)
    assert len(links) == 2
    for path in links:
        page = Client().get(path)
        assert page.status_code == 200
        assert "Accept your invitation" in page.content.decode()


def test_demo_signins_without_data_says_how_to_load_it():
    out = io.StringIO()
    call_command("demo_signins", stdout=out)
    assert "load_demo_data" in out.getvalue()


def test_demo_accounts_sign_in_with_the_printed_password():
    _load()
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": "yael.benami@example.com", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/home/")["Location"] == "/coach/"
    assert client.get("/coach/").status_code == 200


def test_the_demo_password_passes_the_password_rules():
    validate_password(DEMO_PASSWORD, user=User(email="demo@example.com"))


def test_loading_demo_accounts_outside_demo_mode_is_refused(settings):
    settings.DEBUG = False
    settings.LOOM_DEMO_MODE = False
    with pytest.raises(CommandError):
        call_command("load_demo_data", stdout=io.StringIO())
    assert not User.objects.exists()

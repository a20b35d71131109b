"""The people flows work as PostgreSQL's application role, with row-level security in force.

Sign-up, invitation, acceptance before anyone is signed in, onboarding, the roster and
the client page all touch tables whose policies depend on who is acting; these tests
run them through the real HTTP stack as the role production uses.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from loom.accounts.models import ClientProfile, CoachClient, CoachProfile, Onboarding, User
from loom.core.context import system_context
from tests.conftest import signed_in
from tests.security.conftest import APP_ROLE, application_connections
from tests.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PASSWORD = "meadow copper violin"
LINK = re.compile(r"/invite/([A-Za-z0-9_-]{43})/")


@pytest.fixture
def app_role(transactional_db: None) -> str:
    call_command("db_roles", role=APP_ROLE, stdout=io.StringIO())
    return APP_ROLE


def test_invite_accept_onboard_and_roster_as_the_application_role(
    app_role, django_capture_on_commit_callbacks
):
    world = World.build()
    with application_connections(app_role):
        dana = signed_in(world.dana)
        with django_capture_on_commit_callbacks(execute=True):
            sent = dana.post(
                "/coach/clients/invite/",
                {"full_name": "Lior Katz", "email": "lior@example.com", "language": "en"},
            )
        assert sent.status_code == 302
        [token] = LINK.findall(mail.outbox[-1].body)

        visitor = Client()
        assert visitor.get(f"/invite/{token}/").status_code == 200
        accepted = visitor.post(
            f"/invite/{token}/",
            {
                "full_name": "Lior Katz",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "timezone": "Europe/Berlin",
                "accept_terms": "on",
            },
        )
        assert accepted.status_code == 302, accepted.content.decode()[:2000]
        assert (
            visitor.post(
                "/onboarding/client/profile/",
                {"full_name": "Lior Katz", "language": "en", "timezone": "Europe/Berlin"},
            ).status_code
            == 302
        )
        assert (
            visitor.post(
                "/onboarding/client/intake/", {"goals": "Find calm.", "reason": "New job."}
            )["Location"]
            == "/client/"
        )
        assert visitor.get("/client/").status_code == 200

        with system_context():
            lior = User.objects.get(email="lior@example.com")
            assert CoachClient.objects.filter(coach=world.dana, client=lior).exists()
            assert ClientProfile.objects.get(user=lior).goals == "Find calm."
            assert Onboarding.objects.get(user=lior).completed_at is not None

        roster = dana.get("/coach/clients/")
        assert "Lior Katz" in roster.content.decode()
        detail = dana.get(f"/coach/clients/{lior.pk}/")
        assert "Find calm." in detail.content.decode()
        # Another coach's client stays invisible.
        assert dana.get(f"/coach/clients/{world.maya.pk}/").status_code == 404
        assert dana.post(f"/coach/clients/{lior.pk}/archive/").status_code == 302
        assert "Find calm." not in dana.get(f"/coach/clients/{lior.pk}/").content.decode()
        assert dana.post(f"/coach/clients/{lior.pk}/restore/").status_code == 302
        assert dana.get("/api/v1/coach/clients?status=active").json()["count"] == 3


def test_a_coach_signs_up_and_onboards_as_the_application_role(app_role):
    with application_connections(app_role):
        browser = Client()
        response = browser.post(
            "/accounts/signup/",
            {"email": "ruth@example.com", "password1": PASSWORD, "password2": PASSWORD},
        )
        assert response.status_code == 302
        with system_context():
            ruth = User.objects.get(email="ruth@example.com")
            assert CoachProfile.objects.filter(user=ruth).exists()
            assert Onboarding.objects.filter(user=ruth, completed_at__isnull=True).exists()
        coach = signed_in(ruth)
        assert coach.get("/coach/")["Location"] == "/onboarding/coach/profile/"
        saved = coach.post(
            "/onboarding/coach/profile/",
            {
                "full_name": "Ruth Mor",
                "headline": "Coach",
                "timezone": "Asia/Jerusalem",
                "languages_spoken": ["he"],
            },
        )
        assert saved["Location"] == "/onboarding/coach/mfa/"

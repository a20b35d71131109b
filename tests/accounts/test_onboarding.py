"""Onboarding: coaches and clients are led through their steps, can resume, and never loop."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db import connection
from django.test import Client

from loom.accounts import services
from loom.accounts.models import (
    ClientProfile,
    CoachProfile,
    ConsentRecord,
    Invitation,
    Onboarding,
    Role,
    SecurityPolicy,
    User,
)
from loom.core.models import AuditLog
from tests.conftest import signed_in
from tests.factories import ClientFactory, CoachClientFactory, CoachFactory

pytestmark = pytest.mark.django_db

COACH_PROFILE = {
    "full_name": "Ruth Mor",
    "headline": "Career coach",
    "bio": "Ten years of helping people change direction.",
    "specialties": "career change, burnout,  , Burnout",
    "languages_spoken": ["en", "he"],
    "timezone": "Asia/Jerusalem",
}


def _final_location(client: Client, url: str, limit: int = 8) -> tuple[str, int]:
    """Follow redirects by hand, failing on a loop; return the last URL and its status."""
    seen: list[str] = []
    response = client.get(url)
    while response.status_code in (301, 302) and len(seen) < limit:
        seen.append(url)
        url = response["Location"]
        assert url not in seen, f"redirect loop: {[*seen, url]}"
        response = client.get(url)
    assert response.status_code not in (301, 302), f"too many redirects: {seen}"
    return url, response.status_code


# --- Coach ---------------------------------------------------------------------------------------


def test_a_coach_who_signs_up_gets_an_onboarding_record_and_a_profile(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "Ruth@Example.com",
            "password1": "meadow copper violin",
            "password2": "meadow copper violin",
        },
    )
    assert response.status_code == 302
    ruth = User.objects.get(email="ruth@example.com")
    assert ruth.role == Role.COACH
    onboarding = Onboarding.objects.get(user=ruth)
    assert onboarding.completed_at is None
    assert CoachProfile.objects.filter(user=ruth).exists()


def test_a_new_coach_is_led_to_onboarding_after_sign_in_and_can_finish(db):
    ruth = CoachFactory(email="ruth@example.com", full_name="", onboarded=False)
    coach = signed_in(ruth)
    assert _final_location(coach, "/home/") == ("/onboarding/coach/profile/", 200)

    response = coach.post("/onboarding/coach/profile/", COACH_PROFILE)
    assert response["Location"] == "/onboarding/coach/mfa/"
    profile = CoachProfile.objects.get(user=ruth)
    assert profile.specialties == ["career change", "burnout"]
    assert profile.languages_spoken == ["en", "he"]
    ruth.refresh_from_db()
    assert ruth.timezone == "Asia/Jerusalem"
    assert ruth.full_name == "Ruth Mor"

    page = coach.get("/onboarding/coach/mfa/")
    assert "/account/security/mfa/?next=%2Fonboarding%2Fcoach%2Fmfa%2F" in page.content.decode()
    assert (
        coach.post("/onboarding/coach/mfa/", {"skip": "1"})["Location"]
        == "/onboarding/coach/availability/"
    )
    availability = coach.get("/onboarding/coach/availability/")
    assert "/coach/scheduling/availability/" in availability.content.decode()
    assert coach.post("/onboarding/coach/availability/")["Location"] == "/onboarding/coach/invite/"
    finish = coach.post(
        "/onboarding/coach/invite/",
        {"full_name": "First Client", "email": "first@example.com", "language": "en"},
    )
    assert finish["Location"] == "/coach/"
    assert Invitation.objects.filter(coach=ruth, email="first@example.com").exists()

    onboarding = Onboarding.objects.get(user=ruth)
    for field in (
        "profile_at",
        "mfa_prompt_at",
        "availability_at",
        "first_invite_at",
        "completed_at",
    ):
        assert getattr(onboarding, field) is not None, field
    assert AuditLog.objects.filter(action="onboarding.completed", actor=ruth).count() == 1
    assert _final_location(coach, "/home/") == ("/coach/", 200)


def test_coach_onboarding_resumes_at_the_first_unfinished_step(db):
    ruth = CoachFactory(onboarded=False)
    coach = signed_in(ruth)
    coach.post("/onboarding/coach/profile/", COACH_PROFILE)
    # Signing in again later: straight to the second step.
    again = signed_in(ruth)
    assert again.get("/coach/")["Location"] == "/onboarding/coach/mfa/"
    assert again.get("/onboarding/coach/")["Location"] == "/onboarding/coach/mfa/"
    # An earlier step can be revisited; it shows progress with the done step linked.
    page = again.get("/onboarding/coach/profile/")
    assert page.status_code == 200
    assert 'aria-current="step"' in page.content.decode()


def test_first_invite_can_be_skipped(db):
    ruth = CoachFactory(onboarded=False)
    for step in ("profile", "mfa", "availability"):
        services._step_done(ruth, services.Step(step))
    coach = signed_in(ruth)
    assert coach.post("/onboarding/coach/invite/", {"skip": "1"})["Location"] == "/coach/"
    assert not Invitation.objects.exists()
    assert Onboarding.objects.get(user=ruth).completed_at is not None


@pytest.fixture
def coach_mfa_required(db):
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"require_coach_mfa": True})
    # The policy is cached; other tests must not see this one's.
    cache.clear()
    yield
    cache.clear()


def test_mfa_cannot_be_skipped_when_the_site_requires_it_for_coaches(coach_mfa_required):
    ruth = CoachFactory(onboarded=False)
    services._step_done(ruth, services.Step.PROFILE)
    coach = signed_in(ruth)
    page = coach.get("/onboarding/coach/mfa/")
    assert page.status_code == 200
    assert 'name="skip"' not in page.content.decode()
    refused = coach.post("/onboarding/coach/mfa/", {"skip": "1"})
    assert refused.status_code == 200
    assert "requires two-factor authentication" in refused.content.decode()
    assert Onboarding.objects.get(user=ruth).mfa_prompt_at is None


def test_continuing_without_mfa_set_up_explains_and_stays(db):
    ruth = CoachFactory(onboarded=False)
    services._step_done(ruth, services.Step.PROFILE)
    response = signed_in(ruth).post("/onboarding/coach/mfa/")
    assert response.status_code == 200
    assert "not set up yet" in response.content.decode()
    assert Onboarding.objects.get(user=ruth).mfa_prompt_at is None


def test_coach_profile_step_rejects_bad_input_and_writes_nothing(db):
    ruth = CoachFactory(full_name="Ruth", onboarded=False)
    coach = signed_in(ruth)
    for overrides in (
        {"timezone": "Mars/Base"},
        {"full_name": "x" * 10_000},
        {"bio": "b" * 10_000},
        {"headline": "bad\x00byte"},
        {"languages_spoken": ["tlh"]},
        {"specialties": ",".join(f"s{n}" for n in range(20))},
    ):
        response = coach.post("/onboarding/coach/profile/", {**COACH_PROFILE, **overrides})
        assert response.status_code == 200, overrides
        assert b"field-errors" in response.content or b"form-errors" in response.content, overrides
    ruth.refresh_from_db()
    assert ruth.full_name == "Ruth"
    assert Onboarding.objects.get(user=ruth).profile_at is None
    assert CoachProfile.objects.get(user=ruth).bio == ""


# --- Client ---------------------------------------------------------------------------------------


def _new_client() -> User:
    coach = CoachFactory()
    sent = services.invitation_create(
        coach=coach, email="lior@example.com", full_name="Lior", language="en"
    )
    return services.invitation_accept(
        token=sent.token, full_name="Lior", password="meadow copper violin", accepted_terms=True
    )


def test_a_client_completes_profile_and_intake_after_accepting(db):
    lior = _new_client()
    client = signed_in(lior)
    # Consent was given on the invitation page, so it is not asked again.
    assert client.get("/client/")["Location"] == "/onboarding/client/profile/"
    response = client.post(
        "/onboarding/client/profile/",
        {"full_name": "Lior Katz", "language": "he", "timezone": "Asia/Jerusalem"},
    )
    assert response["Location"] == "/onboarding/client/intake/"
    lior.refresh_from_db()
    assert (lior.full_name, lior.language, lior.timezone) == ("Lior Katz", "he", "Asia/Jerusalem")

    done = client.post(
        "/onboarding/client/intake/",
        {"goals": "Sleep better and run a 10k.", "reason": "A new job."},
    )
    assert done["Location"] == "/client/"
    profile = ClientProfile.objects.get(user=lior)
    assert profile.goals == "Sleep better and run a 10k."
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT goals, reason FROM accounts_clientprofile WHERE user_id = %s", [lior.pk]
        )
        raw_goals, raw_reason = cursor.fetchone()
    assert raw_goals.startswith("enc1:") and "Sleep" not in raw_goals
    assert raw_reason.startswith("enc1:")
    assert Onboarding.objects.get(user=lior).completed_at is not None
    assert _final_location(client, "/home/") == ("/client/", 200)


def test_consent_step_records_versions_time_and_ip(db, settings):
    settings.LOOM_TERMS_VERSION = "2027-01"
    lior = ClientFactory(onboarded=False)
    services._step_done(lior, services.Step.PROFILE)
    client = signed_in(lior)
    assert client.get("/client/")["Location"] == "/onboarding/client/consent/"
    refused = client.post("/onboarding/client/consent/", {})
    assert refused.status_code == 200
    assert not ConsentRecord.objects.filter(user=lior).exists()
    response = client.post(
        "/onboarding/client/consent/", {"accept_terms": "on"}, REMOTE_ADDR="203.0.113.9"
    )
    assert response["Location"] == "/onboarding/client/intake/"
    terms = ConsentRecord.objects.get(user=lior, document="terms")
    assert terms.version == "2027-01"
    assert terms.ip_address == "203.0.113.9"
    assert (
        ConsentRecord.objects.get(user=lior, document="privacy").version
        == settings.LOOM_PRIVACY_VERSION
    )
    assert Onboarding.objects.get(user=lior).consent_at is not None


def test_client_steps_reject_bad_input_and_write_nothing(db):
    lior = ClientFactory(full_name="Lior", onboarded=False)
    client = signed_in(lior)
    for data in (
        {"full_name": "Lior", "language": "en", "timezone": "Not/AZone"},
        {"full_name": "Lior", "language": "fr", "timezone": "UTC"},
        {"full_name": "L\x00ior", "language": "en", "timezone": "UTC"},
        {"full_name": "", "language": "en", "timezone": "UTC"},
    ):
        assert client.post("/onboarding/client/profile/", data).status_code == 200, data
    lior.refresh_from_db()
    assert lior.full_name == "Lior"
    assert Onboarding.objects.get(user=lior).profile_at is None

    services._step_done(lior, services.Step.PROFILE)
    services._step_done(lior, services.Step.CONSENT)
    for data in ({"goals": "g" * 10_000}, {"reason": "r\x00"}):
        assert client.post("/onboarding/client/intake/", data).status_code == 200
    assert ClientProfile.objects.get(user=lior).goals == ""
    assert Onboarding.objects.get(user=lior).intake_at is None


# --- No loops ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COACH, Role.CLIENT])
def test_pages_people_need_during_onboarding_stay_reachable(db, role):
    person = (CoachFactory if role == Role.COACH else ClientFactory)(onboarded=False)
    client = signed_in(person)
    for url in (
        "/legal/terms/",
        "/legal/privacy/",
        "/account/",
        "/account/security/",
        f"/onboarding/{role}/profile/",
    ):
        location, status = _final_location(client, url)
        assert status == 200, url
        assert location == url, f"{url} sent to {location}"
    switched = client.post("/account/language/", {"language": "he", "next": "/legal/terms/"})
    assert switched["Location"] == "/legal/terms/"
    out = client.post("/accounts/logout/")
    assert out.status_code == 302
    assert not out.wsgi_request.user.is_authenticated


def test_a_person_opening_the_other_roles_onboarding_ends_on_a_page(db):
    lior = ClientFactory(onboarded=False)
    assert _final_location(signed_in(lior), "/onboarding/coach/") == (
        "/onboarding/client/profile/",
        200,
    )
    ruth = CoachFactory(onboarded=False)
    assert _final_location(signed_in(ruth), "/onboarding/client/intake/") == (
        "/onboarding/coach/profile/",
        200,
    )


def test_finished_onboarding_sends_step_pages_home_without_looping(world):
    assert _final_location(signed_in(world.dana), "/onboarding/coach/profile/") == ("/coach/", 200)
    assert _final_location(signed_in(world.avi), "/onboarding/client/intake/") == ("/client/", 200)
    # Admins have no onboarding; they end on their home or on the MFA set-up it requires.
    location, status = _final_location(signed_in(world.admin), "/onboarding/")
    assert status == 200
    assert not location.startswith("/onboarding/")


def test_admins_and_people_without_a_record_are_never_sent_to_onboarding(db):
    legacy = ClientFactory()
    Onboarding.objects.filter(user=legacy).delete()
    CoachClientFactory(client=legacy)
    assert _final_location(signed_in(legacy), "/home/") == ("/client/", 200)


def test_unknown_steps_are_not_found(db):
    ruth = CoachFactory(onboarded=False)
    assert signed_in(ruth).get("/onboarding/coach/teleport/").status_code == 404
    assert signed_in(ruth).get("/onboarding/coach/intake/").status_code == 404


def test_anonymous_visitors_are_asked_to_sign_in(client):
    response = client.get("/onboarding/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/onboarding/coach/profile/")["Location"].startswith("/accounts/login/")


def test_legal_pages_are_public_in_both_languages(client):
    for url in ("/legal/terms/", "/legal/privacy/"):
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert english.status_code == 200
        hebrew = client.get(url, HTTP_ACCEPT_LANGUAGE="he")
        assert hebrew.status_code == 200
        assert 'lang="he" dir="rtl"' in hebrew.content.decode()


def test_email_verified_flag_is_set_for_invited_clients(db):
    lior = _new_client()
    assert EmailAddress.objects.get(user=lior).verified

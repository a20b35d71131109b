"""The crisis panel, the crisis lines page, the consent setting and the admin review."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loom.accounts.models import ClientProfile, CrisisSignal, Onboarding
from loom.accounts.safety import crisis_flash, safety_check
from loom.core.context import system_context
from loom.core.models import AuditLog
from tests.accounts.security_support import enable_totp
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

PANEL_HEADING = "You don't have to face this alone"


def _admin(world: Any) -> Client:
    enable_totp(world.admin)
    return signed_in(world.admin)


def _signal(client: Any, *, source_id: int = 1, severity: str = "high") -> CrisisSignal:
    with system_context():
        return CrisisSignal.objects.create(
            client=client,
            source="journal_entry",
            source_id=source_id,
            severity=severity,
            matched=["en.intent"],
            language="en",
        )


# --- Panel -----------------------------------------------------------------------------------


def test_panel_shows_once_after_a_journal_save(world: Any) -> None:
    browser = signed_in(world.avi)
    response = browser.post(
        reverse("journal:new"),
        {"title": "Tuesday", "body": "I want to kill myself", "written_on": ""},
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert PANEL_HEADING in html
    assert 'role="region"' in html and 'aria-labelledby="crisis-panel-title"' in html
    # Avi is in Asia/Jerusalem: ERAN and the emergency number.
    assert 'href="tel:1201"' in html
    assert "tel:101" in html
    assert reverse("safety:crisis_lines") in html
    # Shown once: the next page has no panel.
    again = browser.get(reverse("journal:list"))
    assert PANEL_HEADING not in again.content.decode()


def test_no_panel_for_an_ordinary_entry(world: Any) -> None:
    browser = signed_in(world.avi)
    response = browser.post(
        reverse("journal:new"), {"title": "Tuesday", "body": "A calm walk"}, follow=True
    )
    assert PANEL_HEADING not in response.content.decode()


def test_panel_from_the_service_and_flash_directly(world: Any, rf: Any) -> None:
    browser = signed_in(world.dana)  # any signed-in page shows a flashed panel
    outcome = safety_check(client=world.noa, text="I want to die", source="checkin", source_id=5)
    assert outcome is not None
    session = browser.session
    request = rf.get("/")
    request.session = session
    crisis_flash(request, outcome)
    session.save()
    html = browser.get(reverse("safety:crisis_lines")).content.decode()
    assert PANEL_HEADING in html
    # Dana is in America/New_York: 988.
    assert 'href="tel:988"' in html and 'href="sms:741741"' in html


def test_panel_in_hebrew(world: Any) -> None:
    browser = signed_in(world.noa)
    session = browser.session
    session["loom_crisis"] = {"severity": "high"}
    session.save()
    html = browser.get(reverse("safety:crisis_lines")).content.decode()
    assert 'lang="he"' in html
    assert 'id="crisis-panel"' in html


# --- Crisis lines page -----------------------------------------------------------------------


def test_crisis_lines_page_for_anyone(world: Any) -> None:
    response = Client().get(reverse("safety:crisis_lines"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1 and "Crisis support" in html
    assert "findahelpline.com" in html
    assert "tel:988" in html and "tel:1201" in html


def test_crisis_lines_page_puts_the_persons_region_first(world: Any) -> None:
    html = signed_in(world.noa).get(reverse("safety:crisis_lines")).content.decode()
    assert html.index("tel:1201") < html.index("tel:988")


def test_crisis_lines_page_uses_configured_lines(world: Any, settings: Any) -> None:
    settings.CRISIS_LINES = {
        "intl": {"emergency": "112", "lines": [{"name": "Only line", "phone": "+1 555"}]}
    }
    html = Client().get(reverse("safety:crisis_lines")).content.decode()
    assert "Only line" in html and 'href="tel:+1555"' in html
    assert "988" not in html


# --- Consent ---------------------------------------------------------------------------------


def test_settings_page_changes_consent_and_audits(world: Any) -> None:
    browser = signed_in(world.avi)
    page = browser.get(reverse("safety:settings"))
    assert page.status_code == 200
    assert "tell my coach straight away" in page.content.decode()
    assert "checked" not in page.content.decode().split('name="crisis_contact"')[1].split(">")[0]
    response = browser.post(reverse("safety:settings"), {"crisis_contact": "on"})
    assert response.status_code == 302
    profile = ClientProfile.objects.get(user=world.avi)
    assert profile.crisis_contact_consent_at is not None
    browser.post(reverse("safety:settings"), {})
    profile.refresh_from_db()
    assert profile.crisis_contact_consent_at is None
    with system_context():
        assert AuditLog.objects.filter(action="safety.consent_changed").count() == 2


def test_onboarding_consent_step_offers_unticked_crisis_contact(world: Any) -> None:
    Onboarding.objects.filter(user=world.avi).update(completed_at=None, consent_at=None)
    browser = signed_in(world.avi)
    url = reverse("onboarding:client_step", args=["consent"])
    page = browser.get(url)
    html = page.content.decode()
    assert 'name="crisis_contact"' in html
    control = html.split('name="crisis_contact"')[1].split(">")[0]
    assert "checked" not in control
    browser.post(url, {"accept_terms": "on", "crisis_contact": "on"})
    assert ClientProfile.objects.get(user=world.avi).crisis_contact_consent_at is not None


def test_onboarding_consent_without_the_box_leaves_consent_off(world: Any) -> None:
    Onboarding.objects.filter(user=world.avi).update(completed_at=None, consent_at=None)
    browser = signed_in(world.avi)
    browser.post(reverse("onboarding:client_step", args=["consent"]), {"accept_terms": "on"})
    assert ClientProfile.objects.get(user=world.avi).crisis_contact_consent_at is None
    assert Onboarding.objects.get(user=world.avi).consent_at is not None


def test_onboarding_intake_step_offers_crisis_contact(world: Any) -> None:
    now = timezone.now()
    Onboarding.objects.filter(user=world.avi).update(
        completed_at=None, consent_at=now, intake_at=None
    )
    browser = signed_in(world.avi)
    url = reverse("onboarding:client_step", args=["intake"])
    assert 'name="crisis_contact"' in browser.get(url).content.decode()
    browser.post(url, {"goals": "", "reason": "", "crisis_contact": "on"})
    assert ClientProfile.objects.get(user=world.avi).crisis_contact_consent_at is not None


# --- Admin review ----------------------------------------------------------------------------


def test_review_lists_signals_without_text_and_constant_queries(world: Any) -> None:
    _signal(world.avi)
    browser = _admin(world)
    url = reverse("safety:review")
    browser.get(url)  # warm up (session, caches)
    with CaptureQueriesContext(connection) as one:
        response = browser.get(url)
    assert response.status_code == 200
    assert "Avi Mizrahi" in response.content.decode()
    for index in range(5):
        _signal(world.noa, source_id=10 + index)
    with CaptureQueriesContext(connection) as six:
        response = browser.get(url)
    assert response.content.decode().count("Noa Peretz") >= 5
    assert len(six.captured_queries) == len(one.captured_queries)


def test_mark_reviewed_with_a_note_is_audited(world: Any) -> None:
    signal = _signal(world.avi)
    browser = _admin(world)
    response = browser.post(
        reverse("safety:mark_reviewed", args=[signal.pk]), {"note": "Called the coach."}
    )
    assert response.status_code == 302
    with system_context():
        signal.refresh_from_db()
        assert signal.reviewed_at is not None
        assert signal.reviewed_by == world.admin
        assert signal.review_note == "Called the coach."
        assert AuditLog.objects.filter(action="safety.signal_reviewed").count() == 1
    # Reviewed signals leave the default list but stay under "All".
    assert "Avi Mizrahi" not in browser.get(reverse("safety:review")).content.decode()
    assert "Avi Mizrahi" in browser.get(reverse("safety:review") + "?status=all").content.decode()


def test_oversized_note_changes_nothing(world: Any) -> None:
    signal = _signal(world.avi)
    browser = _admin(world)
    browser.post(reverse("safety:mark_reviewed", args=[signal.pk]), {"note": "x" * 2001})
    with system_context():
        signal.refresh_from_db()
    assert signal.reviewed_at is None


def test_unknown_signal_is_404_for_the_admin(world: Any) -> None:
    response = _admin(world).post(reverse("safety:mark_reviewed", args=[999999]))
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["dana", "avi", "eli"])
def test_review_is_not_for_coaches_or_clients(world: Any, who: str) -> None:
    signal = _signal(world.avi)
    browser = signed_in(getattr(world, who))
    assert browser.get(reverse("safety:review")).status_code == 302
    assert browser.post(reverse("safety:mark_reviewed", args=[signal.pk])).status_code == 302
    with system_context():
        signal.refresh_from_db()
    assert signal.reviewed_at is None

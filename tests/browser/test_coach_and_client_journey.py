"""Issue 2's end-to-end journey, in English and Hebrew, at phone and desktop widths.

A coach signs up, verifies the address from an email delivered to a real SMTP server,
onboards, turns on an authenticator app, signs out, signs in again with a TOTP code and
invites a client from the roster; the client opens the invitation in another browser,
sets a name and password, consents, onboards and lands on the client home. Every page
visited passes ``check_page`` (lang/dir, one h1, no browser errors, axe-core: 0 WCAG 2.1
A/AA violations).

Labels and button names come from the catalogs through ``t()``, so the test drives the
Hebrew pages with whatever the Hebrew catalog says.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Locator, Page, expect

from loom.accounts.models import ClientProfile, CoachClient, ConsentRecord, Onboarding, Role, User
from tests.browser.conftest import TIMEZONES, PageOpener
from tests.browser.support import (
    activate_totp,
    check_page,
    checkbox,
    containing,
    exact,
    fill,
    page_language,
    sign_in,
    submit,
    t,
    textbox,
    visit_and_check,
)
from tests.smtp import SmtpServer

pytestmark = pytest.mark.browser

COACH_PASSWORD = "a loom of silver threads at dawn"
CLIENT_PASSWORD = "seven quiet rivers under the moon"
JOURNEYS = [("en", "1280"), ("he", "375"), ("en", "375"), ("he", "1280")]
HEADLINES = {"en": "Career and leadership coach", "he": "מאמנת קריירה ומנהיגות"}
SPECIALTIES = {"en": "burnout, career change", "he": "שחיקה, שינוי קריירה"}
REASONS = {"en": "A new job with a new team", "he": "תפקיד חדש עם צוות חדש"}
# The msgids of the language choices (Language.choices), as radios label them.
LANGUAGE_NAMES = {"en": "English", "he": "Hebrew"}
GOALS = {"en": "More calm at work", "he": "יותר רוגע בעבודה"}
NAMES = {
    "en": {"coach": "Ruth Adler", "client": "Tom Baker"},
    "he": {"coach": "רות אדלר", "client": "תום בייקר"},
}


def _mail_to(mail: SmtpServer, address: str, *, language: str) -> EmailMessage:
    """The email that reached the SMTP server for ``address``; it speaks ``language``."""
    for count in range(1, 10):
        received = [message for message in mail.wait_for(count) if message["To"] == address]
        if received:
            break
    assert len(received) == 1, f"expected one email to {address}, got {len(received)}"
    message = received[0]
    assert message["Content-Language"] == language, (
        f"email to {address}: {message['Content-Language']}"
    )
    return message


def _link_in(message: EmailMessage, server_url: str) -> str:
    """The one link to Loom in the text part (the HTML part must exist too)."""
    assert message.get_body(("html",)) is not None, "the email has no HTML part"
    text_part = message.get_body(("plain",))
    assert text_part is not None, "the email has no text part"
    text = text_part.get_content()
    links = sorted(set(re.findall(rf"{re.escape(server_url)}/\S+", text)))
    links = [link.rstrip(".,)>") for link in links]
    assert len(links) == 1, f"expected one link to Loom in the email, found {links}:\n{text}"
    return links[0]


def _click_link(page: Page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name=exact(t(page_language(page), name))).first.click()
    check_page(page)


def _unfold_header(page: Page, wanted: Locator) -> None:
    """On narrow screens the navigation and account tools are folded behind "Menu"."""
    if not wanted.is_visible():
        toggle = page.get_by_role("button", name=exact(t(page_language(page), "Menu")))
        expect(toggle).to_have_attribute("aria-expanded", "false")
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")


def _sign_out(page: Page) -> None:
    """Signs out through the account menu in the site header."""
    language = page_language(page)
    account = page.get_by_role("button", name=containing(t(language, "Account menu")))
    _unfold_header(page, account)
    account.click()
    with page.expect_navigation():
        page.get_by_role("menuitem", name=exact(t(language, "Sign out"))).click()
    check_page(page)


def _open_section(page: Page, name: str) -> None:
    """Follows a link of the main navigation."""
    language = page_language(page)
    navigation = page.get_by_role("navigation", name=exact(t(language, "Main")))
    link = navigation.get_by_role("link", name=exact(t(language, name)))
    _unfold_header(page, link)
    with page.expect_navigation():
        link.click()
    check_page(page)


def _coach_signs_up_and_verifies(page: Page, mail: SmtpServer, server_url: str, email: str) -> None:
    language = page_language(page)
    visit_and_check(page, "/")
    _click_link(page, "Sign up as a coach")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        exact(t(language, "Create your coach account"))
    )
    fill(page, "Email", email)
    fill(page, "Password", COACH_PASSWORD)
    fill(page, "Password (again)", COACH_PASSWORD)
    submit(page, "Create account")
    check_page(page)

    link = _link_in(_mail_to(mail, email, language=language), server_url)
    page.goto(link)
    check_page(page)
    submit(page, "Confirm")
    check_page(page)
    coach = User.objects.get(email=email)
    assert (coach.role, coach.language) == (Role.COACH, language)


def _coach_onboards_and_enables_totp(page: Page) -> str:
    """Walks the coach's onboarding; returns the TOTP secret read from the setup page."""
    language = page_language(page)
    assert urlsplit(page.url).path.startswith("/onboarding/coach/"), page.url
    # Profile.
    fill(page, "Name", NAMES[language]["coach"])
    fill(page, "Headline", HEADLINES[language])
    fill(page, "Specialties", SPECIALTIES[language])
    submit(page, "Save and continue")
    check_page(page)
    # Account security: the step links to the two-step verification page.
    _click_link(page, "Set up two-factor authentication")
    _click_link(page, "Set up an authenticator app")
    secret = activate_totp(page, password=COACH_PASSWORD)
    check_page(page)
    # "Come back here to continue: your progress is saved." The brand link leads home,
    # and home to the next onboarding step.
    _click_link(page, "Loom")
    assert urlsplit(page.url).path.startswith("/onboarding/coach/"), page.url
    submit(page, "Continue")
    check_page(page)
    # Availability (scheduling comes later), then the first client, invited from the roster later.
    submit(page, "Continue")
    check_page(page)
    submit(page, "Skip for now")
    check_page(page)
    assert urlsplit(page.url).path == "/coach/", page.url
    return secret


def _coach_signs_in_with_totp(page: Page, email: str, secret: str) -> None:
    visit_and_check(page, "/accounts/login/")
    sign_in(page, email=email, password=COACH_PASSWORD, totp_secret=secret)
    check_page(page)
    assert urlsplit(page.url).path == "/coach/", page.url


def _coach_invites_client(page: Page, client_email: str, invitation_language: str) -> None:
    language = page_language(page)
    _open_section(page, "Clients")
    _click_link(page, "Invite a client")
    fill(page, "Name", NAMES[invitation_language]["client"])
    fill(page, "Email address", client_email)
    page.get_by_role("radio", name=exact(t(language, LANGUAGE_NAMES[invitation_language]))).check()
    submit(page, "Send invitation")
    check_page(page)
    row = page.get_by_role("row").filter(has_text=client_email)
    expect(row.get_by_text(exact(t(language, "Invited")))).to_be_visible()


def _client_accepts_and_onboards(page: Page, link: str) -> None:
    language = page_language(page)
    page.goto(link)
    check_page(page)
    fill(page, "Your name", NAMES[language]["client"])
    fill(page, "Password", CLIENT_PASSWORD)
    fill(page, "Password (again)", CLIENT_PASSWORD)
    checkbox(page, "I accept the terms of service and the privacy policy").check()
    submit(page, "Create my account")
    check_page(page)
    # Onboarding, step by step as the server leads: profile, consent (unless given on
    # the invitation page), intake.
    steps: list[str] = []
    while (path := urlsplit(page.url).path).startswith("/onboarding/client/"):
        step = path.rstrip("/").rsplit("/", 1)[-1]
        assert step not in steps, f"onboarding went back to {step!r} after {steps}"
        steps.append(step)
        if step == "profile":
            expect(textbox(page, "Your name")).to_have_value(NAMES[language]["client"])
            page.get_by_role("radio", name=exact(t(language, LANGUAGE_NAMES[language]))).check()
            submit(page, "Save and continue")
        elif step == "consent":
            checkbox(page, "I accept the terms of service and the privacy policy").check()
            submit(page, "Accept and continue")
        elif step == "intake":
            fill(page, "What would you like to achieve?", GOALS[language])
            fill(page, "What brings you to coaching now?", REASONS[language])
            submit(page, "Finish")
        else:
            pytest.fail(f"unexpected client onboarding step {step!r}")
        check_page(page)
    assert steps[0] == "profile" and steps[-1] == "intake", steps
    assert urlsplit(page.url).path == "/client/", page.url
    expect(
        page.get_by_text(exact(t(language, "You are all set. Welcome to Loom!")))
    ).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAMES[language]["client"])


@pytest.mark.parametrize(
    ("language", "viewport"), JOURNEYS, ids=[f"{lang}-w{width}" for lang, width in JOURNEYS]
)
def test_coach_signs_up_secures_the_account_and_invites_a_client_who_onboards(
    open_page: PageOpener, mail_via_smtp: SmtpServer, server_url: str, language: str, viewport: str
) -> None:
    coach_email = f"coach-{language}-{viewport}@example.com"
    client_email = f"client-{language}-{viewport}@example.com"

    coach_page = open_page()
    _coach_signs_up_and_verifies(coach_page, mail_via_smtp, server_url, coach_email)
    secret = _coach_onboards_and_enables_totp(coach_page)
    coach = User.objects.get(email=coach_email)
    assert Authenticator.objects.filter(user=coach, type=Authenticator.Type.TOTP).exists()

    _sign_out(coach_page)
    _coach_signs_in_with_totp(coach_page, coach_email, secret)
    _coach_invites_client(coach_page, client_email, language)

    invitation = _mail_to(mail_via_smtp, client_email, language=language)
    client_page = open_page()
    _client_accepts_and_onboards(client_page, _link_in(invitation, server_url))

    # Back in the coach's browser, the roster now lists the client as active.
    coach_page.reload()
    check_page(coach_page)
    row = coach_page.get_by_role("row").filter(has_text=client_email)
    expect(row.get_by_role("link", name=exact(NAMES[language]["client"]))).to_be_visible()
    expect(row.get_by_text(exact(t(language, "Active")))).to_be_visible()

    client = User.objects.get(email=client_email)
    assert (client.role, client.language, client.full_name) == (
        Role.CLIENT,
        language,
        NAMES[language]["client"],
    )
    assert CoachClient.objects.filter(
        coach=coach, client=client, status=CoachClient.Status.ACTIVE
    ).exists()
    assert Onboarding.objects.get(user=client).completed_at is not None
    assert Onboarding.objects.get(user=coach).completed_at is not None
    # Both time zones came from the browser (the form fields default to it).
    coach.refresh_from_db()
    assert coach.timezone == client.timezone == TIMEZONES[language]
    assert ConsentRecord.objects.filter(user=client).count() == 2
    assert ClientProfile.objects.get(user=client).goals == GOALS[language]

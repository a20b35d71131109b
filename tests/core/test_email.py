"""Emails leave through the outbox and a real SMTP conversation, in the recipient's language."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.test import RequestFactory
from django.utils import timezone, translation

from loom.accounts.emails import send_account_email
from loom.accounts.models import Role
from loom.core.email import email_render
from loom.core.models import OutboxMessage
from tests.smtp import SmtpServer
from tests.world import make_user

pytestmark = pytest.mark.django_db

HEBREW = re.compile(r"[\u0590-\u05FF]")


def _send_verification(user, address: str) -> None:
    email_address = EmailAddress.objects.create(
        user=user, email=address, verified=False, primary=False
    )
    request = RequestFactory().get("/accounts/email/")
    request.user = user
    request.session = {}  # type: ignore[assignment]
    with allauth_context.request_context(request):
        email_address.send_confirmation(request, signup=True)


def test_verification_email_reaches_smtp_in_hebrew_with_text_and_html(
    mail_via_smtp: SmtpServer, django_capture_on_commit_callbacks
):
    shira = make_user(
        "shira@example.com",
        role=Role.COACH,
        full_name="שירה כהן",
        language="he",
        tz="Asia/Jerusalem",
    )
    EmailAddress.objects.filter(user=shira).delete()
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        # The request is in English; the email follows the recipient's own language.
        _send_verification(shira, "shira@example.com")
    [message] = mail_via_smtp.wait_for(1)

    assert message["To"] == "shira@example.com"
    assert message["Content-Language"] == "he"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    with translation.override("he"):
        expected_subject = translation.gettext("Confirm your email address to finish signing up")
        expected_intro = translation.gettext(
            "Welcome to Loom! Please confirm your email address to finish creating your account."
        )
    assert message["Subject"] == f"Loom · {expected_subject}"
    assert expected_intro in text
    assert HEBREW.search(message["Subject"]), "the subject is translated into Hebrew"
    assert HEBREW.search(text.replace("שירה כהן", "")), "the text body is translated into Hebrew"
    assert '<html lang="he" dir="rtl">' in html
    # The confirmation link is absolute and the same in both parts.
    [link] = re.findall(r"https?://\S+/accounts/confirm-email/\S+/", text)
    assert link in html


def test_account_email_for_unknown_address_uses_the_request_language(
    mail_via_smtp, django_capture_on_commit_callbacks
):
    with translation.override("he"), django_capture_on_commit_callbacks(execute=True):
        queued = send_account_email(
            template_prefix="account/email/unknown_account",
            email="nobody@example.com",
            context={"signup_url": "http://127.0.0.1:8000/accounts/signup/"},
        )
    assert queued.payload["language"] == "he"
    [message] = mail_via_smtp.wait_for(1)
    assert message["Content-Language"] == "he"
    assert "http://127.0.0.1:8000/accounts/signup/" in message.get_body(("plain",)).get_content()


def test_email_address_lookup_ignores_case_and_uses_the_owner_language(world):
    queued = send_account_email(
        template_prefix="account/email/password_changed",
        email="ELI@example.com",
        context={"ip": "203.0.113.1", "user_agent": "Firefox", "timestamp": timezone.now()},
    )
    assert queued.payload["language"] == "he"
    assert queued.recipient == "ELI@example.com"


def test_notification_time_is_shown_in_the_recipient_time_zone(world):
    moment = timezone.datetime(2026, 7, 1, 9, 30, tzinfo=timezone.UTC)
    queued = send_account_email(
        template_prefix="account/email/password_changed",
        email="dana@example.com",
        context={"ip": "203.0.113.1", "user_agent": "Firefox", "timestamp": moment},
    )
    # Dana lives in New York: 09:30 UTC is 5:30 a.m. there (daylight-saving time).
    assert "5:30 a.m." in queued.payload["text"]
    assert "203.0.113.1" in queued.payload["html"]


def test_every_overridden_account_email_renders_in_both_languages():
    context = {
        "email": "dana@example.com",
        "user_name": "Dana",
        "activate_url": "http://127.0.0.1:8000/accounts/confirm-email/key/",
        "password_reset_url": "http://127.0.0.1:8000/accounts/password/reset/key/x/",
        "signup_url": "http://127.0.0.1:8000/accounts/signup/",
        "code": "ABC123",
        "ip": "203.0.113.1",
        "user_agent": "Firefox",
        "timestamp": timezone.now(),
        "from_email": "old@example.com",
        "to_email": "new@example.com",
        "deleted_email": "gone@example.com",
    }
    names = [
        "account_already_exists",
        "email_changed",
        "email_confirm",
        "email_confirmation",
        "email_confirmation_signup",
        "email_deleted",
        "login_code",
        "password_changed",
        "password_reset",
        "password_reset_code",
        "password_reset_key",
        "password_set",
        "unknown_account",
    ]
    for name in names:
        for language, direction in (("en", "ltr"), ("he", "rtl")):
            rendered = email_render(
                template=f"account/email/{name}", context=context, language=language
            )
            assert rendered["subject"] and "\n" not in rendered["subject"], name
            assert "Dana" in rendered["text"], name
            assert "{{" not in rendered["text"] and "{%" not in rendered["text"], name
            assert "&amp;" not in rendered["text"] and "&#x27;" not in rendered["text"], (
                "text is not HTML-escaped"
            )
            assert f'dir="{direction}"' in rendered["html"], name
            assert "<script" not in rendered["html"]


def test_mfa_notification_without_an_html_template_still_gets_an_html_part(world):
    queued = send_account_email(
        template_prefix="mfa/email/totp_activated",
        email="dana@example.com",
        context={"ip": "203.0.113.1", "user_agent": "Firefox", "timestamp": timezone.now()},
    )
    assert queued.payload["html"].startswith("<!doctype html>")
    assert "203.0.113.1" in queued.payload["html"]


def test_html_email_escapes_user_supplied_names():
    rendered = email_render(
        template="account/email/email_confirmation",
        context={
            "user_name": "<script>alert(1)</script>",
            "email": "x@example.com",
            "activate_url": "http://x/",
        },
        language="en",
    )
    assert "<script>alert(1)</script>" not in rendered["html"]
    assert "&lt;script&gt;" in rendered["html"]
    # The plain-text part is not HTML, so it shows the name as typed.
    assert "<script>alert(1)</script>" in rendered["text"]


def test_sent_email_payload_keeps_no_link(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queued = send_account_email(
            template_prefix="account/email/password_reset_key",
            email="dana@example.com",
            context={
                "password_reset_url": "http://127.0.0.1:8000/accounts/password/reset/key/secret/"
            },
        )
    queued.refresh_from_db()
    assert queued.status == OutboxMessage.Status.SENT
    assert "secret" not in str(queued.payload)

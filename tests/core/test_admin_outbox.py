"""Dead letters are visible to admins (admin area and Django admin) and can be retried."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from loom.core.models import AuditLog, OutboxMessage
from tests.accounts.security_support import enable_totp
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status


@pytest.fixture
def admin(world) -> Client:
    """The world's admin, signed in; admins must have a second factor to use the admin area."""
    enable_totp(world.admin)
    return signed_in(world.admin)


def _message(number: int, *, status: str = Status.DEAD, channel: str = "email") -> OutboxMessage:
    payload = (
        {"subject": f"Subject {number}", "text": f"secret-link-{number}", "html": "<p>x</p>"}
        if channel == "email"
        else {"body": f"Your Loom code is 99{number:04d}"}
    )
    return OutboxMessage.objects.create(
        channel=channel,
        recipient=f"person{number}@example.com" if channel == "email" else f"+97250000{number:04d}",
        payload=payload,
        status=status,
        attempts=8 if status == Status.DEAD else 1,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused"
        if status == Status.DEAD
        else "",
    )


def test_outbox_page_is_for_admins_only(world):
    assert Client().get("/admin-area/outbox/")["Location"].startswith("/accounts/login/")
    for person in (world.dana, world.avi):
        response = signed_in(person).get("/admin-area/outbox/")
        assert response.status_code == 302
        assert not response["Location"].startswith("/admin-area/")


def test_outbox_page_lists_unsent_messages_with_a_bounded_number_of_queries(
    world, django_assert_max_num_queries, admin
):
    for number in range(60):
        _message(number, status=Status.DEAD if number % 2 else Status.PENDING)
    _message(100, channel="sms")
    OutboxMessage.objects.create(
        channel="email", recipient="sent@example.com", status=Status.SENT, payload={}
    )
    admin.get("/admin-area/")  # warm the session and user-session rows
    with django_assert_max_num_queries(10):
        response = admin.get("/admin-area/outbox/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<tr>") == 1 + 50, "one page of 50 rows plus the header"
    assert "sent@example.com" not in body
    assert "secret-link" not in body, "bodies are never shown"
    assert "Your Loom code" not in body, "SMS codes are never shown"
    with django_assert_max_num_queries(10):
        second = admin.get("/admin-area/outbox/?page=2")
    assert second.content.decode().count("<tr>") == 1 + 11


def test_outbox_page_filters_dead_letters(world, admin):
    _message(1, status=Status.DEAD)
    _message(2, status=Status.PENDING)
    body = admin.get("/admin-area/outbox/?status=dead").content.decode()
    assert "person1@example.com" in body
    assert "person2@example.com" not in body
    assert "Connection refused" in body
    bogus = admin.get("/admin-area/outbox/?status=nonsense")
    assert bogus.status_code == 200
    # A NUL character in the address is refused for every page (InputEncodingMiddleware).
    assert admin.get("/admin-area/outbox/?status=%00nonsense").status_code == 400


def test_admin_retries_a_dead_letter(world, django_capture_on_commit_callbacks, admin):
    from django.core import mail

    dead = _message(1)
    dead.payload = {"subject": "Hello", "text": "Body", "html": "<p>Body</p>", "language": "en"}
    dead.save(update_fields=["payload"])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/admin-area/outbox/{dead.pk}/retry/")
    assert response.status_code == 302
    dead.refresh_from_db()
    assert dead.status == Status.SENT
    assert [message.subject for message in mail.outbox] == ["Hello"]
    entry = AuditLog.objects.get(action="outbox.retry")
    assert entry.actor == world.admin


def test_retry_refuses_get_other_roles_and_non_dead_messages(world, admin):
    pending = _message(1, status=Status.PENDING)
    dead = _message(2)
    assert admin.get(f"/admin-area/outbox/{dead.pk}/retry/").status_code == 405
    signed_in(world.dana).post(f"/admin-area/outbox/{dead.pk}/retry/")
    dead.refresh_from_db()
    assert dead.status == Status.DEAD
    response = admin.post(f"/admin-area/outbox/{pending.pk}/retry/", follow=True)
    assert "Only a dead letter can be retried" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Status.PENDING
    assert admin.post("/admin-area/outbox/999999/retry/").status_code == 404
    assert not AuditLog.objects.filter(action="outbox.retry").exists()


def test_django_admin_shows_outbox_without_bodies_and_audit_log_read_only(world, admin):
    sms = _message(1, channel="sms")
    email = _message(2)
    entry = AuditLog.objects.create(
        action="auth.sign_in", actor=world.dana, occurred_at=timezone.now()
    )
    listing = admin.get("/django-admin/core/outboxmessage/")
    assert listing.status_code == 200
    detail = admin.get(f"/django-admin/core/outboxmessage/{sms.pk}/change/").content.decode()
    assert "Your Loom code" not in detail
    email_detail = admin.get(
        f"/django-admin/core/outboxmessage/{email.pk}/change/"
    ).content.decode()
    assert "Subject 2" in email_detail
    assert "secret-link" not in email_detail
    assert admin.get("/django-admin/core/auditlog/").status_code == 200
    assert admin.get(f"/django-admin/core/auditlog/{entry.pk}/change/").status_code == 200
    assert admin.get("/django-admin/core/auditlog/add/").status_code == 403
    assert admin.post(f"/django-admin/core/auditlog/{entry.pk}/delete/").status_code == 403
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_django_admin_action_retries_dead_letters(world, admin):
    dead = _message(1)
    pending = _message(2, status=Status.PENDING)
    response = admin.post(
        "/django-admin/core/outboxmessage/",
        {"action": "retry_dead_letters", "_selected_action": [dead.pk, pending.pk]},
    )
    assert response.status_code == 302
    dead.refresh_from_db()
    pending.refresh_from_db()
    assert dead.status == Status.PENDING and dead.attempts == 0
    assert pending.attempts == 1
    assert AuditLog.objects.filter(action="outbox.retry").count() == 1

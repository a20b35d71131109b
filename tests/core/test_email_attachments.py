"""Outbox emails may carry attachments (stored base64 in the payload, sent as MIME parts)."""

from __future__ import annotations

import base64

import pytest
from django.utils import timezone

from loom.core.email import email_enqueue
from loom.core.models import OutboxMessage
from loom.core.outbox import outbox_deliver_by_id
from tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db

# Any existing email template will do; the attachment is what is tested.
TEMPLATE = "accounts/email/invitation"
CONTEXT = {"coach_name": "Dana", "accept_url": "http://127.0.0.1:8000/i/x/", "ttl_days": 7}
CALENDAR = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nSUMMARY:Café\r\nEND:VCALENDAR\r\n"


def test_attachment_is_stored_base64_and_delivered_with_its_mimetype_parameters(
    mail_via_smtp: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    pdf = b"%PDF-1.4\x00\xff binary"
    with django_capture_on_commit_callbacks(execute=True):
        queued = email_enqueue(
            to="dana@example.com",
            template=TEMPLATE,
            context=CONTEXT,
            language="en",
            attachments=[
                ("invite.ics", CALENDAR.encode(), "text/calendar; method=REQUEST; charset=UTF-8"),
                ("notes.pdf", pdf, "application/pdf"),
            ],
        )
        stored = OutboxMessage.objects.get(pk=queued.pk).payload["attachments"]
        assert stored[0]["filename"] == "invite.ics"
        assert base64.b64decode(stored[0]["content"]) == CALENDAR.encode()
    [message] = mail_via_smtp.wait_for(1)

    assert message.get_content_type() == "multipart/mixed"
    assert "Dana invited you" in message.get_body(("plain",)).get_content()
    ics, document = list(message.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_param("method") == "REQUEST"
    assert ics.get_filename() == "invite.ics"
    assert ics.get_content().replace("\r\n", "\n") == CALENDAR.replace("\r\n", "\n")
    assert document.get_content_type() == "application/pdf"
    assert document.get_content() == pdf
    # Once sent, the row keeps no body and no attachment.
    sent = OutboxMessage.objects.get(pk=queued.pk)
    assert sent.status == OutboxMessage.Status.SENT
    assert "attachments" not in sent.payload


def test_a_payload_written_before_attachments_existed_still_delivers(
    mail_via_smtp: SmtpServer,
) -> None:
    message = OutboxMessage.objects.create(
        channel="email",
        recipient="dana@example.com",
        payload={"subject": "Hi", "text": "Plain", "html": "<p>Plain</p>", "language": "en"},
        max_attempts=3,
        available_at=timezone.now(),
    )
    assert outbox_deliver_by_id(message_id=message.pk) == OutboxMessage.Status.SENT
    [delivered] = mail_via_smtp.wait_for(1)
    assert delivered.get_content_type() == "multipart/alternative"
    assert list(delivered.iter_attachments()) == []


def test_an_email_without_attachments_stores_no_attachment_key() -> None:
    queued = email_enqueue(to="dana@example.com", template=TEMPLATE, context=CONTEXT, language="en")
    assert "attachments" not in queued.payload

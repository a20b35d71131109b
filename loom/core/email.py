"""Email through the outbox: rendered at enqueue time, sent by the worker.

``email_enqueue`` renders ``<template>_subject.txt``, ``<template>_message.txt`` and
(when it exists) ``<template>_message.html`` in the recipient's language and time zone
and stores the finished subject and bodies in the outbox payload, so the worker needs
neither the template context nor the request. Without an HTML template the text body
is wrapped in ``email/base.html``; every email therefore has both parts.

Attachments (e.g. a calendar file) travel in the payload as
``{"filename", "mimetype", "content"}`` with base64 content; the mimetype may carry
parameters (``text/calendar; method=REQUEST; charset=UTF-8``). Payloads written
before attachments existed simply have none.
"""

from __future__ import annotations

import base64
import smtplib
from collections.abc import Mapping, Sequence
from email.message import MIMEPart
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from loom.core.models import OutboxMessage
from loom.core.outbox import OutboxPermanentError, outbox_enqueue

CHANNEL = "email"

# Headers a payload may add (``payload["headers"]``): the unsubscribe pair of RFC 2369
# and RFC 8058. Anything else is dropped, so a payload cannot forge From or Bcc.
PAYLOAD_HEADERS = frozenset({"List-Unsubscribe", "List-Unsubscribe-Post"})


def email_base_context() -> dict[str, Any]:
    """Values every email template may use."""
    return {"site_name": "Loom", "base_url": settings.LOOM_BASE_URL}


def _render_optional(template_name: str, context: dict[str, Any]) -> str | None:
    try:
        return render_to_string(template_name, context).strip()
    except TemplateDoesNotExist:
        return None


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def email_render(
    *, template: str, context: Mapping[str, Any], language: str, time_zone: str | None = None
) -> dict[str, str]:
    """Render subject, text and HTML of ``template`` in ``language`` and ``time_zone``."""
    with translation.override(language), timezone.override(_zone(time_zone)):
        ctx = {**email_base_context(), **context}
        subject = " ".join(render_to_string(f"{template}_subject.txt", ctx).split())
        ctx["subject"] = subject
        text = render_to_string(f"{template}_message.txt", ctx).strip()
        html = _render_optional(f"{template}_message.html", ctx)
        if html is None:
            html = render_to_string("email/text_as_html.html", {**ctx, "text": text}).strip()
    return {"subject": subject, "text": text, "html": html}


def email_payload(
    *,
    template: str,
    context: Mapping[str, Any],
    language: str,
    time_zone: str | None = None,
    subject_prefix: str = "",
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> dict[str, Any]:
    """Render an email now into an outbox payload (also what a ``Notice`` carries).

    ``attachments`` are ``(filename, content, mimetype)`` triples (an
    ``IcsAttachment`` is one).
    """
    rendered = email_render(
        template=template, context=context, language=language, time_zone=time_zone
    )
    payload: dict[str, Any] = {
        **rendered,
        "subject": f"{subject_prefix}{rendered['subject']}",
        "language": language,
        "template": template,
    }
    if attachments:
        payload["attachments"] = [
            {
                "filename": filename,
                "mimetype": mimetype,
                "content": base64.b64encode(content).decode("ascii"),
            }
            for filename, content, mimetype in attachments
        ]
    return payload


def email_enqueue(
    *,
    to: str,
    template: str,
    context: Mapping[str, Any],
    language: str,
    dedupe_key: str | None = None,
    time_zone: str | None = None,
    subject_prefix: str = "",
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> OutboxMessage:
    """Render an email now and put it in the outbox; it is sent after the commit."""
    payload = email_payload(
        template=template,
        context=context,
        language=language,
        time_zone=time_zone,
        subject_prefix=subject_prefix,
        attachments=attachments,
    )
    return outbox_enqueue(channel=CHANNEL, recipient=to, payload=payload, dedupe_key=dedupe_key)


def _message_id(message: OutboxMessage) -> str:
    # Stable per outbox row: if a worker dies after the server accepted the mail but
    # before the row was marked sent, the resend carries the same id and mail clients
    # show one message.
    domain = urlsplit(settings.LOOM_BASE_URL).hostname or "loom.localhost"
    return f"<outbox.{message.pk}.{int(message.created_at.timestamp())}@{domain}>"


def _attachment_part(filename: str, content: bytes, mimetype: str) -> MIMEPart:
    """A MIME part for one attachment, keeping the mimetype's parameters.

    Django's ``EmailMessage.attach`` takes a bare ``type/subtype``; a calendar invitation
    needs ``method=REQUEST`` on its Content-Type for mail clients to offer "add"/"update".
    """
    kind, *raw_params = (piece.strip() for piece in mimetype.split(";"))
    maintype, _slash, subtype = kind.lower().partition("/")
    params: dict[str, str] = {}
    for raw in raw_params:
        key, _eq, value = raw.partition("=")
        if key.strip():
            params[key.strip().lower()] = value.strip().strip('"')
    charset = params.pop("charset", "utf-8")
    part = MIMEPart()
    if maintype == "text":
        part.set_content(
            content.decode(charset),
            subtype=subtype or "plain",
            charset=charset,
            params=params,
            disposition="attachment",
            filename=filename,
        )
    else:
        part.set_content(
            content,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            params=params,
            disposition="attachment",
            filename=filename,
        )
    return part


def deliver_email(message: OutboxMessage) -> None:
    """Send one outbox email through the default mailer (``MAILERS["default"]``)."""
    payload = message.payload
    mail = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["text"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={
            **{
                name: " ".join(str(value).split())
                for name, value in (payload.get("headers") or {}).items()
                if name in PAYLOAD_HEADERS
            },
            "Message-ID": _message_id(message),
            "Content-Language": payload.get("language", "en"),
        },
    )
    if payload.get("html"):
        mail.attach_alternative(payload["html"], "text/html")
    for attachment in payload.get("attachments") or ():
        mail.attach(
            _attachment_part(
                attachment["filename"],
                base64.b64decode(attachment["content"]),
                attachment["mimetype"],
            )
        )
    try:
        sent = mailers.default.send_messages([mail])
    except smtplib.SMTPRecipientsRefused as exc:
        raise OutboxPermanentError(
            f"The mail server refused the recipient: {exc.recipients}"
        ) from exc
    except smtplib.SMTPResponseException as exc:
        # 5xx answers are final; 4xx ones (greylisting, full mailbox) are worth retrying.
        if 500 <= exc.smtp_code < 600:
            raise OutboxPermanentError(
                f"The mail server refused the message: {exc.smtp_code}"
            ) from exc
        raise
    if sent != 1:
        raise RuntimeError("The mail backend reported that nothing was sent.")


def summarize_email(payload: dict[str, Any]) -> dict[str, Any]:
    """What a sent email keeps: never the bodies, which may hold sign-in links."""
    return {key: payload[key] for key in ("subject", "language", "template") if key in payload}

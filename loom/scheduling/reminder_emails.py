"""The words of reminders and follow-ups: the notice, its email and text message.

Everything is rendered in the recipient's language, with times in the recipient's
zone and the coach's zone alongside when it differs (``emails.format_when``). Links
point at the role-neutral session page, versioned by the session's ``sequence`` so an
old message's link still finds the moved session. A coach's private note is never
read here: follow-ups use the shared summary and the client's open action items only.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from loom.accounts.models import Language, User
from loom.accounts.sms import SMS_BODY_MAX_CHARS
from loom.core.email import email_payload
from loom.core.notices import Notice
from loom.scheduling.emails import format_when, session_path
from loom.scheduling.models import (
    ActionItem,
    LocationKind,
    Reminder,
    SeatStatus,
    Session,
    SessionStatus,
    SessionSummary,
)

TEMPLATE_DIR = "scheduling/email"


def zone_of(name: str | None) -> ZoneInfo:
    """The IANA zone ``name``, or the site's zone when it is empty or unknown."""
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def language_of(user: User) -> str:
    return user.language if user.language in Language.values else settings.LANGUAGE_CODE


def session_link(session: Session) -> str:
    """The full session link every message carries, versioned by ``sequence``."""
    return f"{settings.LOOM_BASE_URL.rstrip('/')}{session_path(session)}?v={session.sequence}"


def _other(session: Session, recipient: User) -> str:
    """Who the session is with, from the recipient's point of view."""
    if recipient.pk != session.coach_id:
        return session.coach.full_name or _("your coach")
    if session.is_group:
        taken = session.seats.filter(status=SeatStatus.TAKEN).count()
        return translation.ngettext(
            "your group (%(count)d person)", "your group (%(count)d people)", taken
        ) % {"count": taken}
    client = session.client
    return (client.full_name if client is not None else "") or _("your client")


def _location(session: Session) -> str:
    kind = session.session_type.location_kind
    if kind == LocationKind.IN_PERSON:
        return session.session_type.address
    return str(LocationKind(kind).label)


def meeting_url(session: Session) -> str:
    """The video link, for a video session that will take place."""
    if session.session_type.location_kind != LocationKind.VIDEO:
        return ""
    if session.status in (SessionStatus.CANCELLED, SessionStatus.DECLINED):
        return ""
    return session.meeting_url


def session_context(session: Session, recipient: User) -> dict[str, Any]:
    """Names, times and links of ``session`` for ``recipient``, in the active language."""
    own = zone_of(recipient.timezone)
    coach_zone = zone_of(session.coach_timezone)
    when = format_when(session.starts_at, session.ends_at, own)
    coach_when = (
        format_when(session.starts_at, session.ends_at, coach_zone)
        if coach_zone.key != own.key
        else ""
    )
    return {
        "user_name": recipient.full_name,
        "type_name": session.session_type.name,
        "other": _other(session, recipient),
        "when": when,
        "coach_when": coach_when,
        "location": _location(session),
        "meeting_url": meeting_url(session),
        "url": session_link(session),
    }


def reminder_source(reminder: Reminder) -> str:
    """One reminder per person, session, offset and sequence, whatever its channels:
    a reminder planned again for a moved session is a new one, the same one is never
    told twice."""
    session = reminder.session
    return (
        f"reminder:{session.pk}:{reminder.recipient_id}:"
        f"{reminder.offset_minutes}:{session.sequence}"
    )


def reminder_email_message(reminder: Reminder) -> dict[str, Any]:
    """The reminder email's template, context, language and zone."""
    session = reminder.session
    recipient = reminder.recipient
    language = language_of(recipient)
    with translation.override(language):
        context = session_context(session, recipient)
        context["subject_line"] = _("Reminder: %(type)s with %(other)s, %(when)s") % {
            "type": context["type_name"],
            "other": context["other"],
            "when": context["when"],
        }
        context["lead"] = _("Your session with %(other)s is coming up.") % context
    return {
        "template": f"{TEMPLATE_DIR}/reminder",
        "context": context,
        "language": language,
        "time_zone": recipient.timezone,
    }


def reminder_sms_body(reminder: Reminder) -> str:
    """One text message: what, with whom, when, and the link."""
    session = reminder.session
    recipient = reminder.recipient
    with translation.override(language_of(recipient)):
        context = session_context(session, recipient)
        body = _("Loom reminder: %(type)s with %(other)s, %(when)s. %(url)s") % {
            "type": context["type_name"],
            "other": context["other"],
            "when": context["when"],
            "url": context["url"],
        }
    return body[:SMS_BODY_MAX_CHARS]


def reminder_notice(reminder: Reminder) -> Notice:
    """The ``session_reminder`` notice: in-app words, the email and the text message,
    all in the recipient's language. Which of them go out is the dispatcher's choice."""
    session = reminder.session
    recipient = reminder.recipient
    with translation.override(language_of(recipient)):
        context = session_context(session, recipient)
        title = _("Reminder: %(type)s with %(other)s") % {
            "type": context["type_name"],
            "other": context["other"],
        }
        body = context["when"]
    return Notice(
        user_id=recipient.pk,
        kind="session_reminder",
        source=reminder_source(reminder),
        title=title,
        body=body,
        url=session_path(session),
        email=email_payload(**reminder_email_message(reminder)),
        sms=reminder_sms_body(reminder),
        # Planning already moved it out of quiet hours.
        urgent=True,
        # A text message is useless once the session has begun.
        extra={"expires_at": session.starts_at.isoformat()},
    )


def followup_email_message(session: Session, client: User) -> dict[str, Any]:
    """The follow-up email (template, context, language, zone) for ``client`` after
    ``session``: the shared summary and their open action items, or, when the coach
    wrote no summary, a short "how did it go" note.

    Reads ``SessionSummary`` and ``ActionItem`` only, never the private note.
    """
    # A summary the coach has not shared is still their draft.
    summary = SessionSummary.objects.filter(session=session, shared_at__isnull=False).first()
    summary_text = (summary.body or "").strip() if summary is not None else ""
    items = list(
        ActionItem.objects.filter(session=session, client=client, completed_at__isnull=True)
        .order_by("due_on", "id")
        .values("title", "due_on")
    )
    language = language_of(client)
    with translation.override(language):
        context = session_context(session, client)
        context["summary"] = summary_text
        context["action_items"] = items
        if summary_text:
            context["subject_line"] = _("Your session summary: %(type)s with %(other)s") % {
                "type": context["type_name"],
                "other": context["other"],
            }
            context["lead"] = _("Here is what %(other)s shared after your session.") % context
        else:
            context["subject_line"] = _("How did it go? %(type)s with %(other)s") % {
                "type": context["type_name"],
                "other": context["other"],
            }
            context["lead"] = (
                _(
                    "How did your session with %(other)s go? Take a moment to note what you "
                    "are taking away from it."
                )
                % context
            )
    return {
        "template": f"{TEMPLATE_DIR}/followup",
        "context": context,
        "language": language,
        "time_zone": client.timezone,
    }


def followup_notice(session: Session, client: User) -> Notice:
    """The ``session_followup`` notice for ``client``, with the follow-up email."""
    message = followup_email_message(session, client)
    context = message["context"]
    return Notice(
        user_id=client.pk,
        kind="session_followup",
        source=f"followup-email:{session.pk}:{client.pk}",
        title=context["subject_line"],
        body=context["lead"],
        url=session_path(session),
        email=email_payload(**message),
    )

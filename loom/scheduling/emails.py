"""Booking notifications: an email to each party, with a calendar file, per change.

The services call :func:`session_notify` inside their transaction, right after the
change and its ``SessionEvent``: the outbox rows are written with the change and roll
back with it, and the worker sends them after the commit.

Each recipient gets the email in their own language, with times in their own zone
(and the coach's zone alongside when it differs). A confirmed, approved or moved
session carries ``METHOD:REQUEST`` with the session's stable ``uid`` and its
``sequence`` (which the services raise on every change), so calendar apps update one
event; a cancelled or declined one carries ``METHOD:CANCEL``. A request not yet
approved carries no calendar file: nothing is settled. The recipient is the only
attendee written into their file, so a calendar never shows the other party's
address as a guest. The dedupe key is (session, event, recipient): a call repeated
for the same change never queues a second email.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from loom.accounts.models import Language, User
from loom.core.email import email_enqueue
from loom.scheduling.ics import CalendarEvent, IcsAttachment, ics_attachment
from loom.scheduling.models import (
    LocationKind,
    Session,
    SessionEvent,
    SessionEventKind,
    SessionStatus,
)

PRODUCT_ID = "-//Loom//Scheduling//EN"
TEMPLATE_DIR = "scheduling/email"

# Which events notify whom. The coach is told about a request (to approve it); the
# client is not told about their own decline twice: a decline goes to the client only.
_RECIPIENTS: dict[str, tuple[str, ...]] = {
    SessionEventKind.BOOKED: ("client", "coach"),
    SessionEventKind.REQUESTED: ("client", "coach"),
    SessionEventKind.APPROVED: ("client", "coach"),
    SessionEventKind.DECLINED: ("client",),
    SessionEventKind.RESCHEDULED: ("client", "coach"),
    SessionEventKind.CANCELLED: ("client", "coach"),
}


def _language(user: User) -> str:
    return user.language if user.language in Language.values else settings.LANGUAGE_CODE


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def format_when(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> str:
    """ "Tuesday, June 2, 2026, 10 a.m.–11 a.m." in the active language, in ``zone``."""
    start = starts_at.astimezone(zone)
    end = ends_at.astimezone(zone)
    day = f"{date_format(start, 'l')}, {date_format(start, 'DATE_FORMAT')}"
    hours = f"{time_format(start, 'TIME_FORMAT')}–{time_format(end, 'TIME_FORMAT')}"
    if end.date() != start.date():
        hours = (
            f"{time_format(start, 'TIME_FORMAT')} – "
            f"{date_format(end, 'DATE_FORMAT')}, {time_format(end, 'TIME_FORMAT')}"
        )
    return f"{day}, {hours} ({zone.key})"


def _times(
    starts_at: datetime, ends_at: datetime, *, recipient: User, coach_zone: ZoneInfo
) -> dict[str, str]:
    """The time in the recipient's zone and, when it differs, in the coach's."""
    own = _zone(recipient.timezone)
    when = format_when(starts_at, ends_at, own)
    coach_when = ""
    if own.key != coach_zone.key:
        coach_when = format_when(starts_at, ends_at, coach_zone)
    return {"when": when, "coach_when": coach_when}


def _location(session: Session) -> str:
    session_type = session.session_type
    if session_type.location_kind == LocationKind.IN_PERSON:
        return session_type.address
    return str(LocationKind(session_type.location_kind).label)


def _actor(actor: User | None, *, recipient: User, session: Session) -> str:
    """Who made the change, from the recipient's point of view."""
    if actor is not None and actor.pk == recipient.pk:
        return "self"
    if actor is not None and actor.pk in (session.coach_id, session.client_id):
        return "other"
    return "admin"


def _subject_and_lead(
    kind: str, *, role: str, actor: str, names: dict[str, str]
) -> tuple[str, str]:
    """The subject line and first sentence, in the active language."""
    if kind == SessionEventKind.BOOKED:
        subject = _("Session booked: %(type)s with %(other)s") % names
        lead = (
            _("You booked a session with %(other)s.")
            if actor == "self"
            else _("%(other)s booked a session with you.")
        ) % names
    elif kind == SessionEventKind.REQUESTED and role == "coach":
        subject = _("Approval needed: %(type)s with %(other)s") % names
        lead = (
            _("%(other)s asked for a session with you. Approve or decline the request in Loom.")
            % names
        )
    elif kind == SessionEventKind.REQUESTED:
        subject = _("Request sent: %(type)s with %(other)s") % names
        lead = (
            _("You asked %(other)s for a session. We will email you when your coach answers.")
            % names
        )
    elif kind == SessionEventKind.APPROVED:
        subject = _("Session confirmed: %(type)s with %(other)s") % names
        lead = (
            _("You approved the request from %(other)s. The session is confirmed.")
            if role == "coach"
            else _("%(other)s approved your request. Your session is confirmed.")
        ) % names
    elif kind == SessionEventKind.DECLINED:
        subject = _("Request declined: %(type)s with %(other)s") % names
        lead = _("%(other)s declined your request for a session.") % names
    elif kind == SessionEventKind.RESCHEDULED:
        subject = _("Session moved: %(type)s with %(other)s") % names
        lead = {
            "self": _("You moved your session with %(other)s."),
            "other": _("%(other)s moved your session."),
            "admin": _("The site administrator moved your session with %(other)s."),
        }[actor] % names
    else:
        subject = _("Session cancelled: %(type)s with %(other)s") % names
        lead = {
            "self": _("You cancelled your session with %(other)s."),
            "other": _("%(other)s cancelled your session."),
            "admin": _("The site administrator cancelled your session with %(other)s."),
        }[actor] % names
    return subject, lead


def _calendar(session: Session, *, recipient: User, other: User, method: str) -> IcsAttachment:
    event = CalendarEvent(
        uid=session.uid,
        sequence=session.sequence,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        tzid=_zone(session.coach_timezone).key,
        summary=_("%(type)s with %(person)s")
        % {"type": session.session_type.name, "person": other.full_name or other.email},
        description=session.session_type.description,
        location=_location(session),
        url=settings.LOOM_BASE_URL,
        organizer_email=session.coach.email,
        organizer_name=session.coach.full_name,
        # Only the recipient: the other party's address stays out of their calendar.
        attendees=[(recipient.email, recipient.full_name)],
        status="CANCELLED" if method == "CANCEL" else "CONFIRMED",
        created=session.created_at,
        last_modified=session.updated_at,
    )
    return ics_attachment(
        [event],
        method="CANCEL" if method == "CANCEL" else "REQUEST",
        product_id=PRODUCT_ID,
        filename="cancel.ics" if method == "CANCEL" else "invite.ics",
    )


def _method(kind: str, session: Session) -> str | None:
    if kind in (SessionEventKind.CANCELLED, SessionEventKind.DECLINED):
        return "CANCEL"
    if kind in (SessionEventKind.BOOKED, SessionEventKind.APPROVED) or (
        kind == SessionEventKind.RESCHEDULED and session.status == SessionStatus.SCHEDULED
    ):
        return "REQUEST"
    return None


def session_notify(*, session: Session, event: SessionEvent) -> list[Any]:
    """Queue the emails for ``event`` (one row per recipient); returns the outbox rows.

    Call inside the transaction that made the change. Events that notify nobody
    (start, complete, no-show) queue nothing.
    """
    roles = _RECIPIENTS.get(event.kind, ())
    coach_zone = _zone(session.coach_timezone)
    method = _method(event.kind, session)
    actor = event.actor
    messages = []
    for role in roles:
        recipient = session.client if role == "client" else session.coach
        other = session.coach if role == "client" else session.client
        language = _language(recipient)
        with translation.override(language):
            names = {"type": session.session_type.name, "other": other.full_name or other.email}
            subject, lead = _subject_and_lead(
                event.kind,
                role=role,
                actor=_actor(actor, recipient=recipient, session=session),
                names=names,
            )
            context: dict[str, Any] = {
                "user_name": recipient.full_name,
                "role": role,
                "subject_line": subject,
                "lead": lead,
                "type_name": names["type"],
                "location": _location(session),
                "reason": event.reason,
                "late": bool(
                    event.kind == SessionEventKind.CANCELLED and session.late_cancellation
                ),
                "calendar": method,
                "url": f"{settings.LOOM_BASE_URL.rstrip('/')}/home/",
                **_times(
                    session.starts_at, session.ends_at, recipient=recipient, coach_zone=coach_zone
                ),
            }
            if event.kind == SessionEventKind.RESCHEDULED and event.old_starts_at:
                old = _times(
                    event.old_starts_at,
                    event.old_ends_at or event.old_starts_at,
                    recipient=recipient,
                    coach_zone=coach_zone,
                )
                context["old_when"] = old["when"]
            attachments = (
                [_calendar(session, recipient=recipient, other=other, method=method)]
                if method is not None
                else []
            )
        messages.append(
            email_enqueue(
                to=recipient.email,
                template=f"{TEMPLATE_DIR}/session",
                context=context,
                language=language,
                time_zone=recipient.timezone,
                dedupe_key=f"session:{session.pk}:event:{event.pk}:user:{recipient.pk}",
                attachments=attachments,
            )
        )
    return messages

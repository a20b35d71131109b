"""Booking notifications: a notice (or, for one's own act, an email) per party and change.

The services call :func:`session_notify` inside their transaction, right after the
change and its ``SessionEvent``: the outbox rows are written with the change and roll
back with it, and the worker sends them after the commit.

The other party is *told* through ``loom.core.notices`` (kind ``session_booked``,
``session_approved``, ``session_rescheduled`` or ``session_cancelled``), so their
preferences matrix, quiet hours and push apply; the notice carries the email rendered
here. The person who made the change gets the same email directly, as a receipt with
its calendar file: telling someone in Loom what they just did there is noise, and
their calendar still needs the file. A cancellation (or decline) of a session that
starts within 24 hours is urgent and ignores quiet hours.

Each recipient gets the email in their own language, with times in their own zone
(and the coach's zone alongside when it differs). A confirmed, approved or moved
session carries ``METHOD:REQUEST`` with the session's stable ``uid`` and its
``sequence`` (which the services raise on every change), so calendar apps update one
event; a cancelled or declined one carries ``METHOD:CANCEL``. A request not yet
approved carries no calendar file: nothing is settled. The recipient is the only
attendee written into their file, so a calendar never shows the other party's
address as a guest. The dedupe key is (session, event, recipient): a call repeated
for the same change never queues a second email.

A group session has no ``client``: its attendees are the holders of taken
``SessionSeat`` rows. Creating one tells the coach; moving or cancelling it tells the
coach and every seat holder, each in their own email (no attendee learns another's
name or address). A seat taken or released is told to that one person (the event's
actor), with a REQUEST or CANCEL calendar file carrying the session's UID and
SEQUENCE; a release is also told to the coach, without a calendar file.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from loom.accounts.models import Language, Role, User
from loom.accounts.timezones import zone_named
from loom.core.context import system_context
from loom.core.email import email_payload
from loom.core.notices import Notice, notice_send
from loom.core.outbox import outbox_enqueue
from loom.scheduling.calendar_feed import (
    calendar_uri,
    session_description,
    session_link_url,
    session_location,
)
from loom.scheduling.ics import CalendarEvent, IcsAttachment, ics_attachment
from loom.scheduling.models import (
    LocationKind,
    SeatStatus,
    Session,
    SessionEvent,
    SessionEventKind,
    SessionSeat,
    SessionStatus,
)
from loom.scheduling.video import visible_meeting_url

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

# A group session: "client" means every holder of a taken seat, "seat" the one person
# who took or released a seat (the event's actor).
_GROUP_RECIPIENTS: dict[str, tuple[str, ...]] = {
    SessionEventKind.BOOKED: ("coach",),
    SessionEventKind.RESCHEDULED: ("client", "coach"),
    SessionEventKind.CANCELLED: ("client", "coach"),
    SessionEventKind.SEAT_TAKEN: ("seat",),
    SessionEventKind.SEAT_RELEASED: ("seat", "coach"),
}


# The notice kind each change is told as. A request waiting for approval is a booking
# to the coach; a declined request, like a released seat, is a session that will not
# take place for that person.
NOTICE_KINDS: dict[str, str] = {
    SessionEventKind.BOOKED: "session_booked",
    SessionEventKind.REQUESTED: "session_booked",
    SessionEventKind.APPROVED: "session_approved",
    SessionEventKind.DECLINED: "session_cancelled",
    SessionEventKind.RESCHEDULED: "session_rescheduled",
    SessionEventKind.CANCELLED: "session_cancelled",
    SessionEventKind.SEAT_TAKEN: "session_booked",
    SessionEventKind.SEAT_RELEASED: "session_cancelled",
}

# A session cancelled this close to its start is told even during quiet hours.
URGENT_WITHIN = timedelta(hours=24)


def _language(user: User) -> str:
    return user.language if user.language in Language.values else settings.LANGUAGE_CODE


def keep_ltr(text: str) -> str:
    """``text`` kept left to right inside right-to-left text (an isolate): in Hebrew
    "09:00–10:00" would otherwise read "10:00–09:00"."""
    if translation.get_language_bidi():
        return f"\u2066{text}\u2069"
    return text


def format_when(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> str:
    """ "Tuesday, June 2, 2026, 10 a.m.–11 a.m." in the active language, in ``zone``.

    The hours and the zone name stay left to right in a right-to-left language.
    """
    start = starts_at.astimezone(zone)
    end = ends_at.astimezone(zone)
    day = f"{date_format(start, 'l')}, {date_format(start, 'DATE_FORMAT')}"
    hours = f"{time_format(start, 'TIME_FORMAT')}–{time_format(end, 'TIME_FORMAT')}"
    if end.date() != start.date():
        hours = (
            f"{time_format(start, 'TIME_FORMAT')} – "
            f"{date_format(end, 'DATE_FORMAT')}, {time_format(end, 'TIME_FORMAT')}"
        )
    return f"{day}, {keep_ltr(hours)} ({keep_ltr(zone.key)})"


def _times(
    starts_at: datetime, ends_at: datetime, *, recipient: User, coach_zone: ZoneInfo
) -> dict[str, str]:
    """The time in the recipient's zone and, when it differs, in the coach's."""
    own = zone_named(recipient.timezone)
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
    if actor is not None and (
        actor.pk in (session.coach_id, session.client_id)
        # In a group session a seat holder's own change reaches the coach as "other".
        or (session.is_group and actor.role == Role.CLIENT)
    ):
        return "other"
    return "admin"


def _subject_and_lead(
    kind: str, *, role: str, actor: str, names: dict[str, str]
) -> tuple[str, str]:
    """The subject line and first sentence, in the active language."""
    if kind == SessionEventKind.BOOKED and not names.get("group"):
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
    elif kind == SessionEventKind.SEAT_TAKEN:
        subject = _("Seat confirmed: %(type)s with %(other)s") % names
        lead = _("You have a seat in the group session with %(other)s.") % names
    elif kind == SessionEventKind.SEAT_RELEASED and role == "coach":
        subject = _("Seat released: %(type)s") % names
        lead = (
            _(
                "%(person)s gave up their seat in your group session. %(taken)s of %(capacity)s seats are taken."
            )
            % names
        )
    elif kind == SessionEventKind.SEAT_RELEASED:
        subject = _("Seat released: %(type)s with %(other)s") % names
        lead = _("You gave up your seat in the group session with %(other)s.") % names
    elif kind == SessionEventKind.BOOKED and role == "coach" and names.get("group"):
        subject = _("Group session created: %(type)s") % names
        lead = (
            _(
                "You created a group session with %(capacity)s seats. Your clients can now take a seat."
            )
            % names
        )
    else:
        subject = _("Session cancelled: %(type)s with %(other)s") % names
        lead = {
            "self": _("You cancelled your session with %(other)s."),
            "other": _("%(other)s cancelled your session."),
            "admin": _("The site administrator cancelled your session with %(other)s."),
        }[actor] % names
    return subject, lead


def _calendar(session: Session, *, recipient: User, other: str, method: str) -> IcsAttachment:
    # A cancellation (a released seat included) carries no way into the meeting.
    meeting_url = "" if method == "CANCEL" else visible_meeting_url(session)
    event = CalendarEvent(
        uid=session.uid,
        sequence=session.sequence,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        tzid=zone_named(session.coach_timezone).key,
        summary=_("%(type)s with %(person)s")
        % {"type": session.session_type.name, "person": other},
        # The type's description, then how to join and the link back to the session.
        description="\n\n".join(
            part
            for part in (
                session.session_type.description,
                session_description(session, meeting_url=meeting_url),
            )
            if part
        ),
        location=session_location(session, meeting_url=meeting_url),
        url=calendar_uri(meeting_url or session_link_url(session)),
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


def _method(kind: str, session: Session, *, role: str = "client") -> str | None:
    if kind == SessionEventKind.SEAT_RELEASED:
        # The seat holder removes the session from their calendar; the coach keeps it.
        return "CANCEL" if role == "seat" else None
    if kind in (SessionEventKind.CANCELLED, SessionEventKind.DECLINED):
        return "CANCEL"
    if kind in (
        SessionEventKind.BOOKED,
        SessionEventKind.APPROVED,
        SessionEventKind.SEAT_TAKEN,
    ) or (kind == SessionEventKind.RESCHEDULED and session.status == SessionStatus.SCHEDULED):
        return "REQUEST"
    return None


def _display(user: User) -> str:
    return user.full_name or user.email


def _recipients(session: Session, event: SessionEvent) -> list[tuple[str, User]]:
    """(role, person) for each email ``event`` sends. Roles: client, coach, seat."""
    if not session.is_group:
        client = session.client
        if client is None:
            return []
        return [
            (role, client if role == "client" else session.coach)
            for role in _RECIPIENTS.get(event.kind, ())
        ]
    people: list[tuple[str, User]] = []
    for role in _GROUP_RECIPIENTS.get(event.kind, ()):
        if role == "coach":
            people.append((role, session.coach))
        elif role == "seat" and event.actor is not None:
            people.append((role, event.actor))
        elif role == "client":
            # Notifying is the system's act: a client acting would not see the others.
            with system_context():
                holders = [
                    seat.client
                    for seat in SessionSeat.objects.filter(
                        session=session, status=SeatStatus.TAKEN
                    ).select_related("client")
                ]
            people.extend(("client", holder) for holder in holders)
    return people


def _group_facts(session: Session, event: SessionEvent) -> dict[str, Any]:
    """What a group email says beyond the one-to-one case (seat counts, late flag)."""
    with system_context():
        taken = SessionSeat.objects.filter(session=session, status=SeatStatus.TAKEN).count()
        late = False
        if event.kind == SessionEventKind.SEAT_RELEASED and event.actor is not None:
            late = bool(
                SessionSeat.objects.filter(
                    session=session, client=event.actor, status=SeatStatus.CANCELLED
                )
                .order_by("-cancelled_at", "-id")
                .values_list("late_cancellation", flat=True)
                .first()
            )
    return {"taken": taken, "capacity": session.capacity, "late": late}


def session_path(session: Session) -> str:
    """The site path of the role-neutral session page (where a notice links)."""
    return reverse("scheduling_calendar:session_link", args=[session.pk])


def tell(
    *,
    recipient: User,
    kind: str,
    source: str,
    title: str,
    body: str,
    url: str,
    email: dict[str, Any],
    own_act: bool = False,
    urgent: bool = False,
) -> str:
    """Tell ``recipient`` through a notice, or send ``email`` as a receipt of their own act.

    ``source`` is the notice's source and, for a receipt, the email's dedupe key: the
    same change is told once either way. Returns ``source``.
    """
    if own_act:
        outbox_enqueue(channel="email", recipient=recipient.email, payload=email, dedupe_key=source)
    else:
        notice_send(
            Notice(
                user_id=recipient.pk,
                kind=kind,
                source=source,
                title=title,
                body=body,
                url=url,
                email=email,
                urgent=urgent,
            )
        )
    return source


def _urgent(kind: str, session: Session) -> bool:
    if kind not in (SessionEventKind.CANCELLED, SessionEventKind.DECLINED):
        return False
    return session.starts_at - timezone.now() <= URGENT_WITHIN


def session_notify(*, session: Session, event: SessionEvent) -> list[str]:
    """Tell each party about ``event``; returns the sources (one per recipient).

    Call inside the transaction that made the change. Events that notify nobody
    (start, complete, no-show) queue nothing.
    """
    people = _recipients(session, event)
    if not people:
        return []
    coach_zone = zone_named(session.coach_timezone)
    group = _group_facts(session, event) if session.is_group else {}
    actor = event.actor
    messages = []
    for role, recipient in people:
        method = _method(event.kind, session, role=role)
        language = _language(recipient)
        with translation.override(language):
            if role == "coach" and session.is_group:
                other = _("the group")
            elif role == "coach" and session.client is not None:
                other = _display(session.client)
            else:
                other = _display(session.coach)
            names = {
                "type": session.session_type.name,
                "other": other,
                "group": "1" if session.is_group else "",
                "person": _display(actor) if actor is not None else "",
                "taken": str(group.get("taken", "")),
                "capacity": str(session.capacity),
            }
            actor_is = _actor(actor, recipient=recipient, session=session)
            subject, lead = _subject_and_lead(event.kind, role=role, actor=actor_is, names=names)
            late = bool(
                event.kind == SessionEventKind.CANCELLED and session.late_cancellation
            ) or bool(event.kind == SessionEventKind.SEAT_RELEASED and group.get("late"))
            context: dict[str, Any] = {
                "user_name": recipient.full_name,
                "role": "client" if role == "seat" else role,
                "subject_line": subject,
                "lead": lead,
                "type_name": names["type"],
                "location": _location(session),
                "reason": event.reason,
                "late": late,
                "calendar": method,
                # The role-neutral link: it tells an old email's reader if the session
                # has moved or was cancelled since (scheduling_calendar:session_link).
                "url": session_link_url(session),
                # Not to the person who just gave up their seat: they no longer attend.
                "meeting_url": "" if method == "CANCEL" else visible_meeting_url(session),
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
        email = email_payload(
            template=f"{TEMPLATE_DIR}/session",
            context=context,
            language=language,
            time_zone=recipient.timezone,
            attachments=attachments,
        )
        messages.append(
            tell(
                recipient=recipient,
                kind=NOTICE_KINDS[event.kind],
                source=f"session:{session.pk}:event:{event.pk}:user:{recipient.pk}",
                title=subject,
                body=f"{lead} {context['when']}",
                url=session_path(session),
                email=email,
                own_act=actor_is == "self",
                urgent=_urgent(event.kind, session),
            )
        )
    return messages

"""Weekly series: a coach books the same wall-clock time with a client for several weeks.

Every occurrence is a session of its own (own UID, own history, own reminders), booked
through :func:`loom.scheduling.services.session_book` with every slot rule, and all of
them share ``Session.series``. The times are placed week by week on the coach's wall
clock, so a series at 09:00 in Jerusalem stays at 09:00 there when either country
changes its clocks (and moves, for a client in New York, by the hour the two changes
differ). The booking is all or nothing: if one week cannot be booked, nothing is, and
the error names that week. Both parties get one email for the whole series, with one
calendar file holding every session: the client through a ``session_booked`` notice,
the coach who booked it as a receipt (``emails.tell``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, translation
from django.utils.translation import gettext as _

from loom.accounts.models import Role, User
from loom.accounts.timezones import zone_named
from loom.core.email import email_payload
from loom.core.errors import Conflict, DomainError, Forbidden
from loom.scheduling.emails import _language, format_when, session_path, tell
from loom.scheduling.ics import CalendarEvent, IcsAttachment, calendar_for
from loom.scheduling.models import Session, SessionType
from loom.scheduling.selectors import coach_zone
from loom.scheduling.services import SlotUnavailable, session_book
from loom.scheduling.slots import local_instant

SERIES_MIN = 2
SERIES_MAX = 26
INTERVAL_MAX_WEEKS = 4
PRODUCT_ID = "-//Loom//Scheduling//EN"


def series_start_times(
    first_starts_at: datetime, *, count: int, interval_weeks: int, zone: Any
) -> list[datetime]:
    """The UTC start of each occurrence: the first one's wall time, week after week."""
    local = first_starts_at.astimezone(zone)
    starts = []
    for index in range(count):
        day = local.date() + timedelta(weeks=index * interval_weeks)
        instant = local_instant(day, local.time().replace(tzinfo=None), zone)
        if instant is None:
            raise SlotUnavailable(
                _("%(date)s has no %(time)s: the clocks skip it that night. Choose another time.")
                % {
                    "date": formats.date_format(day, "DATE_FORMAT"),
                    "time": formats.time_format(local.time(), "TIME_FORMAT"),
                },
                code="not_offered",
            )
        starts.append(instant)
    return starts


@transaction.atomic
def session_book_weekly_series(
    *,
    actor: User,
    client: User,
    session_type: SessionType,
    first_starts_at: datetime,
    count: int,
    interval_weeks: int = 1,
) -> list[Session]:
    """Book ``count`` sessions, ``interval_weeks`` apart, for the coach ``actor``."""
    if not actor.is_authenticated or actor.role != Role.COACH:
        raise Forbidden(_("Only a coach can book a series of sessions."), code="coach_only")
    if not isinstance(count, int) or not SERIES_MIN <= count <= SERIES_MAX:
        raise DomainError(
            _("A series has between %(low)s and %(high)s sessions.")
            % {"low": SERIES_MIN, "high": SERIES_MAX},
            code="series_count",
        )
    if not isinstance(interval_weeks, int) or not 1 <= interval_weeks <= INTERVAL_MAX_WEEKS:
        raise DomainError(
            _("Sessions in a series are 1 to %(high)s weeks apart.") % {"high": INTERVAL_MAX_WEEKS},
            code="series_interval",
        )
    if first_starts_at.tzinfo is None:
        raise DomainError(_("The time must include its time zone."), code="naive_datetime")
    if session_type.capacity > 1:
        raise DomainError(
            _("A series is for one-to-one sessions; create group sessions one by one."),
            code="series_group_type",
        )
    zone = coach_zone(actor)
    starts = series_start_times(
        first_starts_at, count=count, interval_weeks=interval_weeks, zone=zone
    )
    series = uuid.uuid4()
    sessions = []
    for starts_at in starts:
        try:
            sessions.append(
                session_book(
                    actor=actor,
                    coach=actor,
                    client=client,
                    session_type=session_type,
                    starts_at=starts_at,
                    series=series,
                    notify=False,
                )
            )
        except (SlotUnavailable, Conflict) as exc:
            day = formats.date_format(starts_at.astimezone(zone), "DATE_FORMAT")
            raise type(exc)(
                _("The session on %(date)s cannot be booked: %(reason)s")
                % {"date": day, "reason": str(exc)},
                code=exc.code,
            ) from None
    series_notify(sessions)
    return sessions


def _series_calendar(sessions: list[Session], *, recipient: User, other: User) -> IcsAttachment:
    events = [
        CalendarEvent(
            uid=session.uid,
            sequence=session.sequence,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            tzid=session.coach_timezone,
            summary=_("%(type)s with %(person)s")
            % {"type": session.session_type.name, "person": other.full_name or other.email},
            description=session.session_type.description,
            location=session.meeting_url or session.session_type.address,
            url=f"{settings.LOOM_BASE_URL.rstrip('/')}/sessions/{session.pk}/",
            organizer_email=session.coach.email,
            organizer_name=session.coach.full_name,
            attendees=[(recipient.email, recipient.full_name)],
            status="CONFIRMED",
            created=session.created_at,
            last_modified=session.updated_at,
        )
        for session in sessions
    ]
    text = calendar_for(events, method="PUBLISH", product_id=PRODUCT_ID)
    return IcsAttachment(
        filename="sessions.ics",
        content=text.encode("utf-8"),
        mimetype="text/calendar; method=PUBLISH; charset=UTF-8",
    )


def series_notify(sessions: list[Session]) -> None:
    """One email per party listing every session of the series, times in their own zone."""
    first = sessions[0]
    coach, client = first.coach, first.client
    assert client is not None  # a series is one-to-one
    base = settings.LOOM_BASE_URL.rstrip("/")
    for recipient, other in ((client, coach), (coach, client)):
        language = _language(recipient)
        zone = zone_named(recipient.timezone)
        with translation.override(language):
            names = {
                "type": first.session_type.name,
                "other": other.full_name or other.email,
                "count": len(sessions),
            }
            subject = _("%(count)s sessions booked: %(type)s with %(other)s") % names
            lead = (
                _("%(other)s booked a weekly series of %(count)s sessions with you.")
                if recipient == client
                else _("You booked a weekly series of %(count)s sessions with %(other)s.")
            ) % names
            context = {
                "user_name": recipient.full_name,
                "subject_line": subject,
                "lead": lead,
                "whens": [format_when(s.starts_at, s.ends_at, zone) for s in sessions],
                "url": f"{base}/sessions/{first.pk}/",
            }
            attachment = _series_calendar(sessions, recipient=recipient, other=other)
        email = email_payload(
            template="scheduling/email/series",
            context=context,
            language=language,
            time_zone=recipient.timezone,
            attachments=[attachment],
        )
        tell(
            recipient=recipient,
            kind="session_booked",
            source=f"series:{first.series}:user:{recipient.pk}",
            title=subject,
            body=lead,
            url=session_path(first),
            email=email,
            # Only a coach books a series.
            own_act=recipient == coach,
        )

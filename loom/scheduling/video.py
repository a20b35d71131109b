"""Meeting links for remote (video) sessions.

A video session gets its link once, when it is created: the coach's own meeting link
(``CoachSchedulingSettings.own_meeting_url``) when they set one, otherwise a Jitsi
Meet room on ``LOOM_JITSI_BASE_URL`` whose name is random — never derived from ids,
so nobody can guess another session's room. The link is stored on the session
(``Session.meeting_url``) and stays the same across reschedules; pages, emails and
calendar files read it from there and leave it out once the session is cancelled or
declined.
"""

from __future__ import annotations

import secrets

from django.conf import settings

from loom.accounts.models import User
from loom.core.context import system_context
from loom.scheduling.models import (
    CoachSchedulingSettings,
    LocationKind,
    Session,
    SessionStatus,
    SessionType,
)

ROOM_PREFIX = "Loom-"
# 16 random bytes give 22 url-safe characters (128 bits): far beyond guessing.
ROOM_RANDOM_BYTES = 16

# A meeting link is not shown for sessions that will not take place.
_CLOSED_STATUSES = frozenset({SessionStatus.CANCELLED, SessionStatus.DECLINED})


def jitsi_room_url() -> str:
    """A new Jitsi Meet room on the configured base URL, with an unguessable name."""
    base = settings.LOOM_JITSI_BASE_URL.rstrip("/")
    return f"{base}/{ROOM_PREFIX}{secrets.token_urlsafe(ROOM_RANDOM_BYTES)}"


def coach_own_meeting_url(coach: User) -> str:
    """The coach's own meeting link, or ``""`` when they have none.

    Read in the system context: a client booking with their coach needs it and the
    value goes nowhere but the session being created.
    """
    with system_context():
        url = (
            CoachSchedulingSettings.objects.filter(coach=coach)
            .values_list("own_meeting_url", flat=True)
            .first()
        )
    return (url or "").strip()


def meeting_url_for_new_session(
    *, coach: User, session_type: SessionType, own_url: str | None = None
) -> str:
    """The link a session of ``session_type`` with ``coach`` gets when it is created.

    ``""`` for in-person and phone sessions; the coach's own link when set; else a new
    Jitsi room. Call once per session, at creation; a reschedule keeps the link.
    ``own_url``: the coach's own link when the caller already holds their settings
    row (saves a query); ``None`` reads it.
    """
    if session_type.location_kind != LocationKind.VIDEO:
        return ""
    own = coach_own_meeting_url(coach) if own_url is None else own_url.strip()
    return own or jitsi_room_url()


def visible_meeting_url(session: Session) -> str:
    """The session's meeting link as pages, emails and calendars show it.

    ``""`` for a cancelled or declined session, and for a session that is not a video
    session (a type changed to in person after booking keeps no stale link in view).
    """
    if session.status in _CLOSED_STATUSES:
        return ""
    if session.session_type.location_kind != LocationKind.VIDEO:
        return ""
    return session.meeting_url

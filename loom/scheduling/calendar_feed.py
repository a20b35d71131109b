"""Sessions in people's calendars: downloads, "add to" links and private feeds.

* :func:`session_event_for` turns a session into the :class:`~loom.scheduling.ics.CalendarEvent`
  one viewer may see: the other party by name only (no address, no phone), the
  meeting link or address, a link back to the session, and never any note.
* :func:`session_ics_for` is the ``.ics`` download (``METHOD:PUBLISH``, the session's
  own UID and SEQUENCE, so it is the same event the emails put in the calendar).
* :func:`google_calendar_url` / :func:`outlook_calendar_url` prefill the web calendars.
* Feeds: :func:`calendar_feed_create`, :func:`calendar_feed_revoke` and
  :func:`calendar_feed_replace` manage a person's one private subscription URL. The
  token (32 random bytes, url-safe) is returned once and stored only as its SHA-256;
  a revoked token stops matching at once. :func:`feed_response_for_token` answers a
  calendar app's fetch: no sign-in, the token lookup and the reads run in the system
  context, a bounded number of queries whatever the number of sessions.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from loom.accounts.models import Language, Role, User
from loom.core.audit import audit_record
from loom.core.errors import Conflict, DomainError, NotFound
from loom.scheduling.ics import CalendarEvent, Status, calendar_for, feed_for
from loom.scheduling.models import (
    ACTIVE_STATUSES,
    CalendarFeed,
    LocationKind,
    SeatStatus,
    Session,
    SessionEvent,
    SessionEventKind,
    SessionSeat,
    SessionStatus,
)
from loom.scheduling.video import visible_meeting_url

PRODUCT_ID = "-//Loom//Calendar//EN"
TOKEN_BYTES = 32
# token_urlsafe(32) is 43 characters; anything else cannot be a token of ours.
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
# A feed's last fetch is recorded at most this often, so a busy feed is not a write
# per request.
FETCH_RECORD_INTERVAL = timedelta(minutes=1)
# Calendar apps may cache the feed this long (the response's Cache-Control).
FEED_MAX_AGE_SECONDS = 300
# Calendar apps are asked to refresh this often (REFRESH-INTERVAL, X-PUBLISHED-TTL).
FEED_REFRESH_INTERVAL = timedelta(hours=1)
# A feed never lists more sessions than this, newest first (a bound on the response).
FEED_MAX_SESSIONS = 2000

_CLOSED = (SessionStatus.CANCELLED, SessionStatus.DECLINED)


# --- Reading a session as one viewer -------------------------------------------------


def is_party(session: Session, user: User) -> bool:
    """Coach, one-to-one client, or a client with a seat in the group session."""
    if not user.is_authenticated:
        return False
    if user.pk in (session.coach_id, session.client_id):
        return True
    return session.is_group and SessionSeat.objects.filter(session=session, client=user).exists()


def get_session_for_party(user: User, session_id: Any) -> Session:
    """The session if ``user`` is a party to it (a seat holder included); else ``Http404``.

    A person who held a seat and released it still reaches the session, so an old
    email link can tell them what became of it.
    """
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not user.is_authenticated or not 0 < pk < 2**63:
        raise Http404
    seat = SessionSeat.objects.filter(session=OuterRef("pk"), client=user)
    session = (
        Session.objects.select_related("coach", "client", "session_type")
        .filter(Q(coach=user) | Q(client=user) | Exists(seat), pk=pk)
        .first()
    )
    if session is None:
        raise Http404
    return session


def session_link_url(session: Session) -> str:
    """The role-neutral link every email carries, with the sequence it was sent at."""
    path = reverse("scheduling_calendar:session_link", args=[session.pk])
    return f"{settings.LOOM_BASE_URL.rstrip('/')}{path}?v={session.sequence}"


# The changes that raise a session's sequence (each by one), in the order the services
# make them; in a group session every seat taken or released does too.
_SEQUENCE_KINDS = (
    SessionEventKind.APPROVED,
    SessionEventKind.DECLINED,
    SessionEventKind.RESCHEDULED,
    SessionEventKind.CANCELLED,
    SessionEventKind.SEAT_TAKEN,
    SessionEventKind.SEAT_RELEASED,
)


def session_link_state(session: Session, *, viewer: User, seen: int | None) -> str:
    """What an email link sent at sequence ``seen`` should tell ``viewer`` now.

    ``"cancelled"`` — the session was cancelled or declined (or, in a group, the
    viewer's seat was released); ``"moved"`` — the sequence grew since the email and
    one of the later changes is a reschedule; ``"current"`` — anything else.
    """
    if session.status in _CLOSED:
        return "cancelled"
    if session.is_group and viewer.pk != session.coach_id:
        taken = SessionSeat.objects.filter(
            session=session, client=viewer, status=SeatStatus.TAKEN
        ).exists()
        if not taken:
            return "cancelled"
    if seen is None or session.sequence <= seen:
        return "current"
    kinds = list(
        SessionEvent.objects.filter(session=session, kind__in=_SEQUENCE_KINDS)
        .order_by("occurred_at", "id")
        .values_list("kind", flat=True)
    )
    # The n-th sequence-raising change took the session from n-1 to n: the ones the
    # email did not know about are those from index ``seen`` on.
    later = kinds[seen:] if seen < len(kinds) else kinds[-(session.sequence - seen) :]
    return "moved" if SessionEventKind.RESCHEDULED in later else "current"


def _name(user: User | None, fallback: str) -> str:
    # A full name only: the e-mail address (or its local part) is contact data.
    return (user.full_name if user is not None else "") or fallback


def session_title(session: Session, *, viewer: User) -> str:
    """ "Coaching with Dana" — the other party by name, from ``viewer``'s side."""
    type_name = session.session_type.name
    if viewer.pk == session.coach_id:
        if session.is_group:
            return _("%(type)s (group session)") % {"type": type_name}
        other = _name(session.client, _("your client"))
    else:
        other = _name(session.coach, _("your coach"))
    return _("%(type)s with %(person)s") % {"type": type_name, "person": other}


def session_location(session: Session, *, meeting_url: str | None = None) -> str:
    """Where the session happens: the meeting link, the address, or "Phone call".

    ``meeting_url`` overrides the session's visible link (``""`` for a viewer who no
    longer attends, such as a client whose group seat was released)."""
    kind = session.session_type.location_kind
    if meeting_url is None:
        meeting_url = visible_meeting_url(session)
    if kind == LocationKind.VIDEO:
        return meeting_url or str(LocationKind.VIDEO.label)
    if kind == LocationKind.IN_PERSON:
        return session.session_type.address
    return str(LocationKind.PHONE.label)


def session_description(session: Session, *, meeting_url: str | None = None) -> str:
    """The plain-text details of a calendar entry (already in the active language)."""
    lines = [session.session_type.name]
    if meeting_url is None:
        meeting_url = visible_meeting_url(session)
    if meeting_url:
        lines.append(_("Join the video call: %(url)s") % {"url": meeting_url})
    elif session.session_type.location_kind == LocationKind.IN_PERSON:
        lines.append(_("Address: %(address)s") % {"address": session.session_type.address})
    elif session.session_type.location_kind == LocationKind.PHONE:
        lines.append(_("Phone call"))
    lines.append(_("Session in Loom: %(url)s") % {"url": session_link_url(session)})
    return "\n".join(lines)


def _status(session: Session, *, seat_status: str | None = None) -> Status:
    if session.status in _CLOSED or seat_status == SeatStatus.CANCELLED:
        return "CANCELLED"
    if session.status == SessionStatus.REQUESTED:
        return "TENTATIVE"
    return "CONFIRMED"


def _tzid(session: Session) -> str:
    try:
        return ZoneInfo(session.coach_timezone or settings.TIME_ZONE).key
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE).key


def session_event_for(
    session: Session, *, viewer: User, seat_status: str | None = None
) -> CalendarEvent:
    """The session as ``viewer`` sees it in a calendar: names only, no notes, no addresses.

    No ORGANIZER or ATTENDEE is written: a published calendar needs none, and they
    would carry the other party's e-mail address. A cancelled entry (a released seat
    included) carries no meeting link.
    """
    status = _status(session, seat_status=seat_status)
    meeting_url = "" if status == "CANCELLED" else visible_meeting_url(session)
    return CalendarEvent(
        uid=session.uid,
        sequence=session.sequence,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        tzid=_tzid(session),
        summary=session_title(session, viewer=viewer),
        description=session_description(session, meeting_url=meeting_url),
        location=session_location(session, meeting_url=meeting_url),
        url=calendar_uri(meeting_url or session_link_url(session)),
        status=status,
        created=session.created_at,
        last_modified=session.updated_at,
    )


def session_ics_for(session: Session, *, viewer: User) -> str:
    """The ``.ics`` download of one session (``METHOD:PUBLISH``); for a client whose
    group seat was released, a cancelled entry without the meeting link."""
    seat_status = None
    if session.is_group and viewer.pk != session.coach_id:
        seated = SessionSeat.objects.filter(
            session=session, client=viewer, status=SeatStatus.TAKEN
        ).exists()
        seat_status = SeatStatus.TAKEN if seated else SeatStatus.CANCELLED
    return calendar_for(
        [session_event_for(session, viewer=viewer, seat_status=seat_status)],
        method="PUBLISH",
        product_id=PRODUCT_ID,
    )


# Characters RFC 3986 allows in a URI; anything else in a stored link (a coach's own
# link may hold "{", "|" or "^", which URL validation lets through) is percent-encoded
# before it goes into a calendar's URI-valued property.
_URI_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def calendar_uri(url: str) -> str:
    """``url`` as a strict URI, fit for an iCalendar ``URL`` property."""
    return quote(url, safe=_URI_SAFE)


def _utc_stamp(value: datetime) -> str:
    return value.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(session: Session, *, viewer: User) -> str:
    """Google Calendar's "new event" page, prefilled (times in UTC)."""
    query = {
        "action": "TEMPLATE",
        "text": session_title(session, viewer=viewer),
        "dates": f"{_utc_stamp(session.starts_at)}/{_utc_stamp(session.ends_at)}",
        "details": session_description(session),
        "location": session_location(session),
    }
    return f"https://calendar.google.com/calendar/render?{urlencode(query)}"


def outlook_calendar_url(session: Session, *, viewer: User) -> str:
    """Outlook.com's "new event" page, prefilled (times in UTC, ISO 8601)."""
    utc = ZoneInfo("UTC")
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": session_title(session, viewer=viewer),
        "startdt": session.starts_at.astimezone(utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enddt": session.ends_at.astimezone(utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "body": session_description(session),
        "location": session_location(session),
    }
    return f"https://outlook.live.com/calendar/0/action/compose?{urlencode(query)}"


# --- Feeds: tokens ------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def feed_url(token: str) -> str:
    path = reverse("scheduling_calendar:feed", kwargs={"token": token})
    return f"{settings.LOOM_BASE_URL.rstrip('/')}{path}"


def webcal_url(url: str) -> str:
    """The same URL with ``webcal://``: Apple Calendar and Outlook subscribe on click."""
    return "webcal://" + url.split("://", 1)[-1]


@dataclass(frozen=True)
class NewFeed:
    """A feed just created: the only time its URL (with the token) exists in clear."""

    feed: CalendarFeed
    url: str

    @property
    def webcal_url(self) -> str:
        return webcal_url(self.url)


def active_feed_for(user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def _create(user: User) -> NewFeed:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    try:
        with transaction.atomic():
            feed = CalendarFeed.objects.create(user=user, token_hash=_hash(token))
    except IntegrityError:
        # feed_one_active: a concurrent request created one first.
        raise Conflict(
            _("You already have a calendar link. Replace it to get a new one."),
            code="feed_exists",
        ) from None
    audit_record(action="calendar_feed.created", actor=user, target=feed)
    return NewFeed(feed=feed, url=feed_url(token))


def _require_person(user: User) -> None:
    if not user.is_authenticated:
        raise DomainError(_("Sign in to manage your calendar link."), code="signed_out")


@transaction.atomic
def calendar_feed_create(*, user: User) -> NewFeed:
    """Create the person's subscription URL; refused while one is active."""
    _require_person(user)
    if active_feed_for(user) is not None:
        raise Conflict(
            _("You already have a calendar link. Replace it to get a new one."),
            code="feed_exists",
        )
    return _create(user)


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> CalendarFeed:
    """Revoke the person's active feed; its URL answers 404 from now on."""
    _require_person(user)
    now = timezone.now()
    feed = (
        CalendarFeed.objects.select_for_update().filter(user=user, revoked_at__isnull=True).first()
    )
    if feed is None:
        raise NotFound(_("You have no calendar link to revoke."), code="no_feed")
    feed.revoked_at = now
    feed.save(update_fields=["revoked_at", "updated_at"])
    audit_record(action="calendar_feed.revoked", actor=user, target=feed)
    return feed


@transaction.atomic
def calendar_feed_replace(*, user: User) -> NewFeed:
    """Revoke the active feed (if any) and create a new one, in one transaction."""
    _require_person(user)
    now = timezone.now()
    for feed in CalendarFeed.objects.select_for_update().filter(user=user, revoked_at__isnull=True):
        feed.revoked_at = now
        feed.save(update_fields=["revoked_at", "updated_at"])
        audit_record(action="calendar_feed.revoked", actor=user, target=feed)
    return _create(user)


def feeds_for_user(user: User) -> list[CalendarFeed]:
    """The person's feeds, newest first (tokens are never stored, so never listed)."""
    return list(CalendarFeed.objects.filter(user=user).order_by("-created_at", "-id")[:20])


# --- Feeds: serving -------------------------------------------------------------------------


def feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed of ``token`` (with its person), or ``None``. Call in the system context.

    A malformed token is refused before any query.
    """
    if not isinstance(token, str) or not _TOKEN_RE.match(token):
        return None
    return (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def feed_throttled(feed: CalendarFeed) -> bool:
    """Count one fetch of ``feed``; ``True`` once the hourly allowance is used up.

    A fixed one-hour window in the cache (``add`` + ``incr``, atomic on Redis and the
    local-memory cache). Nothing is written to the database for a refused fetch.
    """
    limit = settings.LOOM_CALENDAR_FEED_FETCHES_PER_HOUR
    key = f"loom:calendar_feed:{feed.token_hash[:32]}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3600)
        count = 1
    return bool(count > limit)


def record_fetch(feed: CalendarFeed, *, now: datetime) -> bool:
    """Record the fetch time, at most once per ``FETCH_RECORD_INTERVAL``.

    One conditional UPDATE: concurrent fetches within the interval write once.
    """
    stale = Q(last_fetched_at__isnull=True) | Q(last_fetched_at__lt=now - FETCH_RECORD_INTERVAL)
    if feed.last_fetched_at is not None and feed.last_fetched_at >= now - FETCH_RECORD_INTERVAL:
        return False
    return bool(
        CalendarFeed.objects.filter(stale, pk=feed.pk).update(last_fetched_at=now, updated_at=now)
    )


def feed_sessions(user: User, *, now: datetime) -> list[tuple[Session, str | None]]:
    """The sessions a person's feed lists, each with the person's seat status (or None).

    Coach: their sessions that are active, or that ended in the last
    ``LOOM_CALENDAR_FEED_PAST_DAYS`` days (cancelled ones included, to remove them
    from calendars). Client: their one-to-one sessions and the group sessions they
    hold or held a seat in, with the same window. Two queries at most.
    """
    since = now - timedelta(days=settings.LOOM_CALENDAR_FEED_PAST_DAYS)
    window = Q(status__in=ACTIVE_STATUSES) | Q(ends_at__gte=since)
    if user.role == Role.COACH:
        mine = Q(coach=user)
        seats: dict[int, str] = {}
    else:
        seat_ids = SessionSeat.objects.filter(client=user).values("session_id")
        mine = Q(client=user) | Q(pk__in=seat_ids)
        seats = {}
        for session_id, status in SessionSeat.objects.filter(client=user).values_list(
            "session_id", "status"
        ):
            # One taken seat wins over earlier released ones.
            if seats.get(session_id) != SeatStatus.TAKEN:
                seats[session_id] = status
    sessions = list(
        Session.objects.select_related("coach", "client", "session_type")
        .filter(mine)
        .filter(window)
        .order_by("-starts_at", "-id")[:FEED_MAX_SESSIONS]
    )
    sessions.reverse()
    return [(session, seats.get(session.pk)) for session in sessions]


def feed_text(user: User, *, now: datetime) -> str:
    """The whole feed of ``user`` as RFC 5545 text, in their language."""
    language = user.language if user.language in Language.values else settings.LANGUAGE_CODE
    with translation.override(language):
        events = [
            session_event_for(session, viewer=user, seat_status=seat_status)
            for session, seat_status in feed_sessions(user, now=now)
        ]
        return feed_for(
            events,
            name=_("Loom sessions"),
            product_id=PRODUCT_ID,
            refresh_interval=FEED_REFRESH_INTERVAL,
            dtstamp=now,
        )

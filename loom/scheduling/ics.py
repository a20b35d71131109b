"""iCalendar (RFC 5545) files for sessions: email invitations and subscription feeds.

This module knows nothing about the scheduling models. Callers turn a session into
plain :class:`CalendarEvent` values (already translated, already scoped to what the
recipient may see) and get back the text of a calendar:

- :func:`calendar_for` — a ``VCALENDAR`` with a ``METHOD`` (``REQUEST`` for a new or
  changed session, ``CANCEL`` for a cancelled one, ``PUBLISH`` for feeds);
- :func:`ics_attachment` — the same as an email attachment (filename, bytes, mimetype);
- :func:`feed_for` — a subscription feed (``PUBLISH`` with a name and refresh interval).

Times are written as local wall-clock times in the event's zone (``DTSTART;TZID=...``)
with a ``VTIMEZONE`` generated from the zoneinfo database for the span the events
cover, so a calendar that ignores IANA names still resolves every time to the stored
UTC instant, and a weekly series keeps its local time across daylight-saving changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Method = Literal["REQUEST", "CANCEL", "PUBLISH"]
Status = Literal["CONFIRMED", "CANCELLED", "TENTATIVE"]

METHODS: frozenset[str] = frozenset({"REQUEST", "CANCEL", "PUBLISH"})
STATUSES: frozenset[str] = frozenset({"CONFIRMED", "CANCELLED", "TENTATIVE"})

# RFC 5545 §3.1: content lines SHOULD NOT be longer than 75 octets, excluding the CRLF.
MAX_LINE_OCTETS = 75
CRLF = "\r\n"

# An open-ended weekly series needs a VTIMEZONE that reaches into the future; past the
# last generated transition a parser keeps the last offset, so cover a generous span.
OPEN_SERIES_HORIZON = timedelta(days=3 * 366)
# The zone's offset is sampled at this step to find transitions (then bisected to the
# second). Since 1970 no zone in tzdata has two transitions closer than about a week
# (America/Cambridge_Bay, 2000: 166 hours), so a day cannot hide a pair of them.
_SAMPLE_STEP = timedelta(days=1)
# The first observance starts a little before the earliest event so that the event
# never falls before every observance of the VTIMEZONE.
_LEAD_IN = timedelta(days=7)

_TZID_RE = re.compile(r"^[A-Za-z0-9/_+\-]+$")
# Characters a TEXT value cannot carry: ASCII controls other than tab and line feed
# (RFC 5545 §3.3.11) and lone surrogates, which have no UTF-8 encoding.
_UNWRITABLE_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_ALL_CONTROLS_RE = re.compile(r"[\x00-\x1f\x7f]")
_FORBIDDEN_IN_URI_RE = re.compile(r"[\x00-\x20\x7f\"<>\\^`{|}]")
_RRULE_PART_RES: dict[str, re.Pattern[str]] = {
    "FREQ": re.compile(r"^WEEKLY$"),
    "INTERVAL": re.compile(r"^[1-9][0-9]{0,2}$"),
    "COUNT": re.compile(r"^[1-9][0-9]{0,3}$"),
    "UNTIL": re.compile(r"^[0-9]{8}T[0-9]{6}Z$"),
    "BYDAY": re.compile(r"^(MO|TU|WE|TH|FR|SA|SU)(,(MO|TU|WE|TH|FR|SA|SU))*$"),
    "WKST": re.compile(r"^(MO|TU|WE|TH|FR|SA|SU)$"),
}


class Attendee(NamedTuple):
    """A participant; a plain ``(email, name)`` tuple works just as well."""

    email: str
    name: str


@dataclass(frozen=True, kw_only=True)
class CalendarEvent:
    """One event as the recipient should see it.

    ``uid`` must stay the same for the life of the session (calendar apps match on it)
    and ``sequence`` must grow with every change the recipient is told about. All text
    is already translated into the recipient's language. For a group session pass only
    the recipient (and never the other attendees) in ``attendees``.
    """

    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    tzid: str
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    # Required by REQUEST and CANCEL; a PUBLISH calendar (a download or a feed) may
    # leave it empty, so a client's copy need not carry the coach's address.
    organizer_email: str = ""
    organizer_name: str = ""
    attendees: Sequence[tuple[str, str]] = ()
    status: Status = "CONFIRMED"
    created: datetime | None = None
    last_modified: datetime | None = None
    # A weekly recurrence rule without the "RRULE:" prefix, e.g. "FREQ=WEEKLY;COUNT=8".
    rrule: str | None = None

    def __post_init__(self) -> None:
        if not self.uid or _ALL_CONTROLS_RE.search(self.uid):
            raise ValueError("uid must be a non-empty single line without control characters")
        if self.sequence < 0:
            raise ValueError("sequence must not be negative")
        for name in ("starts_at", "ends_at", "created", "last_modified"):
            value = getattr(self, name)
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise ValueError(f"{name} must be timezone-aware")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        _zone(self.tzid)
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if self.organizer_email:
            _check_address(self.organizer_email)
        for email, _name in self.attendees:
            _check_address(email)
        if self.url and _FORBIDDEN_IN_URI_RE.search(self.url):
            raise ValueError("url must be a URI without spaces or control characters")
        if self.rrule is not None:
            _parse_rrule(self.rrule)


class IcsAttachment(NamedTuple):
    """What ``EmailMessage.attach(filename, content, mimetype)`` takes."""

    filename: str
    content: bytes
    mimetype: str


def calendar_for(
    events: Iterable[CalendarEvent],
    *,
    method: Method,
    product_id: str,
    dtstamp: datetime | None = None,
    name: str | None = None,
    refresh_interval: timedelta | None = None,
) -> str:
    """Return the RFC 5545 text of a calendar holding ``events``.

    Guarantees: CRLF line endings; every physical line at most 75 UTF-8 octets, folded
    between characters (never inside one); one ``VTIMEZONE`` per zone used, covering
    the events (and their recurrence); ``METHOD:CANCEL`` only with cancelled events and
    ``METHOD:REQUEST`` never with a cancelled one, as RFC 5546 requires.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    events = list(events)
    for event in events:
        if method == "CANCEL" and event.status != "CANCELLED":
            raise ValueError("a CANCEL calendar carries only cancelled events")
        if method == "REQUEST" and event.status == "CANCELLED":
            raise ValueError("a cancelled event is sent with method CANCEL")
        if method != "PUBLISH" and not event.attendees:
            raise ValueError(f"a {method} calendar needs at least one attendee per event")
        if method != "PUBLISH" and not event.organizer_email:
            raise ValueError(f"a {method} calendar needs an organizer per event")
    if dtstamp is not None and dtstamp.utcoffset() is None:
        raise ValueError("dtstamp must be timezone-aware")
    stamp = (dtstamp or datetime.now(UTC)).astimezone(UTC)

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{_text(product_id)}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
    ]
    if name is not None:
        lines.append(f"NAME:{_text(name)}")
        lines.append(f"X-WR-CALNAME:{_text(name)}")
    if refresh_interval is not None:
        duration = _duration(refresh_interval)
        lines.append(f"REFRESH-INTERVAL;VALUE=DURATION:{duration}")
        # Outlook reads the older, non-standard name.
        lines.append(f"X-PUBLISHED-TTL:{duration}")

    spans: dict[str, tuple[datetime, datetime]] = {}
    for event in events:
        start, end = event.starts_at, _coverage_end(event, stamp)
        if event.tzid in spans:
            known_start, known_end = spans[event.tzid]
            start, end = min(start, known_start), max(end, known_end)
        spans[event.tzid] = (start, end)
    for tzid in sorted(spans):
        lines.extend(_vtimezone(tzid, *spans[tzid]))

    for event in events:
        lines.extend(_vevent(event, stamp))
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + CRLF for line in lines)


def ics_attachment(
    events: Iterable[CalendarEvent],
    *,
    method: Literal["REQUEST", "CANCEL"],
    product_id: str,
    filename: str = "invite.ics",
    dtstamp: datetime | None = None,
) -> IcsAttachment:
    """Return a calendar as an email attachment that mail clients offer to add or update."""
    text = calendar_for(events, method=method, product_id=product_id, dtstamp=dtstamp)
    return IcsAttachment(
        filename=filename,
        content=text.encode("utf-8"),
        mimetype=f"text/calendar; method={method}; charset=UTF-8",
    )


def feed_for(
    events: Iterable[CalendarEvent],
    *,
    name: str,
    product_id: str,
    refresh_interval: timedelta = timedelta(hours=1),
    dtstamp: datetime | None = None,
) -> str:
    """Return a subscription feed: every event published under one calendar name."""
    return calendar_for(
        events,
        method="PUBLISH",
        product_id=product_id,
        dtstamp=dtstamp,
        name=name,
        refresh_interval=refresh_interval,
    )


# --- Events ------------------------------------------------------------------------


def _vevent(event: CalendarEvent, stamp: datetime) -> list[str]:
    zone = _zone(event.tzid)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_text(event.uid)}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{_utc(stamp)}",
        _local_time_property("DTSTART", event, event.starts_at, zone),
        _local_time_property("DTEND", event, event.ends_at, zone),
    ]
    if event.rrule:
        lines.append(f"RRULE:{event.rrule}")
    lines.append(f"SUMMARY:{_text(event.summary)}")
    if _clean_text(event.description):
        lines.append(f"DESCRIPTION:{_text(event.description)}")
    if _clean_text(event.location):
        lines.append(f"LOCATION:{_text(event.location)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    lines.append(f"STATUS:{event.status}")
    if event.organizer_email:
        lines.append(f"ORGANIZER{_cn(event.organizer_name)}:mailto:{event.organizer_email}")
    for email, person in event.attendees:
        # The booking is already settled in Loom, and Loom reads no iMIP replies:
        # RSVP=FALSE keeps calendar apps from asking the recipient to answer.
        lines.append(
            f"ATTENDEE{_cn(person)};ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE"
            f":mailto:{email}"
        )
    if event.created is not None:
        lines.append(f"CREATED:{_utc(event.created)}")
    if event.last_modified is not None:
        lines.append(f"LAST-MODIFIED:{_utc(event.last_modified)}")
    lines.append("END:VEVENT")
    return lines


def _local_time_property(name: str, event: CalendarEvent, instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    repeated = local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()
    if repeated and not event.rrule:
        # RFC 5545 §3.3.5: a repeated local time (clocks set back) means its FIRST
        # occurrence, so the second one cannot be written with TZID; UTC is exact.
        # A series keeps TZID: in UTC every later occurrence would drift by an hour.
        return f"{name}:{_utc(instant)}"
    return f"{name};TZID={event.tzid}:{local.strftime('%Y%m%dT%H%M%S')}"


def _coverage_end(event: CalendarEvent, stamp: datetime) -> datetime:
    """The last instant the event (with its recurrence) can occupy.

    An open-ended series is covered for a horizon from now (``stamp``), so a feed keeps
    reaching ahead for a series that started long ago.
    """
    if not event.rrule:
        return event.ends_at
    parts = _parse_rrule(event.rrule)
    duration = event.ends_at - event.starts_at
    if "UNTIL" in parts:
        until = datetime.strptime(parts["UNTIL"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return max(until, event.starts_at) + duration
    if "COUNT" in parts:
        interval = int(parts.get("INTERVAL", "1"))
        # Each period holds at least one occurrence; one extra week absorbs BYDAY days
        # that fall before the start within the first week.
        weeks = int(parts["COUNT"]) * interval + 1
        return event.starts_at + timedelta(weeks=weeks) + duration
    return max(event.starts_at, stamp) + OPEN_SERIES_HORIZON + duration


def _parse_rrule(rrule: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for piece in rrule.split(";"):
        key, sep, value = piece.partition("=")
        pattern = _RRULE_PART_RES.get(key)
        if not sep or pattern is None or not pattern.match(value) or key in parts:
            raise ValueError(f"unsupported recurrence rule {rrule!r}")
        parts[key] = value
    if "FREQ" not in parts or ("COUNT" in parts and "UNTIL" in parts):
        raise ValueError(f"unsupported recurrence rule {rrule!r}")
    return parts


# --- Time zones --------------------------------------------------------------------


def _zone(tzid: str) -> ZoneInfo:
    if not _TZID_RE.match(tzid):
        raise ValueError(f"unknown time zone {tzid!r}")
    try:
        return ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {tzid!r}") from error


_Observance = tuple[timedelta, timedelta, str]  # (utcoffset, dst, tzname)


def _observance(zone: tzinfo, instant: datetime) -> _Observance:
    local = instant.astimezone(zone)
    return (local.utcoffset() or timedelta(0), local.dst() or timedelta(0), local.tzname() or "")


def _zone_transitions(
    zone: tzinfo, start: datetime, end: datetime
) -> list[tuple[datetime, _Observance, _Observance]]:
    """Every change of offset, DST flag or abbreviation in ``(start, end]``.

    Returns ``(instant in UTC, observance before, observance after)`` tuples, exact to
    the second.
    """
    transitions = []
    previous_instant = start.astimezone(UTC).replace(microsecond=0)
    previous = _observance(zone, previous_instant)
    limit = end.astimezone(UTC)
    while previous_instant < limit:
        instant = min(previous_instant + _SAMPLE_STEP, limit)
        current = _observance(zone, instant)
        if current != previous:
            low, high = previous_instant, instant
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if _observance(zone, middle) == previous:
                    low = middle
                else:
                    high = middle
            transitions.append((high, previous, _observance(zone, high)))
            current = _observance(zone, high)
            instant = high
        previous_instant, previous = instant, current
    return transitions


def _vtimezone(tzid: str, start: datetime, end: datetime) -> list[str]:
    """A VTIMEZONE with one sub-component per observance in force over [start, end]."""
    zone = _zone(tzid)
    # Begin at a local midnight: tidier for people reading the file, same offsets.
    lead_in_day = (start - _LEAD_IN).astimezone(zone).date()
    first_instant = datetime.combine(lead_in_day, time(0), tzinfo=zone).astimezone(UTC)
    first = _observance(zone, first_instant)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tzid}"]
    lines.extend(_observance_lines(first_instant, first, first))
    for instant, before, after in _zone_transitions(zone, first_instant, end):
        lines.extend(_observance_lines(instant, before, after))
    lines.append("END:VTIMEZONE")
    return lines


def _observance_lines(instant: datetime, before: _Observance, after: _Observance) -> list[str]:
    # Summer time is DAYLIGHT. Europe/Dublin's tzdata marks winter as a negative DST
    # instead; calendar parsers expect the forward-shifted observance to be DAYLIGHT.
    summer = after[1] > timedelta(0) or (after[1] == timedelta(0) and before[1] < timedelta(0))
    kind = "DAYLIGHT" if summer else "STANDARD"
    # The onset is written in the local time that was in force before the change.
    onset = (instant + before[0]).replace(tzinfo=None)
    lines = [
        f"BEGIN:{kind}",
        f"DTSTART:{onset.strftime('%Y%m%dT%H%M%S')}",
        f"TZOFFSETFROM:{_utc_offset(before[0])}",
        f"TZOFFSETTO:{_utc_offset(after[0])}",
    ]
    if after[2]:
        lines.append(f"TZNAME:{_text(after[2])}")
    lines.append(f"END:{kind}")
    return lines


def _utc_offset(offset: timedelta) -> str:
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, remainder = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(remainder, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


# --- Values ------------------------------------------------------------------------


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _duration(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    if seconds <= 0:
        raise ValueError("refresh interval must be positive")
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"P{days}D" if days else "P"
    if hours or minutes or seconds:
        text += "T" + (f"{hours}H" if hours else "")
        text += f"{minutes}M" if minutes else ""
        text += f"{seconds}S" if seconds else ""
    return text


def _clean_text(value: str) -> str:
    """The text a TEXT value carries: line breaks become LF; controls RFC 5545 forbids
    (all ASCII ones but tab and line feed) and lone surrogates are dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _UNWRITABLE_RE.sub("", value)


def _text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11)."""
    return (
        _clean_text(value)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\n", "\\n")
    )


def _cn(name: str) -> str:
    """A ``;CN=`` parameter, or nothing for an empty name.

    Parameter values have no backslash escapes; RFC 6868 caret-encodes the double quote,
    the caret and line breaks, and a value with ``:;,`` must be quoted (we always quote).
    """
    value = _clean_text(name).strip()
    if not value:
        return ""
    value = value.replace("^", "^^").replace('"', "^'").replace("\n", "^n")
    # Quoting is required with ":;," and keeps parsers from trimming tabs or spaces.
    return f';CN="{value}"'


def _check_address(email: str) -> None:
    if not email or "@" not in email or _FORBIDDEN_IN_URI_RE.search(email):
        raise ValueError(f"not a usable email address: {email!r}")


def _fold(line: str) -> str:
    """Fold a content line so each physical line is at most 75 UTF-8 octets.

    Breaks fall between characters, never inside a multi-byte one, and never between a
    backslash and the character it escapes (some parsers unescape before unfolding).
    The continuation space counts towards the 75 octets.
    """
    if len(line.encode("utf-8")) <= MAX_LINE_OCTETS:
        return line
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    limit = MAX_LINE_OCTETS
    index = 0
    while index < len(line):
        unit = line[index : index + 2] if line[index] == "\\" else line[index]
        index += len(unit)
        unit_size = len(unit.encode("utf-8"))
        if size + unit_size > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, MAX_LINE_OCTETS - 1
        current.append(unit)
        size += unit_size
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces)

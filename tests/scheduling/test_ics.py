"""Calendar files, checked with an independent parser (icalendar + recurring-ical-events).

Times are resolved through the VTIMEZONE the file carries (not the parser's own zone
database), so a wrong VTIMEZONE fails these tests even though calendar apps that know
IANA names would hide it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from hypothesis import example, given, settings
from hypothesis import strategies as st

from loom.scheduling.ics import CalendarEvent, calendar_for, feed_for, ics_attachment

PRODUCT_ID = "-//Loom//Loom scheduling//EN"
STAMP = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
JERUSALEM = "Asia/Jerusalem"
NEW_YORK = "America/New_York"


def make_event(**overrides: Any) -> CalendarEvent:
    values: dict[str, Any] = {
        "uid": "session-3f2a@loom.test",
        "sequence": 0,
        "starts_at": datetime(2026, 3, 2, 14, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
        "tzid": NEW_YORK,
        "summary": "Coaching with Dana",
        "description": "Bring your goals.",
        "location": "Video call",
        "url": "https://loom.test/sessions/3f2a/",
        "organizer_email": "dana@loom.test",
        "organizer_name": "Dana Cohen",
        "attendees": [("avi@loom.test", "Avi Levi")],
        "status": "CONFIRMED",
        "created": datetime(2026, 1, 20, 8, 30, tzinfo=UTC),
        "last_modified": datetime(2026, 1, 21, 9, 45, tzinfo=UTC),
    }
    values.update(overrides)
    return CalendarEvent(**values)


def parse(text: str) -> Any:
    """The parsed calendar, untyped: icalendar's value types are a wide union."""
    return icalendar.Calendar.from_ical(text)


def file_zone(calendar: Any, tzid: str) -> tzinfo:
    """The zone described by the file's own VTIMEZONE, ignoring the IANA database."""
    for component in calendar.walk("VTIMEZONE"):
        if str(component["TZID"]) == tzid:
            return component.to_tz(lookup_tzid=False)
    raise AssertionError(f"no VTIMEZONE for {tzid}")


def resolve(calendar: Any, prop: Any) -> datetime:
    """A DTSTART/DTEND value as a UTC instant, using the file's VTIMEZONE for TZID."""
    value = prop.dt
    tzid = prop.params.get("TZID")
    if tzid is None:
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
        return value.astimezone(UTC)
    local = value.replace(tzinfo=None).replace(tzinfo=file_zone(calendar, tzid))
    return local.astimezone(UTC)


# Both sides of the US change (2026-03-08) and the Israeli change (2026-03-27), plus the
# autumn changes (US 2026-11-01, Israel 2026-10-25) where local times repeat.
INSTANTS = [
    datetime(2026, 3, 7, 14, 0, tzinfo=UTC),
    datetime(2026, 3, 9, 14, 0, tzinfo=UTC),
    datetime(2026, 3, 8, 6, 30, tzinfo=UTC),  # New York: just before 02:00 EST jumps
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),  # New York: exactly at the change
    datetime(2026, 3, 26, 7, 0, tzinfo=UTC),
    datetime(2026, 3, 27, 7, 0, tzinfo=UTC),
    datetime(2026, 3, 26, 23, 30, tzinfo=UTC),  # Jerusalem: 01:30 IST, before the jump
    datetime(2026, 3, 27, 0, 0, tzinfo=UTC),  # Jerusalem: exactly at the change
    datetime(2026, 10, 24, 22, 30, tzinfo=UTC),  # Jerusalem: first 01:30 of the repeat
    datetime(2026, 10, 24, 23, 30, tzinfo=UTC),  # Jerusalem: second 01:30
    datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # New York: first 01:30 of the repeat
    datetime(2026, 11, 1, 6, 30, tzinfo=UTC),  # New York: second 01:30
]


@pytest.mark.parametrize("tzid", [JERUSALEM, NEW_YORK, "UTC"])
@pytest.mark.parametrize("starts_at", INSTANTS, ids=lambda value: value.isoformat())
def test_start_and_end_resolve_to_the_stored_instants(tzid: str, starts_at: datetime) -> None:
    ends_at = starts_at + timedelta(minutes=50)
    event = make_event(starts_at=starts_at, ends_at=ends_at, tzid=tzid)

    calendar = parse(calendar_for([event], method="REQUEST", product_id=PRODUCT_ID, dtstamp=STAMP))

    [vevent] = calendar.walk("VEVENT")
    assert resolve(calendar, vevent["DTSTART"]) == starts_at
    assert resolve(calendar, vevent["DTEND"]) == ends_at


def test_times_are_local_wall_clock_times_with_their_zone() -> None:
    # 14:00 UTC on 2026-03-09 is 10:00 EDT (after the US change) and 16:00 IST.
    starts_at = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    for tzid, local in ((NEW_YORK, "20260309T100000"), (JERUSALEM, "20260309T160000")):
        event = make_event(starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), tzid=tzid)
        text = calendar_for([event], method="REQUEST", product_id=PRODUCT_ID, dtstamp=STAMP)
        assert f"DTSTART;TZID={tzid}:{local}\r\n" in text
    assert "DTSTAMP:20260201T120000Z\r\n" in text


def test_second_occurrence_of_a_repeated_local_time_is_written_in_utc() -> None:
    # 06:30 UTC on 2026-11-01 is the second 01:30 in New York; with TZID it would mean
    # the first one (RFC 5545 §3.3.5), an hour early.
    starts_at = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    event = make_event(starts_at=starts_at, ends_at=starts_at + timedelta(hours=1))

    text = calendar_for([event], method="REQUEST", product_id=PRODUCT_ID, dtstamp=STAMP)

    assert "DTSTART:20261101T063000Z\r\n" in text
    assert "DTEND;TZID=America/New_York:20261101T023000\r\n" in text


@pytest.mark.parametrize("tzid", [JERUSALEM, NEW_YORK, "UTC", "Asia/Kolkata", "Europe/Dublin"])
def test_vtimezone_matches_the_zone_database_every_hour_of_the_span(tzid: str) -> None:
    events = [
        make_event(
            uid=f"{day.isoformat()}@loom.test",
            starts_at=day,
            ends_at=day + timedelta(hours=1),
            tzid=tzid,
        )
        for day in (datetime(2026, 1, 5, 9, tzinfo=UTC), datetime(2026, 12, 20, 9, tzinfo=UTC))
    ]
    calendar = parse(feed_for(events, name="Sessions", product_id=PRODUCT_ID, dtstamp=STAMP))
    described, database = file_zone(calendar, tzid), ZoneInfo(tzid)

    instant = datetime(2026, 1, 5, 9, tzinfo=UTC)
    while instant <= datetime(2026, 12, 20, 10, tzinfo=UTC):
        assert instant.astimezone(described).utcoffset() == instant.astimezone(database).utcoffset()
        instant += timedelta(hours=1)


def test_vtimezone_lists_the_2026_changes_of_both_zones() -> None:
    events = [
        make_event(
            uid="ny@loom.test",
            starts_at=datetime(2026, 3, 1, 15, tzinfo=UTC),
            ends_at=datetime(2026, 11, 10, 16, tzinfo=UTC),
            tzid=NEW_YORK,
        ),
        make_event(
            uid="il@loom.test",
            starts_at=datetime(2026, 3, 1, 7, tzinfo=UTC),
            ends_at=datetime(2026, 11, 10, 8, tzinfo=UTC),
            tzid=JERUSALEM,
        ),
        make_event(uid="utc@loom.test", tzid="UTC"),
    ]
    text = calendar_for(events, method="PUBLISH", product_id=PRODUCT_ID, dtstamp=STAMP)
    zones = {str(tz["TZID"]): tz for tz in parse(text).walk("VTIMEZONE")}

    def onsets(tzid: str) -> list[tuple[str, str, str, str]]:
        return [
            (
                sub.name,
                sub["DTSTART"].to_ical().decode(),
                sub["TZOFFSETFROM"].to_ical(),
                sub["TZOFFSETTO"].to_ical(),
            )
            for sub in zones[tzid].subcomponents
        ]

    assert onsets(NEW_YORK)[1:] == [
        ("DAYLIGHT", "20260308T020000", "-0500", "-0400"),
        ("STANDARD", "20261101T020000", "-0400", "-0500"),
    ]
    assert onsets(JERUSALEM)[1:] == [
        ("DAYLIGHT", "20260327T020000", "+0200", "+0300"),
        ("STANDARD", "20261025T020000", "+0300", "+0200"),
    ]
    # A zone without daylight saving gets a single STANDARD observance.
    [(kind, _onset, offset_from, offset_to)] = onsets("UTC")
    assert (kind, offset_from, offset_to) == ("STANDARD", "+0000", "+0000")


def test_uid_and_sequence_are_the_callers() -> None:
    first = make_event(sequence=0)
    moved = make_event(
        sequence=3,
        starts_at=datetime(2026, 3, 4, 14, tzinfo=UTC),
        ends_at=datetime(2026, 3, 4, 15, tzinfo=UTC),
    )

    parsed = [
        parse(calendar_for([event], method="REQUEST", product_id=PRODUCT_ID)).walk("VEVENT")[0]
        for event in (first, moved)
    ]

    assert [str(vevent["UID"]) for vevent in parsed] == ["session-3f2a@loom.test"] * 2
    assert [vevent["SEQUENCE"] for vevent in parsed] == [0, 3]


def test_request_and_cancel_carry_their_method_and_status() -> None:
    booked = make_event(sequence=1)
    cancelled = make_event(sequence=2, status="CANCELLED")

    request = parse(calendar_for([booked], method="REQUEST", product_id=PRODUCT_ID))
    cancel = parse(calendar_for([cancelled], method="CANCEL", product_id=PRODUCT_ID))

    assert str(request["METHOD"]) == "REQUEST"
    assert str(request.walk("VEVENT")[0]["STATUS"]) == "CONFIRMED"
    assert str(cancel["METHOD"]) == "CANCEL"
    assert str(cancel.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    assert cancel.walk("VEVENT")[0]["SEQUENCE"] == 2


def test_cancel_with_a_live_event_and_request_with_a_cancelled_one_are_refused() -> None:
    with pytest.raises(ValueError, match="CANCEL"):
        calendar_for([make_event()], method="CANCEL", product_id=PRODUCT_ID)
    with pytest.raises(ValueError, match="CANCEL"):
        calendar_for([make_event(status="CANCELLED")], method="REQUEST", product_id=PRODUCT_ID)
    with pytest.raises(ValueError, match="attendee"):
        calendar_for([make_event(attendees=[])], method="REQUEST", product_id=PRODUCT_ID)


def test_hebrew_text_with_commas_semicolons_and_newlines_round_trips() -> None:
    summary = "פגישת אימון עם אלי, שבוע 3; מטרות"
    description = "שלום מאיה,\nהבאי את היומן; ואת הרשימה.\nנתראה בקרוב\\תודה"
    location = "רחוב הרצל 10, תל אביב; קומה 2"
    event = make_event(
        summary=summary,
        description=description,
        location=location,
        tzid=JERUSALEM,
        organizer_email="eli@loom.test",
        organizer_name="אלי, המאמן",
        attendees=[("maya@loom.test", 'מאיה "הכוכבת": כהן')],
    )

    [vevent] = parse(calendar_for([event], method="REQUEST", product_id=PRODUCT_ID)).walk("VEVENT")

    assert str(vevent["SUMMARY"]) == summary
    assert str(vevent["DESCRIPTION"]) == description
    assert str(vevent["LOCATION"]) == location
    assert vevent["ORGANIZER"].params["CN"] == "אלי, המאמן"
    assert str(vevent["ORGANIZER"]) == "mailto:eli@loom.test"
    assert vevent["ATTENDEE"].params["CN"] == 'מאיה "הכוכבת": כהן'
    assert str(vevent["ATTENDEE"]) == "mailto:maya@loom.test"
    assert str(vevent["URL"]) == "https://loom.test/sessions/3f2a/"


def test_every_physical_line_is_at_most_75_octets_and_ends_with_crlf() -> None:
    event = make_event(
        summary="א" * 200,
        description="ש, ;\n" * 80 + "x" * 300,
        location="🙂" * 90,
        organizer_name="דנה " * 30,
    )

    raw = calendar_for([event], method="REQUEST", product_id=PRODUCT_ID).encode("utf-8")

    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    # Each physical line is valid UTF-8 on its own: no character was cut in two.
    for line in lines:
        line.decode("utf-8")


def _expected_text(value: str) -> str:
    """What a TEXT value is allowed to become: CRLF/CR are line breaks; ASCII controls
    (forbidden by RFC 5545) and lone surrogates (not encodable as UTF-8) are dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]", "", value)


# Every code point, lone surrogates included (they can reach Python strings).
ANY_CHARACTER = st.characters(codec=None, categories=None)


@settings(max_examples=300, deadline=None)
@example(summary="שלום\ud800, עולם;\r\nשורה\\סוף", description="\x00\x1b\t" + "ש" * 80)
@given(
    summary=st.text(ANY_CHARACTER, max_size=300),
    description=st.text(ANY_CHARACTER, max_size=600),
)
def test_folding_never_splits_characters_and_text_round_trips(
    summary: str, description: str
) -> None:
    event = make_event(summary=summary, description=description, tzid=JERUSALEM)

    raw = calendar_for([event], method="REQUEST", product_id=PRODUCT_ID).encode("utf-8")

    for line in raw.split(b"\r\n")[:-1]:
        assert len(line) <= 75
        line.decode("utf-8")
    [vevent] = parse(raw.decode("utf-8")).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == _expected_text(summary)
    if _expected_text(description):
        assert str(vevent["DESCRIPTION"]) == _expected_text(description)
    else:
        assert "DESCRIPTION" not in vevent


def test_weekly_series_stays_at_nine_in_jerusalem_across_the_change() -> None:
    # 09:00 IST (UTC+2) on Friday 2026-03-13, weekly for six weeks; Israel moves to
    # UTC+3 on Friday 2026-03-27.
    starts_at = datetime(2026, 3, 13, 7, 0, tzinfo=UTC)
    event = make_event(
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        tzid=JERUSALEM,
        rrule="FREQ=WEEKLY;COUNT=6",
    )
    calendar = parse(calendar_for([event], method="REQUEST", product_id=PRODUCT_ID))
    described = file_zone(calendar, JERUSALEM)

    occurrences = recurring_ical_events.of(calendar).between(date(2026, 3, 1), date(2026, 6, 1))
    local_starts = [occurrence["DTSTART"].dt.replace(tzinfo=None) for occurrence in occurrences]

    assert [start.strftime("%a %H:%M") for start in local_starts] == ["Fri 09:00"] * 6
    instants = [start.replace(tzinfo=described).astimezone(UTC) for start in local_starts]
    assert [instant.hour for instant in instants] == [7, 7, 6, 6, 6, 6]
    assert instants[0] == starts_at
    assert instants[-1] == datetime(2026, 4, 17, 6, 0, tzinfo=UTC)


def test_open_ended_series_gets_a_vtimezone_reaching_years_ahead() -> None:
    event = make_event(tzid=JERUSALEM, rrule="FREQ=WEEKLY;BYDAY=MO")
    calendar = parse(calendar_for([event], method="PUBLISH", product_id=PRODUCT_ID))
    described, database = file_zone(calendar, JERUSALEM), ZoneInfo(JERUSALEM)

    for months in range(0, 36):
        instant = datetime(2026, 3, 2, 7, tzinfo=UTC) + timedelta(days=30 * months)
        assert instant.astimezone(described).utcoffset() == instant.astimezone(database).utcoffset()


@pytest.mark.parametrize(
    "rrule",
    [
        "FREQ=DAILY",
        "FREQ=WEEKLY;COUNT=3;UNTIL=20261231T000000Z",
        "FREQ=WEEKLY\r\nATTENDEE:mailto:x@y",
        "FREQ=WEEKLY;UNTIL=20261231",
        "BYDAY=MO",
    ],
)
def test_unsupported_recurrence_rules_are_refused(rrule: str) -> None:
    with pytest.raises(ValueError, match="recurrence"):
        make_event(rrule=rrule)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tzid", "Mars/Olympus"),
        ("tzid", "../../etc/passwd"),
        ("starts_at", datetime(2026, 3, 2, 14, 0)),  # noqa: DTZ001 - naive on purpose
        ("ends_at", datetime(2026, 3, 2, 13, 0, tzinfo=UTC)),
        ("organizer_email", "dana@loom.test\r\nATTENDEE:mailto:eve@evil.test"),
        ("uid", "a\r\nb"),
        ("url", "https://loom.test/a b"),
        ("status", "MAYBE"),
    ],
)
def test_bad_event_data_is_refused(field: str, value: object) -> None:
    with pytest.raises(ValueError):
        make_event(**{field: value})


def test_organizer_attendee_and_url_are_written_as_addresses() -> None:
    event = make_event(organizer_name="Dana; Coach", attendees=[("avi@loom.test", "")])

    text = calendar_for([event], method="REQUEST", product_id=PRODUCT_ID)

    assert 'ORGANIZER;CN="Dana; Coach":mailto:dana@loom.test\r\n' in text
    assert (
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:avi@loom.test\r\n"
        in (text.replace("\r\n ", ""))
    )
    [vevent] = parse(text).walk("VEVENT")
    assert vevent["CREATED"].dt == datetime(2026, 1, 20, 8, 30, tzinfo=UTC)
    assert vevent["LAST-MODIFIED"].dt == datetime(2026, 1, 21, 9, 45, tzinfo=UTC)


def test_email_attachment_names_its_method() -> None:
    request = ics_attachment([make_event()], method="REQUEST", product_id=PRODUCT_ID)
    cancel = ics_attachment(
        [make_event(status="CANCELLED", sequence=1)],
        method="CANCEL",
        product_id=PRODUCT_ID,
        filename="cancelled.ics",
    )

    assert request.filename == "invite.ics"
    assert request.mimetype == "text/calendar; method=REQUEST; charset=UTF-8"
    assert cancel.mimetype == "text/calendar; method=CANCEL; charset=UTF-8"
    assert cancel.filename == "cancelled.ics"
    assert str(parse(request.content.decode("utf-8")).walk("VEVENT")[0]["UID"]) == (
        "session-3f2a@loom.test"
    )


def test_feed_is_published_with_a_name_and_refresh_interval() -> None:
    events = [
        make_event(uid="one@loom.test"),
        make_event(uid="two@loom.test", tzid=JERUSALEM, attendees=[]),
    ]

    text = feed_for(
        events,
        name="Loom — הפגישות שלי",
        product_id=PRODUCT_ID,
        refresh_interval=timedelta(hours=2),
    )
    calendar = parse(text)

    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Loom — הפגישות שלי"
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=2)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT2H\r\n" in text
    assert sorted(str(vevent["UID"]) for vevent in calendar.walk("VEVENT")) == [
        "one@loom.test",
        "two@loom.test",
    ]
    assert sorted(str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")) == [NEW_YORK, JERUSALEM]


@settings(max_examples=200, deadline=None)
# RFC 5545 parameter values have no backslash escapes and Loom writes backslashes as
# they are, but icalendar un-escapes "\\:" and the like in parameters anyway; names are
# drawn without backslashes so the property checks quoting and RFC 6868, not that quirk.
@given(name=st.text(st.characters(exclude_characters="\\", categories=None), max_size=120))
def test_attendee_names_round_trip_through_parameter_quoting(name: str) -> None:
    event = make_event(attendees=[("avi@loom.test", name)])

    [vevent] = parse(calendar_for([event], method="REQUEST", product_id=PRODUCT_ID)).walk("VEVENT")

    attendee = vevent["ATTENDEE"]
    assert str(attendee) == "mailto:avi@loom.test"
    expected = _expected_text(name).strip()
    assert attendee.params.get("CN", "") == expected


def test_open_ended_series_is_covered_ahead_of_the_time_the_file_is_made() -> None:
    # A series that began in 2026, published in 2031: the VTIMEZONE must still reach
    # the weeks ahead of 2031, not stop three years after the first session.
    event = make_event(tzid=NEW_YORK, rrule="FREQ=WEEKLY")
    published = datetime(2031, 6, 1, tzinfo=UTC)
    text = feed_for([event], name="Sessions", product_id=PRODUCT_ID, dtstamp=published)
    described, database = file_zone(parse(text), NEW_YORK), ZoneInfo(NEW_YORK)

    for months in range(0, 24):
        instant = published + timedelta(days=30 * months)
        assert instant.astimezone(described).utcoffset() == instant.astimezone(database).utcoffset()


def test_an_empty_feed_is_a_valid_calendar() -> None:
    text = feed_for([], name="Sessions", product_id=PRODUCT_ID)

    calendar = parse(text)

    assert str(calendar["PRODID"]) == PRODUCT_ID
    assert calendar.walk("VEVENT") == []
    assert calendar.walk("VTIMEZONE") == []

"""Forms of the coach's scheduling setup: session types, weekly hours, date changes, settings.

The forms parse and give field-level messages; the rules live in
``loom.scheduling.services``, which checks every value again (the API calls them too).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loom.scheduling.models import (
    BUFFER_MAX,
    CUTOFF_MAX_HOURS,
    DURATION_MAX,
    DURATION_MIN,
    HORIZON_MAX_DAYS,
    NOTICE_MAX_MINUTES,
    REMINDER_OFFSET_MAX,
    REMINDER_OFFSET_MIN,
    REMINDER_OFFSETS_MAX,
    BookingMode,
    CoachSchedulingSettings,
    LocationKind,
    OverrideKind,
    SessionType,
    Weekday,
)
from loom.scheduling.services import (
    ADDRESS_MAX,
    CAPACITY_MAX,
    DESCRIPTION_MAX,
    MEETING_URL_MAX,
    NAME_MAX,
    SessionTypeInput,
)

# --- Colours -------------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (``#rrggbb``).

    The better of the two always reaches at least 4.58:1, above WCAG AA's 4.5:1.
    """
    try:
        dark = contrast_ratio(background, "#000000")
        light = contrast_ratio(background, "#ffffff")
    except (ValueError, IndexError):
        return "#000000"
    return "#000000" if dark >= light else "#ffffff"


# --- Session types -------------------------------------------------------------------------

_RTL_HEBREW = {"dir": "rtl", "lang": "he"}
NOTICE_MAX_HOURS = NOTICE_MAX_MINUTES // 60


class SessionTypeForm(forms.Form):
    """Every field of a session type. Minimum notice is entered as hours plus minutes."""

    name_en = forms.CharField(label=gettext_lazy("Name in English"), max_length=NAME_MAX)
    name_he = forms.CharField(
        label=gettext_lazy("Name in Hebrew"),
        max_length=NAME_MAX,
        required=False,
        widget=forms.TextInput(attrs=_RTL_HEBREW),
        help_text=gettext_lazy("Shown to clients who use Loom in Hebrew. Optional."),
    )
    description_en = forms.CharField(
        label=gettext_lazy("Description in English"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    description_he = forms.CharField(
        label=gettext_lazy("Description in Hebrew"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, **_RTL_HEBREW}),
    )
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Length (minutes)"),
        min_value=DURATION_MIN,
        max_value=DURATION_MAX,
        initial=60,
        help_text=gettext_lazy("From 15 to 480 minutes."),
    )
    price = forms.DecimalField(
        label=gettext_lazy("Price"),
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
        initial=Decimal("0"),
        help_text=gettext_lazy("Shown to clients. 0 means free."),
    )
    currency = forms.CharField(
        label=gettext_lazy("Currency"),
        min_length=3,
        max_length=3,
        initial="USD",
        help_text=gettext_lazy("A three-letter code, for example USD, EUR or ILS."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "dir": "ltr"}),
    )
    location_kind = forms.ChoiceField(
        label=gettext_lazy("Where"),
        choices=LocationKind.choices,
        initial=LocationKind.VIDEO,
        widget=forms.RadioSelect(attrs={"data-location-kind": ""}),
    )
    address = forms.CharField(
        label=gettext_lazy("Address"),
        max_length=ADDRESS_MAX,
        required=False,
        help_text=gettext_lazy("Needed for in-person sessions."),
    )
    buffer_before_minutes = forms.IntegerField(
        label=gettext_lazy("Free time before (minutes)"),
        min_value=0,
        max_value=BUFFER_MAX,
        initial=0,
    )
    buffer_after_minutes = forms.IntegerField(
        label=gettext_lazy("Free time after (minutes)"),
        min_value=0,
        max_value=BUFFER_MAX,
        initial=0,
    )
    notice_hours = forms.IntegerField(
        label=gettext_lazy("Hours of notice"), min_value=0, max_value=NOTICE_MAX_HOURS, initial=4
    )
    notice_minutes = forms.IntegerField(
        label=gettext_lazy("Minutes of notice"), min_value=0, max_value=59, initial=0
    )
    booking_horizon_days = forms.IntegerField(
        label=gettext_lazy("Bookable up to (days ahead)"),
        min_value=1,
        max_value=HORIZON_MAX_DAYS,
        initial=60,
    )
    max_sessions_per_day = forms.IntegerField(
        label=gettext_lazy("At most sessions a day"),
        min_value=1,
        max_value=48,
        required=False,
        help_text=gettext_lazy("Counts your sessions of every type. Empty: no limit."),
    )
    max_sessions_per_week = forms.IntegerField(
        label=gettext_lazy("At most sessions a week"),
        min_value=1,
        max_value=300,
        required=False,
        help_text=gettext_lazy(
            "Counts your sessions of every type, Monday to Sunday. Empty: no limit."
        ),
    )
    booking_mode = forms.ChoiceField(
        label=gettext_lazy("Booking"),
        choices=BookingMode.choices,
        initial=BookingMode.SELF_BOOK,
        widget=forms.RadioSelect,
    )
    capacity = forms.IntegerField(
        label=gettext_lazy("Places"),
        min_value=1,
        max_value=CAPACITY_MAX,
        initial=1,
        help_text=gettext_lazy("1 for a one-to-one session; more for a group session with seats."),
    )
    colour = forms.RegexField(
        label=gettext_lazy("Colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#2563eb",
        error_messages={"invalid": gettext_lazy("Choose a colour.")},
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=gettext_lazy("Marks this type in your calendar."),
    )

    @classmethod
    def initial_for(cls, session_type: SessionType) -> dict[str, Any]:
        hours, minutes = divmod(session_type.minimum_notice_minutes, 60)
        return {
            name: getattr(session_type, name)
            for name in cls.base_fields
            if name not in ("notice_hours", "notice_minutes")
        } | {"notice_hours": hours, "notice_minutes": minutes}

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("location_kind") == LocationKind.IN_PERSON
            and not (data.get("address") or "").strip()
        ):
            self.add_error("address", _("Enter the address for an in-person session."))
        hours, minutes = data.get("notice_hours"), data.get("notice_minutes")
        if hours is not None and minutes is not None and hours * 60 + minutes > NOTICE_MAX_MINUTES:
            self.add_error(
                "notice_hours",
                _("The notice can be at most %(days)d days.")
                % {"days": NOTICE_MAX_MINUTES // 1440},
            )
        return data

    def to_input(self) -> SessionTypeInput:
        data = self.cleaned_data
        return SessionTypeInput(
            name_en=data["name_en"],
            name_he=data["name_he"],
            description_en=data["description_en"],
            description_he=data["description_he"],
            duration_minutes=data["duration_minutes"],
            price=data["price"],
            currency=data["currency"],
            location_kind=data["location_kind"],
            address=data["address"],
            buffer_before_minutes=data["buffer_before_minutes"],
            buffer_after_minutes=data["buffer_after_minutes"],
            minimum_notice_minutes=data["notice_hours"] * 60 + data["notice_minutes"],
            booking_horizon_days=data["booking_horizon_days"],
            max_sessions_per_day=data["max_sessions_per_day"],
            max_sessions_per_week=data["max_sessions_per_week"],
            booking_mode=data["booking_mode"],
            capacity=data["capacity"],
            colour=data["colour"],
        )


# --- Weekly hours --------------------------------------------------------------------------

# Rows per day: the ones saved plus this many empty ones (the page without JavaScript).
EMPTY_ROWS = 2
MIN_ROWS = 3
# More rows than this on one day is not a working week; refuse before parsing further.
ROWS_MAX = 24
WEEKDAYS = tuple(Weekday)


def _parse_time(value: str) -> time | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        raise ValidationError(_("Enter a time such as 09:00.")) from None
    if parsed.tzinfo is not None or parsed.microsecond:
        raise ValidationError(_("Enter a time such as 09:00."))
    return parsed.replace(second=0)


@dataclass
class RangeRow:
    """One row of the weekly editor as typed: raw values, and its error if any."""

    start: str = ""
    end: str = ""
    error: str = ""


@dataclass
class DayRows:
    weekday: Weekday
    rows: list[RangeRow] = field(default_factory=list)
    error: str = ""

    @property
    def key(self) -> str:
        return f"day{self.weekday.value}"

    @property
    def has_errors(self) -> bool:
        return bool(self.error) or any(row.error for row in self.rows)


class WeeklyHoursForm:
    """The week editor: for each day, repeated ``day<N>-start`` / ``day<N>-end`` inputs.

    Rows pair up by position, so rows added or removed by the page's script need no
    renumbering. A row with both times empty is ignored; a row with one is an error.
    """

    def __init__(self, data: QueryDict | None = None, *, saved: Any = ()) -> None:
        self.data = data
        self.errors: list[str] = []
        self.ranges: list[tuple[int, time, time]] = []
        if data is None:
            by_day: dict[int, list[RangeRow]] = {}
            for weekday, start, end in saved:
                by_day.setdefault(weekday, []).append(
                    RangeRow(start=start.strftime("%H:%M"), end=end.strftime("%H:%M"))
                )
            self.days = [DayRows(day, by_day.get(day.value, [])) for day in WEEKDAYS]
        else:
            self.days = [
                DayRows(
                    day,
                    [
                        RangeRow(start=start, end=end)
                        for start, end in itertools.zip_longest(
                            data.getlist(f"day{day.value}-start")[: ROWS_MAX + 1],
                            data.getlist(f"day{day.value}-end")[: ROWS_MAX + 1],
                            fillvalue="",
                        )
                    ],
                )
                for day in WEEKDAYS
            ]

    def pad(self) -> None:
        """Leave room to type: the rows there are plus empty ones, at least MIN_ROWS."""
        for day in self.days:
            filled = [row for row in day.rows if row.start or row.end or row.error]
            day.rows = filled + [
                RangeRow() for _row in range(max(EMPTY_ROWS, MIN_ROWS - len(filled)))
            ]

    def copy_monday_to_weekdays(self) -> None:
        monday = self.days[0]
        for day in self.days[1:5]:
            day.rows = [RangeRow(start=row.start, end=row.end) for row in monday.rows]
            day.error = ""

    def is_valid(self) -> bool:
        self.ranges = []
        for day in self.days:
            if len(day.rows) > ROWS_MAX:
                day.error = _("Use at most %(max)d ranges a day.") % {"max": ROWS_MAX}
                continue
            for row in day.rows:
                try:
                    start, end = _parse_time(row.start), _parse_time(row.end)
                except ValidationError as exc:
                    row.error = exc.messages[0]
                    continue
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    row.error = _("Enter both a start and an end time.")
                elif end <= start:
                    row.error = _("Each range must end after it starts.")
                else:
                    self.ranges.append((day.weekday.value, start, end))
        if any(day.has_errors for day in self.days):
            self.errors.append(_("Correct the hours marked below. Nothing was saved."))
            return False
        return True

    def mark_overlaps(self) -> None:
        """After the service refused overlapping ranges: say on which days they are."""
        for day in self.days:
            ordered = sorted((s, e) for d, s, e in self.ranges if d == day.weekday.value)
            if any(b[0] < a[1] for a, b in itertools.pairwise(ordered)):
                day.error = _("Two ranges on this day overlap.")


# --- Date changes ---------------------------------------------------------------------------

# How far ahead a date change may be added (the longest booking horizon, and a year more).
OVERRIDE_AHEAD_DAYS = 2 * HORIZON_MAX_DAYS


class OverrideForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Change"),
        choices=OverrideKind.choices,
        initial=OverrideKind.UNAVAILABLE_DAY,
        widget=forms.RadioSelect(attrs={"data-override-kind": ""}),
    )
    start_time = forms.TimeField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end_time = forms.TimeField(
        label=gettext_lazy("Until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def __init__(self, data: Any = None, *, today: dt.date) -> None:
        super().__init__(data, prefix="override")
        self.today = today

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"]
        if day < self.today:
            raise ValidationError(_("Choose today or a later date."))
        if day > self.today + timedelta(days=OVERRIDE_AHEAD_DAYS):
            raise ValidationError(_("Choose a date within the next two years."))
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, start, end = data.get("kind"), data.get("start_time"), data.get("end_time")
        if kind == OverrideKind.UNAVAILABLE_DAY:
            if start is not None or end is not None:
                self.add_error(
                    "start_time",
                    _("A whole day off has no times. Clear them, or choose another change."),
                )
        elif kind in OverrideKind.values and "start_time" not in self.errors:
            if start is None:
                self.add_error("start_time", _("Enter a start time."))
            if end is None:
                self.add_error("end_time", _("Enter an end time."))
            elif start is not None and end <= start:
                self.add_error("end_time", _("The end must be after the start."))
        return data


# --- Settings ------------------------------------------------------------------------------


class ReminderUnit:
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"

    MINUTES_PER = {MINUTES: 1, HOURS: 60, DAYS: 1440}

    @classmethod
    def choices(cls) -> list[tuple[str, Any]]:
        return [
            (cls.MINUTES, gettext_lazy("minutes before")),
            (cls.HOURS, gettext_lazy("hours before")),
            (cls.DAYS, gettext_lazy("days before")),
        ]


def split_offset(minutes: int) -> tuple[int, str]:
    """The largest unit that divides ``minutes`` evenly: 1440 → (1, "days")."""
    for unit in (ReminderUnit.DAYS, ReminderUnit.HOURS):
        per = ReminderUnit.MINUTES_PER[unit]
        if minutes % per == 0:
            return minutes // per, unit
    return minutes, ReminderUnit.MINUTES


REMINDER_ROWS = tuple(range(1, REMINDER_OFFSETS_MAX + 1))


class SchedulingSettingsForm(forms.Form):
    cancellation_cutoff_hours = forms.IntegerField(
        label=gettext_lazy("Cancellation cutoff (hours before the session)"),
        min_value=0,
        max_value=CUTOFF_MAX_HOURS,
        help_text=gettext_lazy("0 means clients may change plans up to the start."),
    )
    own_meeting_url = forms.CharField(
        label=gettext_lazy("Your own meeting link"),
        max_length=MEETING_URL_MAX,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "url"}),
        help_text=gettext_lazy(
            "For example your Zoom or Google Meet room. Leave empty and each video session gets its own Jitsi Meet room."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in REMINDER_ROWS:
            self.fields[f"reminder_{row}_amount"] = forms.IntegerField(
                label=_("Reminder %(number)d") % {"number": row},
                min_value=1,
                max_value=REMINDER_OFFSET_MAX,
                required=False,
            )
            self.fields[f"reminder_{row}_unit"] = forms.ChoiceField(
                label=_("Unit of reminder %(number)d") % {"number": row},
                choices=ReminderUnit.choices(),
                initial=ReminderUnit.HOURS,
            )

    @classmethod
    def initial_for(cls, row: CoachSchedulingSettings) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "cancellation_cutoff_hours": row.cancellation_cutoff_hours,
            "own_meeting_url": row.own_meeting_url,
        }
        offsets = list(row.reminder_offsets_minutes or [])[:REMINDER_OFFSETS_MAX]
        for number, minutes in zip(REMINDER_ROWS, offsets, strict=False):
            amount, unit = split_offset(int(minutes))
            initial[f"reminder_{number}_amount"] = amount
            initial[f"reminder_{number}_unit"] = unit
        return initial

    def reminder_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"reminder_{n}_amount"], self[f"reminder_{n}_unit"]) for n in REMINDER_ROWS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        offsets: list[int] = []
        for number in REMINDER_ROWS:
            amount = data.get(f"reminder_{number}_amount")
            unit = data.get(f"reminder_{number}_unit")
            if amount is None or unit not in ReminderUnit.MINUTES_PER:
                continue
            minutes = amount * ReminderUnit.MINUTES_PER[unit]
            if not REMINDER_OFFSET_MIN <= minutes <= REMINDER_OFFSET_MAX:
                self.add_error(
                    f"reminder_{number}_amount",
                    _("A reminder goes out from 5 minutes to 14 days before the session."),
                )
                continue
            if minutes in offsets:
                self.add_error(
                    f"reminder_{number}_amount", _("Each reminder must be at a different time.")
                )
                continue
            offsets.append(minutes)
        data["reminder_offsets_minutes"] = offsets
        return data

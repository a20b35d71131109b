"""Forms for the session pages: reschedule, cancel, decline and book.

Forms parse and give field-level messages; the rules live in
``loom.scheduling.services``, which checks everything again (a slot the form accepted
can still be refused there, for example when it was just taken).

A slot travels as its start instant in UTC, ``2026-06-02T14:00Z`` (``slot_value``);
the choices a form offers are the slots the page showed, grouped by the local date in
the zone the page shows them in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from loom.accounts.models import User
from loom.scheduling.models import SessionType
from loom.scheduling.services import REASON_MAX
from loom.scheduling.slots import Slot

SLOT_FORMAT = "%Y-%m-%dT%H:%MZ"
_UTC_ZONE = ZoneInfo("UTC")


def slot_value(starts_at: datetime) -> str:
    """The form value of a slot starting at ``starts_at`` (aware)."""
    return starts_at.astimezone(UTC).strftime(SLOT_FORMAT)


def parse_slot_value(value: Any) -> datetime | None:
    """The aware UTC instant of a slot value, or ``None`` when it is not one."""
    if not isinstance(value, str) or len(value) != 17:
        return None
    try:
        return datetime.strptime(value, SLOT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def slot_days(slots: Iterable[Slot], tz: ZoneInfo) -> list[tuple[date, list[Slot]]]:
    """``slots`` grouped by their local start date in ``tz``, in order."""
    days: dict[date, list[Slot]] = {}
    for slot in sorted(slots, key=lambda s: s.starts_at):
        days.setdefault(slot.starts_at.astimezone(tz).date(), []).append(slot)
    return list(days.items())


def slot_choices(slots: Iterable[Slot], tz: ZoneInfo) -> list[tuple[str, list[tuple[str, str]]]]:
    """Choices for a ``SlotChoiceField``: one group per local day, labelled with the date."""
    return [
        (
            f"{date_format(day, 'l')}, {date_format(day, 'DATE_FORMAT')}",
            [
                (
                    slot_value(slot.starts_at),
                    time_format(slot.starts_at.astimezone(tz), "TIME_FORMAT"),
                )
                for slot in day_slots
            ],
        )
        for day, day_slots in slot_days(slots, tz)
    ]


class SlotChoiceField(forms.ChoiceField):
    """One of the offered slots; cleans to its aware UTC start instant."""

    widget = forms.RadioSelect
    default_error_messages = {
        "required": _("Choose a time."),
        "invalid_choice": _("This time is not available any more. Choose one of the times shown."),
    }

    def __init__(self, *args: Any, any_slot: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Accept any well-formed slot, not only the ones listed: the service re-checks
        # every rule and tells "just taken" (409) from "not offered" (400).
        self.any_slot = any_slot

    def valid_value(self, value: Any) -> bool:
        if self.any_slot:
            return parse_slot_value(value) is not None
        return super().valid_value(value)

    def clean(self, value: Any) -> datetime | None:
        cleaned = super().clean(value)
        if not cleaned:
            return None
        starts_at = parse_slot_value(cleaned)
        if starts_at is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return starts_at


def _reason_field(*, required: bool, label: Any, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=REASON_MAX,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
    )


class _SlotForm(forms.Form):
    """A form with a ``starts_at`` slot field offering ``slots``, shown in ``tz``."""

    def __init__(
        self,
        *args: Any,
        slots: Iterable[Slot] = (),
        tz: ZoneInfo = _UTC_ZONE,
        any_slot: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.slot_list = list(slots)
        self.tz = tz
        field = self.fields["starts_at"]
        assert isinstance(field, SlotChoiceField)
        field.choices = slot_choices(self.slot_list, tz)
        field.any_slot = any_slot


class RescheduleForm(_SlotForm):
    """A new time for a session: one of ``slots`` (shown in ``tz``), and an optional reason.

    ``cleaned_data["starts_at"]`` is the aware UTC start instant. With ``any_slot=True``
    any well-formed slot value is accepted (the service decides whether it is free).
    """

    starts_at = SlotChoiceField(label=_("New time"))
    reason = _reason_field(
        required=False,
        label=_("Reason (optional)"),
        help_text=_("The other person sees this in the email and in the session's history."),
    )


class CancelForm(forms.Form):
    """Cancelling a session, with an optional reason."""

    reason = _reason_field(
        required=False,
        label=_("Reason (optional)"),
        help_text=_("The other person sees this in the email and in the session's history."),
    )


class DeclineForm(forms.Form):
    """Declining a request: the reason is required, and the client sees it."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        help_text=_("The client sees this in the email we send them."),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
        error_messages={"required": _("Tell the client why you are declining.")},
    )


class BookChoiceForm(forms.Form):
    """Step one of a coach's booking: which active client, and which one-to-one type."""

    client = forms.TypedChoiceField(label=_("Client"), coerce=int, empty_value=None)
    session_type = forms.TypedChoiceField(label=_("Session type"), coerce=int, empty_value=None)

    def __init__(
        self,
        *args: Any,
        clients: Iterable[User] = (),
        session_types: Iterable[SessionType] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.client_map = {client.pk: client for client in clients}
        self.type_map = {session_type.pk: session_type for session_type in session_types}
        self.fields["client"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a client")),
            *((pk, client.display_name) for pk, client in self.client_map.items()),
        ]
        self.fields["session_type"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a session type")),
            *(
                (pk, f"{session_type.name} ({session_type.duration_minutes} min)")
                for pk, session_type in self.type_map.items()
            ),
        ]

    def chosen(self) -> tuple[User, SessionType]:
        """The chosen client and type (after ``is_valid()``)."""
        return (
            self.client_map[self.cleaned_data["client"]],
            self.type_map[self.cleaned_data["session_type"]],
        )


# The booking page offers series up to this many weeks (the service allows more).
SERIES_CHOICES_MAX = 12


def _repeat_choices() -> list[tuple[int, Any]]:
    return [(1, _("Only this session"))] + [
        (count, ngettext_lazy("%(count)d session", "%(count)d sessions", count) % {"count": count})
        for count in range(2, SERIES_CHOICES_MAX + 1)
    ]


class BookSlotForm(_SlotForm):
    """Step two of a coach's booking: one of ``slots`` (shown in ``tz``), and whether to
    repeat it weekly at the same time (a series, see ``loom.scheduling.series``)."""

    starts_at = SlotChoiceField(label=_("Time"))
    repeat = forms.TypedChoiceField(
        label=_("Repeat weekly at the same time"),
        choices=_repeat_choices,
        coerce=int,
        initial=1,
        required=False,
        empty_value=1,  # type: ignore[arg-type]  # django-stubs types it as str only
        help_text=_(
            "Books the same time every week, following your own clock when daylight saving "
            "time changes. Each session can later be moved or cancelled on its own."
        ),
    )

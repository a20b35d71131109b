"""The notification preferences form: the kind × channel matrix, quiet hours, summaries."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from loom.accounts.models import User
from loom.core.notices import KINDS
from loom.notifications.models import Announcement, DigestFrequency
from loom.notifications.preferences import (
    Preferences,
    channels_for,
    kinds_for,
    phone_verified,
)

CHANNEL_LABELS: dict[str, Any] = {
    "in_app": _("In app"),
    "email": _("Email"),
    "push": _("Push"),
    "sms": _("Text message"),
}

# The accessible name of each matrix cell ("Email for Session booked").
CELL_LABELS: dict[str, Any] = {
    "in_app": _("In app for %(kind)s"),
    "email": _("Email for %(kind)s"),
    "push": _("Push for %(kind)s"),
    "sms": _("Text message for %(kind)s"),
}


def cell_name(kind: str, channel: str) -> str:
    return f"{kind}__{channel}"


def _hour_label(hour: int) -> str:
    return f"{hour:02d}:00"


class NotificationPreferencesForm(forms.Form):
    quiet_start = forms.TimeField(
        label=_("Quiet hours from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    messages_digest = forms.ChoiceField(
        label=_("Emails about messages"),
        choices=DigestFrequency.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    activity_digest = forms.ChoiceField(
        label=_("Emails about activity (shared resources, accepted invitations)"),
        choices=DigestFrequency.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    daily_digest_hour = forms.TypedChoiceField(
        label=_("Daily summary at"),
        choices=[(hour, _hour_label(hour)) for hour in range(24)],
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args: Any, user: User, prefs: Preferences, **kwargs: Any) -> None:
        kinds = kinds_for(user)
        initial = {
            "quiet_start": prefs.reminders.quiet_start,
            "quiet_end": prefs.reminders.quiet_end,
            "messages_digest": prefs.settings.messages_digest,
            "activity_digest": prefs.settings.activity_digest,
            "daily_digest_hour": prefs.settings.daily_digest_hour,
        }
        for kind, cells in prefs.matrix(kinds).items():
            for channel, enabled in cells.items():
                initial[cell_name(kind, channel)] = enabled
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        self.phone_verified = phone_verified(user)
        self.rows: list[dict[str, Any]] = []
        for kind in kinds:
            columns: list[tuple[str, str]] = []
            for channel in channels_for(kind):
                field = forms.BooleanField(
                    label=CELL_LABELS[channel] % {"kind": KINDS[kind]}, required=False
                )
                if channel == "sms" and not self.phone_verified:
                    field.disabled = True
                    field.help_text = format_html(
                        '{} <a href="{}">{}</a>',
                        _("Text messages need a verified phone number."),
                        reverse("security:sms"),
                        _("Add and verify your phone number on the security page."),
                    )
                name = cell_name(kind, channel)
                self.fields[name] = field
                columns.append((channel, name))
            self.rows.append({"kind": kind, "label": KINDS[kind], "cells": columns})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A form sent without the summary controls keeps the current choices.
        for name in ("messages_digest", "activity_digest", "daily_digest_hour"):
            if data.get(name) in (None, ""):
                data[name] = self.initial[name]
        return data

    def matrix_rows(self) -> list[dict[str, Any]]:
        """Rows for the template: the kind's words and a bound field per channel column."""
        out = []
        for row in self.rows:
            by_channel = {channel: self[name] for channel, name in row["cells"]}
            out.append(
                {
                    "label": row["label"],
                    "cells": [
                        (CHANNEL_LABELS[channel], by_channel.get(channel))
                        for channel in CHANNEL_LABELS
                    ],
                }
            )
        return out

    def channel_labels(self) -> list[Any]:
        return list(CHANNEL_LABELS.values())

    def cells(self) -> dict[tuple[str, str], bool]:
        """The matrix as chosen (call after ``is_valid``)."""
        data = self.cleaned_data
        return {
            (row["kind"], channel): bool(data.get(name))
            for row in self.rows
            for channel, name in row["cells"]
        }


class AnnouncementForm(forms.ModelForm[Announcement]):
    class Meta:
        model = Announcement
        fields = ["audience", "title_en", "body_en", "title_he", "body_he"]
        widgets = {
            "body_en": forms.Textarea(attrs={"rows": 4}),
            "body_he": forms.Textarea(attrs={"rows": 4, "dir": "rtl", "lang": "he"}),
            "title_he": forms.TextInput(attrs={"dir": "rtl", "lang": "he"}),
        }

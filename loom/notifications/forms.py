"""The reminder preferences form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from loom.accounts.models import User


class ReminderPreferencesForm(forms.Form):
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
    email_reminders = forms.BooleanField(
        label=_("Reminders by email"),
        required=False,
        widget=forms.CheckboxInput(attrs={"role": "switch"}),
    )
    sms_reminders = forms.BooleanField(
        label=_("Reminders by text message"),
        required=False,
        widget=forms.CheckboxInput(attrs={"role": "switch"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.phone_verified = bool(user.phone_verified_at and user.phone)
        if not self.phone_verified:
            field = self.fields["sms_reminders"]
            field.disabled = True
            field.help_text = format_html(
                '{} <a href="{}">{}</a>',
                _("Text messages need a verified phone number."),
                reverse("security:sms"),
                _("Add and verify your phone number on the security page."),
            )

"""The share form, for a resource or a collection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loom.accounts.models import User
from loom.accounts.timezones import zone_named

AUDIENCE_CHOSEN = "chosen"
AUDIENCE_ALL = "all"


class ShareForm(forms.Form):
    audience = forms.ChoiceField(
        label=_("Share with"),
        choices=[
            (AUDIENCE_CHOSEN, _("Chosen clients")),
            (AUDIENCE_ALL, _("All my current clients")),
        ],
        initial=AUDIENCE_CHOSEN,
        widget=forms.RadioSelect,
    )
    clients = forms.TypedMultipleChoiceField(
        label=_("Clients"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    auto_share = forms.BooleanField(
        label=_("Also share with every new client"),
        required=False,
        help_text=_("Clients who join you from now on get it when they join."),
    )
    can_download = forms.BooleanField(
        label=_("Client may download"),
        required=False,
        initial=True,
        help_text=_(
            "When this is off, the client can read, watch or listen in Loom but gets no "
            "download button and no file to keep."
        ),
    )
    expires_on = forms.DateField(
        label=_("Access ends on (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The client can open it until the end of that day (your time zone)."),
    )

    def __init__(self, *args: Any, coach: User, clients: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.coach = coach
        self.fields["clients"].choices = [  # type: ignore[attr-defined]
            (client.pk, client.display_name) for client in clients
        ]

    def clean_expires_on(self) -> date | None:
        value: date | None = self.cleaned_data.get("expires_on")
        if value is None:
            return None
        today = timezone.now().astimezone(zone_named(self.coach.timezone)).date()
        if value < today:
            raise forms.ValidationError(_("Choose today or a later day."))
        if value > today + timedelta(days=365 * 20):
            raise forms.ValidationError(_("Choose a day within the next twenty years."))
        return value

    @property
    def expires_at(self) -> datetime | None:
        """The end of the chosen day in the coach's zone (the start of the next day)."""
        value = self.cleaned_data.get("expires_on")
        if value is None:
            return None
        zone = zone_named(self.coach.timezone)
        return datetime.combine(value + timedelta(days=1), time.min, tzinfo=zone)

    @property
    def all_clients(self) -> bool:
        return self.cleaned_data.get("audience") == AUDIENCE_ALL

    @property
    def client_ids(self) -> list[int]:
        return [] if self.all_clients else list(self.cleaned_data.get("clients") or [])

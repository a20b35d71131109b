"""Forms of the messaging pages (the plain-HTML paths; the chat script uses the socket)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from loom.messaging.models import BODY_MAX

SEARCH_MAX = 200


class SendForm(forms.Form):
    """The composer without JavaScript: a body and the id the server made for this send."""

    body = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    reply_to = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search this conversation"),
        max_length=SEARCH_MAX,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "dir": "auto"}),
    )


class MessagingSettingsForm(forms.Form):
    send_read_receipts = forms.BooleanField(
        label=_("Let others see when I have read their messages"),
        required=False,
        help_text=_(
            'When this is off, the people you talk with do not see "Seen" under their messages.'
        ),
    )

"""Forms of the NPS survey panel: the answer (score, comment) and "Not now".

Both carry which survey they answer (``trigger`` and, after a session, ``session``)
and where to go back to (``next``); the service checks that survey is really open.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from loom.analytics.models import NpsTrigger
from loom.analytics.nps import COMMENT_MAX, SCORES


class NpsDismissForm(forms.Form):
    trigger = forms.ChoiceField(
        choices=NpsTrigger.choices,
        error_messages={
            "required": _("Say which survey this is."),
            "invalid_choice": _("Unknown survey."),
        },
    )
    session = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        error_messages={"invalid": _("Say which session the answer is about.")},
    )
    next = forms.CharField(required=False, max_length=2000)


class NpsAnswerForm(NpsDismissForm):
    score = forms.TypedChoiceField(
        label=_("Your score from 0 to 10"),
        choices=[(str(score), str(score)) for score in SCORES],
        coerce=int,
        error_messages={
            "required": _("Choose a score from 0 to 10."),
            "invalid_choice": _("Choose a score from 0 to 10."),
        },
    )
    comment = forms.CharField(
        label=_("What is the main reason for your score? (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX}),
    )

    def clean_comment(self) -> str:
        # A browser counts a line break as one character and sends it as two (CRLF):
        # count what the person saw.
        text: str = self.cleaned_data.get("comment") or ""
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
        if len(text) > COMMENT_MAX:
            raise forms.ValidationError(
                _("Keep the comment to %(max)s characters or fewer (it has %(count)s)."),
                params={"max": COMMENT_MAX, "count": len(text)},
                code="max_length",
            )
        return text

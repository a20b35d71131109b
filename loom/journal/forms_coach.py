"""Forms of journal sharing, comments and coach prompts.

They check shape only (lengths, a choice among the client's coaches); the services
check every rule again, so the API and the pages refuse the same things.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from loom.accounts.models import User
from loom.journal.models import COMMENT_MAX, PROMPT_MAX


class ShareForm(forms.Form):
    """Which coach to share with: a select when the client has several, else hidden."""

    coach = forms.TypedChoiceField(label=_("Share with"), coerce=int)

    def __init__(self, *args: Any, coaches: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["coach"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(coach.pk, coach.display_name) for coach in coaches]
        if len(coaches) == 1:
            field.widget = forms.HiddenInput()
            field.initial = coaches[0].pk


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Add a comment"),
        max_length=COMMENT_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
        help_text=_("Markdown works: **bold**, *italic*, lists and links."),
    )


class PromptForm(forms.Form):
    text = forms.CharField(
        label=_("New prompt"),
        max_length=PROMPT_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
        help_text=_("Your active clients see it among the prompts when they write."),
    )


class PromptEditForm(forms.Form):
    text = forms.CharField(
        label=_("Prompt"),
        max_length=PROMPT_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )
    is_active = forms.BooleanField(
        label=_("Offer this prompt to my clients"),
        required=False,
        widget=forms.CheckboxInput(attrs={"role": "switch"}),
    )

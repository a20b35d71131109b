"""Forms of the journal pages. They parse; the services decide (``loom.journal.services``).

The service's ``ValidationError`` names the service's fields; ``add_service_errors``
puts each message next to the form field that asked for it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from loom.journal.audio import ACCEPT
from loom.journal.models import BODY_MAX, INTENTION_MAX, TITLE_MAX
from loom.journal.selectors import PromptChoice
from loom.journal.vocabulary import BODY_ZONES, EMOTIONS, PRACTICES, SENSATIONS

QUADRANTS: dict[str, Any] = {
    "high-pleasant": _("Pleasant, higher energy"),
    "low-pleasant": _("Pleasant, lower energy"),
    "high-unpleasant": _("Unpleasant, higher energy"),
    "low-unpleasant": _("Unpleasant, lower energy"),
}

# Service field → form field, where they differ.
_FIELD_OF = {"builtin_prompt": "prompt", "prompt_id": "prompt", "text": "text"}


def _keys(choices: Any) -> list[tuple[str, Any]]:
    return list(choices.items())


class EntryForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX, required=False)
    prompt = forms.ChoiceField(label=_("Prompt"), required=False)
    body = forms.CharField(
        label=_("What did you notice?"),
        max_length=BODY_MAX,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "dir": "auto"}),
        help_text=_("You can use **bold**, *italics*, lists and links."),
    )
    mood = forms.IntegerField(
        label=_("Mood (1–10)"),
        min_value=1,
        max_value=10,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "journal-scale"}),
        help_text=_("1 is the lowest, 10 the best you can feel."),
    )
    energy = forms.IntegerField(
        label=_("Energy (1–10)"),
        min_value=1,
        max_value=10,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "journal-scale"}),
        help_text=_("1 is exhausted, 10 full of energy."),
    )
    emotions = forms.MultipleChoiceField(
        label=_("Emotions"),
        required=False,
        choices=[(emotion.key, emotion.label) for emotion in EMOTIONS],
        widget=forms.CheckboxSelectMultiple,
    )
    sensations = forms.MultipleChoiceField(
        label=_("Sensations"),
        required=False,
        choices=_keys(SENSATIONS),
        widget=forms.CheckboxSelectMultiple,
    )
    body_areas = forms.MultipleChoiceField(
        label=_("Where in your body?"),
        required=False,
        choices=_keys(BODY_ZONES),
        widget=forms.CheckboxSelectMultiple,
    )
    practices = forms.MultipleChoiceField(
        label=_("Practices"),
        required=False,
        choices=_keys(PRACTICES),
        widget=forms.CheckboxSelectMultiple,
    )
    written_on = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    audio = forms.FileField(
        label=_("Audio note"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=_("MP3, M4A, WAV, Ogg or WebM, up to 15 MB. Stored encrypted."),
    )
    remove_audio = forms.BooleanField(label=_("Remove the audio note"), required=False)

    def __init__(
        self,
        *args: Any,
        prompts: list[PromptChoice],
        today: date,
        has_audio: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        builtin = [(choice.field_value, choice.text) for choice in prompts if choice.builtin]
        coach = [(choice.field_value, choice.text) for choice in prompts if not choice.builtin]
        grouped: list[Any] = [("", _("No prompt")), (_("Prompts"), builtin)]
        if coach:
            grouped.append((_("From your coach"), coach))
        self.fields["prompt"].choices = grouped  # type: ignore[attr-defined]
        self.fields["written_on"].widget.attrs["max"] = today.isoformat()
        self.fields["audio"].widget = forms.FileInput(attrs={"accept": ACCEPT})
        if not has_audio:
            del self.fields["remove_audio"]

    def emotion_groups(self) -> list[tuple[str, str, list[Any]]]:
        """The emotion checkboxes by quadrant: (quadrant key, legend, subwidgets)."""
        by_key = {widget.data["value"]: widget for widget in self["emotions"]}
        return [
            (
                quadrant,
                str(legend),
                [by_key[e.key] for e in EMOTIONS if e.quadrant == quadrant],
            )
            for quadrant, legend in QUADRANTS.items()
        ]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        prompt = data.get("prompt") or ""
        kind, _sep, value = prompt.partition(":")
        return {
            "written_on": data.get("written_on"),
            "title": data.get("title", ""),
            "body": data.get("body", ""),
            "mood": data.get("mood"),
            "energy": data.get("energy"),
            "sensations": data.get("sensations", []),
            "emotions": data.get("emotions", []),
            "body_areas": data.get("body_areas", []),
            "practices": data.get("practices", []),
            "builtin_prompt": value if kind == "b" else "",
            "prompt_id": value if kind == "c" else None,
            "audio": data.get("audio"),
        }


class IntentionForm(forms.Form):
    text = forms.CharField(
        label=_("Today's intention"),
        max_length=INTENTION_MAX,
        required=False,
        widget=forms.TextInput(attrs={"dir": "auto"}),
        help_text=_("One line for today. Leave it empty to clear it."),
    )


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on ``form``: per field where it names one, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        target = _FIELD_OF.get(name, name)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)

"""The check-in form: the mood meter, named emotions with intensities, optional detail.

The form only parses what the browser sent; the rules (ranges, vocabulary, the week's
window, the time zone) are the service's, whose ``ValidationError`` the view puts back
on these fields. The mood meter is two plain number inputs, so the page works without
JavaScript; the script adds the 2-D grid that drives them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from loom.journal.vocabulary import EMOTIONS, SENSATIONS, Emotion
from loom.wellbeing.models import TEXT_MAX, CheckIn
from loom.wellbeing.vocabulary import COPING_STRATEGIES

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
QUADRANT_ORDER = ("high-unpleasant", "high-pleasant", "low-unpleasant", "low-pleasant")
QUADRANT_LABELS: dict[str, Promise] = {
    "high-unpleasant": _("High energy, unpleasant"),
    "high-pleasant": _("High energy, pleasant"),
    "low-unpleasant": _("Low energy, unpleasant"),
    "low-pleasant": _("Low energy, pleasant"),
}
# Fields the quick check-in leaves out.
DETAIL_FIELDS = (
    "trigger",
    "sensations",
    "thoughts",
    "behaviour",
    "coping_strategy",
    "coping_helped",
    "sleep_hours",
    "note",
    "occurred_at",
)


def quadrant_of(pleasantness: int | None, energy: int | None) -> str | None:
    """Where a point of the meter lies: 6–10 is pleasant / higher energy."""
    if pleasantness is None or energy is None:
        return None
    return f"{'high' if energy >= 6 else 'low'}-{'pleasant' if pleasantness >= 6 else 'unpleasant'}"


@dataclass
class EmotionRow:
    emotion: Emotion
    checkbox_id: str
    checked: bool
    intensity: forms.BoundField


@dataclass
class QuadrantGroup:
    key: str
    label: Promise
    rows: list[EmotionRow]


def _text_field(label: Any, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=TEXT_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": rows, "dir": "auto"}),
    )


class CheckInForm(forms.Form):
    pleasantness = forms.IntegerField(
        label=_("How pleasant (1–10)"),
        min_value=1,
        max_value=10,
        help_text=_("1 is very unpleasant, 10 is very pleasant."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-meter": "pleasantness"}),
    )
    energy = forms.IntegerField(
        label=_("Energy (1–10)"),
        min_value=1,
        max_value=10,
        help_text=_("1 is very low energy, 10 is very high energy."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-meter": "energy"}),
    )
    emotions = forms.MultipleChoiceField(
        label=_("Emotions"),
        required=False,
        choices=[(e.key, e.label) for e in EMOTIONS],
        widget=forms.CheckboxSelectMultiple,
    )
    occurred_at = forms.CharField(
        label=_("When did you feel this?"),
        required=False,
        help_text=_("Leave empty for now. You can go back up to 7 days."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    trigger = _text_field(_("What happened?"))
    sensations = forms.MultipleChoiceField(
        label=_("Sensations"),
        required=False,
        choices=list(SENSATIONS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    thoughts = _text_field(_("Thoughts"))
    behaviour = _text_field(_("What did you do?"))
    coping_strategy = forms.ChoiceField(
        label=_("Coping strategy"),
        required=False,
        choices=[("", _("None")), *COPING_STRATEGIES.items()],
    )
    coping_helped = forms.IntegerField(
        label=_("How much did it help? (1–5)"),
        required=False,
        min_value=1,
        max_value=5,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    sleep_hours = forms.DecimalField(
        label=_("Hours of sleep last night"),
        required=False,
        min_value=0,
        max_value=24,
        max_digits=3,
        decimal_places=1,
        # Half hours are the service's rule (its message says so); Django's step
        # validator cannot add a float step to a Decimal value.
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    note = _text_field(_("Note"), rows=4)

    def __init__(self, *args: Any, quick: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quick = quick
        if quick:
            for name in DETAIL_FIELDS:
                del self.fields[name]
        for emotion in EMOTIONS:
            self.fields[f"intensity_{emotion.key}"] = forms.IntegerField(
                label=_("Intensity of %(emotion)s (1–10)") % {"emotion": emotion.label},
                required=False,
                min_value=1,
                max_value=10,
                initial=5,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    # --- rendering helpers ----------------------------------------------------------------

    def _number(self, name: str) -> int | None:
        raw = self[name].value()
        try:
            return int(raw) if raw not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def quadrant(self) -> str | None:
        return quadrant_of(self._number("pleasantness"), self._number("energy"))

    def emotion_groups(self) -> list[QuadrantGroup]:
        """The emotions by quadrant, the quadrant the meter points at first."""
        chosen = {str(key) for key in (self["emotions"].value() or ())}
        current = self.quadrant()
        order = sorted(QUADRANT_ORDER, key=lambda q: (q != current, QUADRANT_ORDER.index(q)))
        groups = []
        for quadrant in order:
            rows = [
                EmotionRow(
                    emotion=emotion,
                    checkbox_id=f"id_emotion_{emotion.key}",
                    checked=emotion.key in chosen,
                    intensity=self[f"intensity_{emotion.key}"],
                )
                for emotion in EMOTIONS
                if emotion.quadrant == quadrant
            ]
            groups.append(QuadrantGroup(key=quadrant, label=QUADRANT_LABELS[quadrant], rows=rows))
        return groups

    def detail_open(self) -> bool:
        """Open "Add detail" when it holds something (an edit, or an error in it)."""
        if self.quick:
            return False
        return any(self[name].value() not in (None, "", [], ()) for name in DETAIL_FIELDS) or any(
            name in self.errors for name in DETAIL_FIELDS
        )

    # --- parsing ------------------------------------------------------------------------------

    def clean_occurred_at(self) -> dt.datetime | None:
        raw = (self.cleaned_data.get("occurred_at") or "").strip()
        if not raw:
            return None
        for pattern in (LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
            try:
                # Naive on purpose: the service reads it in the check-in's own zone.
                return dt.datetime.strptime(raw[:19], pattern)  # noqa: DTZ007
            except ValueError:
                continue
        raise ValidationError(_("Enter a date and time."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        pairs = []
        for key in data.get("emotions") or ():
            intensity = data.get(f"intensity_{key}")
            if intensity is None:
                if f"intensity_{key}" not in self.errors:
                    self.add_error(
                        f"intensity_{key}", _("Choose an intensity from 1 to 10 for each emotion.")
                    )
                continue
            pairs.append((key, intensity))
        data["emotion_pairs"] = pairs
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "pleasantness": data["pleasantness"],
            "energy": data["energy"],
            "emotions": data["emotion_pairs"],
        }
        if not self.quick:
            for name in ("trigger", "thoughts", "behaviour", "note", "coping_strategy"):
                kwargs[name] = data.get(name) or ""
            kwargs["sensations"] = data.get("sensations") or []
            kwargs["coping_helped"] = data.get("coping_helped")
            kwargs["sleep_hours"] = data.get("sleep_hours")
            kwargs["occurred_at"] = data.get("occurred_at")
        return kwargs

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's refusal on the fields it names (or on the form)."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                target = field if field in self.fields and field != "emotions" else None
                for message in messages:
                    self.add_error(target, message)
        else:
            for message in error.messages:
                self.add_error(None, message)


def initial_from(checkin: CheckIn) -> dict[str, Any]:
    """The form's initial values for editing ``checkin`` (the time in the row's zone)."""
    from loom.journal.days import zone_of

    initial: dict[str, Any] = {
        "pleasantness": checkin.pleasantness,
        "energy": checkin.energy,
        "emotions": [item["emotion"] for item in checkin.emotions],
        "sensations": list(checkin.sensations),
        "trigger": checkin.trigger,
        "thoughts": checkin.thoughts,
        "behaviour": checkin.behaviour,
        "coping_strategy": checkin.coping_strategy,
        "coping_helped": checkin.coping_helped,
        "sleep_hours": checkin.sleep_hours,
        "note": checkin.note,
        "occurred_at": checkin.occurred_at.astimezone(zone_of(checkin.timezone)).strftime(
            LOCAL_FORMAT
        ),
    }
    for item in checkin.emotions:
        initial[f"intensity_{item['emotion']}"] = item["intensity"]
    return initial

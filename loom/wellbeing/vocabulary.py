"""Coping strategies a check-in can name, and the factors insights look at."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

COPING_STRATEGIES: dict[str, Promise] = {
    "breathing": _("Breathing"),
    "movement": _("Exercise or movement"),
    "talking": _("Talking to someone"),
    "journaling": _("Writing it down"),
    "meditation": _("Meditation"),
    "nature": _("Time outside"),
    "rest": _("Rest or a nap"),
    "music": _("Music"),
    "distraction": _("Distraction"),
    "reframing": _("Seeing it differently"),
    "self_care": _("Self-care"),
    "other": _("Something else"),
}

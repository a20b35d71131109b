"""The words clients choose from: emotions, sensations, body zones, practices, prompts.

Stored rows keep only the keys; labels come from the catalog, so an entry written in
English reads in Hebrew when the client switches language. Keys never change once
released (exports and the API carry them).

The emotions are placed on the mood meter by quadrant — pleasant or unpleasant, higher
or lower energy — so the check-in can offer first the ones that fit where the client
put themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Emotion:
    key: str
    label: Promise
    # "high-pleasant", "low-pleasant", "high-unpleasant", "low-unpleasant"
    quadrant: str


EMOTIONS: tuple[Emotion, ...] = (
    Emotion("excited", _("Excited"), "high-pleasant"),
    Emotion("joyful", _("Joyful"), "high-pleasant"),
    Emotion("energized", _("Energized"), "high-pleasant"),
    Emotion("proud", _("Proud"), "high-pleasant"),
    Emotion("hopeful", _("Hopeful"), "high-pleasant"),
    Emotion("inspired", _("Inspired"), "high-pleasant"),
    Emotion("curious", _("Curious"), "high-pleasant"),
    Emotion("calm", _("Calm"), "low-pleasant"),
    Emotion("content", _("Content"), "low-pleasant"),
    Emotion("grateful", _("Grateful"), "low-pleasant"),
    Emotion("relaxed", _("Relaxed"), "low-pleasant"),
    Emotion("peaceful", _("Peaceful"), "low-pleasant"),
    Emotion("loved", _("Loved"), "low-pleasant"),
    Emotion("relieved", _("Relieved"), "low-pleasant"),
    Emotion("anxious", _("Anxious"), "high-unpleasant"),
    Emotion("angry", _("Angry"), "high-unpleasant"),
    Emotion("frustrated", _("Frustrated"), "high-unpleasant"),
    Emotion("stressed", _("Stressed"), "high-unpleasant"),
    Emotion("overwhelmed", _("Overwhelmed"), "high-unpleasant"),
    Emotion("afraid", _("Afraid"), "high-unpleasant"),
    Emotion("irritated", _("Irritated"), "high-unpleasant"),
    Emotion("restless", _("Restless"), "high-unpleasant"),
    Emotion("sad", _("Sad"), "low-unpleasant"),
    Emotion("lonely", _("Lonely"), "low-unpleasant"),
    Emotion("tired", _("Tired"), "low-unpleasant"),
    Emotion("bored", _("Bored"), "low-unpleasant"),
    Emotion("disappointed", _("Disappointed"), "low-unpleasant"),
    Emotion("ashamed", _("Ashamed"), "low-unpleasant"),
    Emotion("guilty", _("Guilty"), "low-unpleasant"),
    Emotion("numb", _("Numb"), "low-unpleasant"),
    Emotion("hopeless", _("Hopeless"), "low-unpleasant"),
)
EMOTION_KEYS = frozenset(e.key for e in EMOTIONS)

SENSATIONS: dict[str, Promise] = {
    "tension": _("Tension"),
    "tightness": _("Tightness"),
    "heaviness": _("Heaviness"),
    "lightness": _("Lightness"),
    "warmth": _("Warmth"),
    "cold": _("Cold"),
    "tingling": _("Tingling"),
    "pain": _("Pain"),
    "ache": _("Ache"),
    "pressure": _("Pressure"),
    "numbness": _("Numbness"),
    "trembling": _("Trembling"),
    "racing_heart": _("Racing heart"),
    "shallow_breath": _("Shallow breathing"),
    "deep_breath": _("Deep, easy breathing"),
    "butterflies": _("Butterflies"),
    "nausea": _("Nausea"),
    "restlessness": _("Restlessness"),
    "openness": _("Openness"),
    "grounded": _("Feeling grounded"),
}

# The body map's zones, in the order the list alternative shows them (head to feet).
# Each key is also the id suffix of its shape in journal/_body_map.svg.html.
BODY_ZONES: dict[str, Promise] = {
    "head": _("Head"),
    "face": _("Face and jaw"),
    "throat": _("Throat"),
    "neck": _("Neck"),
    "shoulders": _("Shoulders"),
    "chest": _("Chest"),
    "upper_back": _("Upper back"),
    "arms": _("Arms"),
    "hands": _("Hands"),
    "stomach": _("Stomach"),
    "lower_back": _("Lower back"),
    "pelvis": _("Pelvis and hips"),
    "legs": _("Legs"),
    "feet": _("Feet"),
}

PRACTICES: dict[str, Promise] = {
    "body_scan": _("Body scan"),
    "breathing": _("Breathing practice"),
    "grounding": _("Grounding"),
    "meditation": _("Meditation"),
    "movement": _("Mindful movement"),
    "walking": _("Mindful walking"),
    "self_compassion": _("Self-compassion pause"),
    "journaling": _("Free writing"),
    "gratitude": _("Gratitude practice"),
    "rest": _("Intentional rest"),
}

# Built-in prompts, offered to every client in their language.
BUILTIN_PROMPTS: dict[str, Promise] = {
    "body_now": _(
        "Where in your body do you notice something right now? Describe it without judging it."
    ),
    "breath": _("Take three slow breaths. What changed, if anything?"),
    "strong_emotion": _("Recall a strong feeling from today. Where did you feel it in your body?"),
    "truth": _("What is true for you right now that you have not said out loud?"),
    "need": _("What does your body need today?"),
    "boundary": _("When did you say yes today when you meant no? What did your body tell you?"),
    "gratitude": _("Name three things you are grateful for and notice how each feels."),
    "energy": _("When did you feel most alive today? When did your energy drop?"),
    "practice": _("How did today's practice feel in your body, before and after?"),
    "kindness": _("What would you say to a friend who felt the way you feel now?"),
}

"""Password rules beyond Django's: breached patterns and a generous maximum length."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Shapes that dominate breach corpora: keyboard walks, one repeated character,
# a dictionary word padded with digits, and "password"/"loom" variants.
_KEYBOARD_WALKS = ("qwerty", "asdfgh", "zxcvbn", "1qaz2wsx", "123456", "abcdef", "qazwsx")
_COMMON_STEMS = ("password", "passw0rd", "letmein", "welcome", "iloveyou", "admin", "loom")


def _normalise(password: str) -> str:
    table = str.maketrans(
        {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
    )
    return password.lower().translate(table)


class BreachedPatternValidator:
    """Rejects passwords built from patterns that appear in breach lists."""

    def validate(self, password: str, user: Any = None) -> None:
        lowered = password.lower()
        normalised = _normalise(password)
        if len(set(lowered)) <= 2:
            raise ValidationError(
                _("This password repeats too few characters."), code="password_repetitive"
            )
        if any(walk in lowered for walk in _KEYBOARD_WALKS):
            raise ValidationError(
                _("This password contains a keyboard pattern."), code="password_keyboard"
            )
        stripped = re.sub(r"[\d\W_]+$", "", normalised)
        if any(
            stripped == stem or (stripped.startswith(stem) and len(stripped) - len(stem) < 4)
            for stem in _COMMON_STEMS
        ):
            raise ValidationError(_("This password is too common."), code="password_too_common")

    def get_help_text(self) -> str:
        return _("Avoid keyboard patterns and common words with numbers added.")


class MaximumLengthValidator:
    """Long passphrases are welcome; an upper bound keeps hashing cheap for attackers' input."""

    max_length = 512

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                _("This password is too long (at most %(max)d characters).")
                % {"max": self.max_length},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("Long passphrases are welcome.")

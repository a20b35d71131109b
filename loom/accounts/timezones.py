"""IANA time zones offered to people, and the form field that accepts one."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Legacy aliases ("US/Eastern", "Etc/GMT+3", "EST5EDT") still resolve but only confuse
# a picker; they stay accepted so stored values keep validating.
_HIDDEN_PREFIXES = ("Etc/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/")
_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Arctic/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


@functools.cache
def all_timezones() -> frozenset[str]:
    """Every zone name the system's tz database knows (what validation accepts)."""
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def common_timezones() -> tuple[str, ...]:
    """The zones offered in pickers: real places plus UTC, sorted."""
    names = [
        name
        for name in all_timezones()
        if name.startswith(_REGIONS) and not name.startswith(_HIDDEN_PREFIXES)
    ]
    return ("UTC", *sorted(names))


def is_valid_timezone(value: str) -> bool:
    return value in all_timezones()


def validate_timezone(value: str) -> None:
    if not is_valid_timezone(value):
        raise ValidationError(
            _("Choose a time zone from the list, for example Europe/London."),
            code="invalid_timezone",
        )


class TimeZoneInput(forms.TextInput):
    """A text input tied to a ``<datalist>`` of zones, so the list can be searched by typing.

    ``data-timezone-default`` lets static/js/timezone.js fill an empty field from the
    browser's own zone (Intl.DateTimeFormat().resolvedOptions().timeZone).
    """

    datalist_id = "timezone-options"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {
            "list": self.datalist_id,
            "autocomplete": "off",
            "spellcheck": "false",
            "data-timezone-default": "",
            "dir": "ltr",
        }
        super().__init__(attrs={**defaults, **(attrs or {})})


class TimeZoneField(forms.CharField):
    default_error_messages = {"required": _("Choose your time zone.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("widget", TimeZoneInput)
        kwargs.setdefault("label", _("Time zone"))
        kwargs.setdefault(
            "help_text",
            _(
                "Start typing a city, for example Jerusalem or New York. Times are shown in this zone."
            ),
        )
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value:
            validate_timezone(value)


def zone_named(name: str) -> ZoneInfo:
    """The zone ``name``, or the site's default when the stored name is empty or no
    longer resolves (a page or an email still shows, in a known zone)."""
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)

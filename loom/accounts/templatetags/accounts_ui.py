"""Template helpers for the people pages."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from loom.accounts.timezones import TimeZoneInput, common_timezones

register = template.Library()


@register.simple_tag
def timezone_datalist() -> SafeString:
    """The ``<datalist>`` that time-zone inputs (``TimeZoneInput``) search as people type."""
    options = format_html_join(
        "", '<option value="{}"></option>', ((name,) for name in common_timezones())
    )
    return format_html('<datalist id="{}">{}</datalist>', TimeZoneInput.datalist_id, options)

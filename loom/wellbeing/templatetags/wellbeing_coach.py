"""The progress tab of a coach's client page and the roster's wellbeing summaries."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def coach_client_progress(request: Any, client: Any) -> str:
    # Being built (issue 6): the progress part replaces this.
    return ""

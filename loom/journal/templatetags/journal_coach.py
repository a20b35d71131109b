"""The journal tab of a coach's client page: the entries the client shared with them."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def coach_client_journal(request: Any, client: Any) -> str:
    # Being built (issue 6): the journal-sharing part replaces this.
    return ""

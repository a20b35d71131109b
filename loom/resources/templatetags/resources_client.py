"""Template tags of the client's library: the client home card and the text viewer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from loom.resources import client_selectors
from loom.resources.models import Resource

register = template.Library()

# The text viewer shows this much of a text file; longer files say so and offer the download.
TEXT_PREVIEW_MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class TextPreview:
    available: bool
    body: str = ""
    truncated: bool = False


@register.simple_tag
def resource_text(resource: Resource) -> TextPreview:
    """The beginning of a text resource as text (decoded as UTF-8; never rendered as HTML:
    the template escapes it)."""
    if not resource.file:
        return TextPreview(available=False)
    try:
        with resource.file.open("rb") as stored:
            data = stored.read(TEXT_PREVIEW_MAX_BYTES + 1)
    except OSError:
        return TextPreview(available=False)
    truncated = len(data) > TEXT_PREVIEW_MAX_BYTES
    body = data[:TEXT_PREVIEW_MAX_BYTES].decode("utf-8", errors="replace")
    return TextPreview(available=True, body=body, truncated=truncated)


@register.inclusion_tag("resources/client_home_card.html")
def client_resources_card(user: Any) -> dict[str, Any]:
    """ "New from your coach" and "Continue" on the client's home; nothing when both are
    empty."""
    if not getattr(user, "is_authenticated", False) or user.role != "client":
        return {"card": None}
    return {"card": client_selectors.client_home_card(user)}

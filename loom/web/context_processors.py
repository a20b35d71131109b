"""Values every page needs: direction, navigation for the viewer's role, stream position."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from loom.core.realtime import stream_position
from loom.web.navigation import navigation_for


def layout(request: HttpRequest) -> dict[str, Any]:
    return {
        "LANGUAGE_BIDI": translation.get_language_bidi(),
        "nav_items": navigation_for(request),
        "demo_mode": settings.LOOM_DEMO_MODE,
    }


def stream(request: HttpRequest) -> dict[str, Any]:
    """``stream_seq``: where the page's realtime stream resumes (signed-in pages only).

    Read here, before ``layout`` counts the badges, so that an event landing between
    the two reads is replayed by the page rather than missed. A view that reads its own
    data after taking a position passes ``stream_seq`` itself (the view's value wins).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"stream_seq": None}
    return {"stream_seq": stream_position(user.pk)}

"""Values every page needs: direction, navigation for the viewer's role."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from loom.web.navigation import navigation_for


def layout(request: HttpRequest) -> dict[str, Any]:
    return {
        "LANGUAGE_BIDI": translation.get_language_bidi(),
        "nav_items": navigation_for(request),
        "demo_mode": settings.LOOM_DEMO_MODE,
    }

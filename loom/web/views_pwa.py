"""The installable web app: the manifest and the service worker, both at the site root.

The service worker lives at ``/sw.js`` (not under ``/static/``) so that its scope is the
whole site; it is rendered from a template so that icon addresses follow the static
files storage (hashed names in production). Both are revalidated on every use
(``no-cache``): browsers compare the worker byte for byte to decide on an update.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.safestring import mark_safe
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

THEME_COLOR = "#2f5d62"
BACKGROUND_COLOR = "#ffffff"


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest, in the visitor's language (chosen like every page's)."""
    data = {
        "id": "/",
        "name": "Loom",
        "short_name": "Loom",
        "description": _("Coaching sessions, messages and resources in one place."),
        "lang": request.LANGUAGE_CODE,
        "dir": "rtl" if get_language_bidi() else "ltr",
        "start_url": "/home/",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND_COLOR,
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": static("icons/loom-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/loom-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("icons/loom-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    body = render_to_string(
        "web/sw.js",
        {
            # JSON string literals: the template writes them into the script as they are.
            "icon_url": mark_safe(json.dumps(static("icons/loom-192.png"))),  # noqa: S308
            "badge_url": mark_safe(json.dumps(static("icons/loom-badge-96.png"))),  # noqa: S308
        },
    )
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response

"""Page-view events: one ``page_view`` per HTML page a signed-in person is shown.

Last in ``MIDDLEWARE``, so it sees the resolved route and the signed-in person. Only
the route's *name* is kept (``journal:entry``), never the path with its ids or the
query string. Recording costs one ``RPUSH`` (or one ``INSERT``) after the response is
built (``loom.analytics.events``), and never fails the request.

It also tells the event receivers who is acting in this request
(``acting_role``), so an event caused by the request's own write knows its role
without a query.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from loom.analytics.events import event_record
from loom.analytics.models import EventName

# Roles whose page views count (every signed-in role today; a new role opts in here).
TRACKED_ROLES = frozenset({"coach", "client", "admin"})
# Route names that are not pages a person looks at (the PWA files, health and metrics
# probes, the realtime stream).
EXCLUDED_ROUTES = frozenset(
    {
        "manifest",
        "service_worker",
        "healthz",
        "readyz",
        "metrics",
        "stream_events",
        "stream_command",
        "set_language",
        "javascript-catalog",
    }
)
EXCLUDED_PREFIXES = ("/api/", "/favicon", "/robots.txt", "/.well-known/")

# (user id, role) of the person this request acts as, for the receivers.
_acting: ContextVar[tuple[int, str] | None] = ContextVar("analytics_acting", default=None)


def acting_role(user_id: int | None) -> str:
    """The role of ``user_id`` if they are the signed-in person of the current request,
    else ``""`` (the event writer then reads it from the user's row)."""
    current = _acting.get()
    if current is None or user_id is None or current[0] != user_id:
        return ""
    return current[1]


def _excluded_path(path: str) -> bool:
    static = str(getattr(settings, "STATIC_URL", "") or "")
    media = str(getattr(settings, "MEDIA_URL", "") or "")
    prefixes = (*EXCLUDED_PREFIXES, *(p for p in (static, media) if p.startswith("/")))
    return path.startswith(prefixes) or path.endswith(("/sw.js", ".webmanifest"))


def page_view_route(request: HttpRequest, response: HttpResponse) -> str:
    """The route name to record for this response, or ``""`` when it is not a page view."""
    status = response.status_code
    # 204 and 206 are 2xx but show no page (nothing, or a byte range of a file).
    if request.method != "GET" or not 200 <= status < 300 or status in (204, 206):
        return ""
    if response.streaming or request.headers.get("HX-Request"):
        # Streams are not pages; an HTMX request swaps part of a page already counted.
        return ""
    content_type = str(response.get("Content-Type", ""))
    if not content_type.startswith("text/html"):
        return ""
    if str(response.get("Content-Disposition", "")).lower().startswith("attachment"):
        # A file download (an HTML resource, say), not a page shown.
        return ""
    match = getattr(request, "resolver_match", None)
    # Only named routes: for an unnamed one Django's view_name is the view's dotted path.
    route = match.view_name if match is not None and match.url_name else ""
    if not route or route in EXCLUDED_ROUTES or _excluded_path(request.path):
        return ""
    return route


class PageViewMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        role = str(getattr(user, "role", "")) if signed_in else ""
        token = _acting.set((int(user.pk), role)) if signed_in and user is not None else None
        try:
            response = self.get_response(request)
        finally:
            if token is not None:
                _acting.reset(token)
        # Who is signed in *now*: a sign-in or sign-out in this request changes it.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        role = str(getattr(user, "role", ""))
        if role not in TRACKED_ROLES:
            return response
        route = page_view_route(request, response)
        if route:
            event_record(user=user, role=role, name=EventName.PAGE_VIEW, route=route)
        return response

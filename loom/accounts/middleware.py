"""Per-user language and time zone, and idle/absolute session lifetimes."""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _

AUTH_AT = "loom_auth_at"
SEEN_AT = "loom_seen_at"
# Writing the session on every request would cost a write per page; a minute of
# slack on a two-hour idle limit is invisible to users.
SEEN_WRITE_INTERVAL = 60
ADMIN_PREFIXES = ("/admin-area/", "/django-admin/")


class UserPreferencesMiddleware:
    """Activates the signed-in user's language and time zone for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            language = getattr(user, "language", "") or settings.LANGUAGE_CODE
            translation.activate(language)
            request.LANGUAGE_CODE = language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.timezone))  # type: ignore[union-attr]
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class SessionTimeoutMiddleware:
    """Ends sessions that were idle too long or have outlived their absolute lifetime.

    Idle limit: ``LOOM_SESSION_IDLE_SECONDS`` unless the user chose "remember me";
    ``LOOM_ADMIN_IDLE_SECONDS`` in the admin areas regardless. Absolute lifetime:
    ``LOOM_SESSION_REMEMBER_SECONDS`` from sign-in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            expired = self._expired(request)
            if expired:
                logout(request)
                messages.info(request, _("You were signed out after a period of inactivity. Please sign in again."))
                if request.method == "GET":
                    return redirect_to_login(request.get_full_path())
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> bool:
        session = request.session
        now = int(time.time())
        auth_at = session.get(AUTH_AT)
        if auth_at is None:
            session[AUTH_AT] = now
            session[SEEN_AT] = now
            return False
        seen_at = int(session.get(SEEN_AT, auth_at))
        if now - int(auth_at) > settings.LOOM_SESSION_REMEMBER_SECONDS:
            return True
        if request.path.startswith(ADMIN_PREFIXES):
            idle_limit = settings.LOOM_ADMIN_IDLE_SECONDS
        elif session.get_expire_at_browser_close():
            idle_limit = settings.LOOM_SESSION_IDLE_SECONDS
        else:
            idle_limit = settings.LOOM_SESSION_REMEMBER_SECONDS
        if now - seen_at > idle_limit:
            return True
        if now - seen_at >= SEEN_WRITE_INTERVAL:
            session[SEEN_AT] = now
        return False

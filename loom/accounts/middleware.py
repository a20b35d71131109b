"""Per-user language and time zone, and idle/absolute session lifetimes."""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, resolve_url
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
                timezone.activate(zoneinfo.ZoneInfo(user.timezone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _remembered(session: SessionBase) -> bool:
    # allauth stores expiry 0 when "remember me" is left unticked and a positive age
    # when it is ticked. A session nobody chose for (Django admin, force_login) has
    # no expiry at all and gets the short idle limit: remembering is opt-in.
    return bool(session.get("_session_expiry"))


def session_idle_limit(request: HttpRequest) -> int:
    """Seconds of inactivity this request's session may have had."""
    if request.path.startswith(ADMIN_PREFIXES):
        return int(settings.LOOM_ADMIN_IDLE_SECONDS)
    if _remembered(request.session):
        return int(settings.LOOM_SESSION_REMEMBER_SECONDS)
    return int(settings.LOOM_SESSION_IDLE_SECONDS)


def session_mark_signed_in(session: SessionBase) -> None:
    """Start the idle and absolute clocks; called when someone signs in."""
    now = int(time.time())
    session[AUTH_AT] = now
    session[SEEN_AT] = now


def session_touch(request: HttpRequest) -> None:
    """Record activity now (the keep-alive endpoint)."""
    request.session[SEEN_AT] = int(time.time())


class SessionTimeoutMiddleware:
    """Ends sessions that were idle too long or have outlived their absolute lifetime.

    Idle limit: ``LOOM_SESSION_IDLE_SECONDS``, or ``LOOM_SESSION_REMEMBER_SECONDS`` when
    the user chose "remember me"; ``LOOM_ADMIN_IDLE_SECONDS`` in the admin areas
    regardless. Absolute lifetime: ``LOOM_SESSION_REMEMBER_SECONDS`` from sign-in,
    however active the session is.

    Must run after ``MessageMiddleware`` (it leaves a message) and before allauth's
    ``UserSessionsMiddleware`` (an expired session must not be marked as seen).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            reason = self._expired(request)
            if reason:
                return self._sign_out(request, reason)
        return self.get_response(request)

    def _sign_out(self, request: HttpRequest, reason: str) -> HttpResponse:
        from loom.core.audit import audit_record

        path = request.get_full_path()
        audit_record(
            action="auth.session_timeout",
            actor=request.user,
            target=cast(Model, request.user),
            details={"reason": reason},
        )
        logout(request)
        messages.info(
            request, _("You were signed out after a period of inactivity. Please sign in again.")
        )
        login_url = resolve_url(settings.LOGIN_URL)
        # Scripts (the keep-alive, htmx) get a status they can act on, not a page.
        if request.headers.get("HX-Request") or "application/json" in request.headers.get(
            "Accept", ""
        ):
            return JsonResponse(
                {"signed_in": False}, status=401, headers={"HX-Redirect": login_url}
            )
        if request.method == "GET":
            return redirect_to_login(path)
        return redirect(login_url)

    def _expired(self, request: HttpRequest) -> str:
        """ "idle", "absolute", or "" while the session may continue."""
        session = request.session
        now = int(time.time())
        try:
            auth_at = int(session[AUTH_AT])
            seen_at = int(session.get(SEEN_AT, auth_at))
        except KeyError:
            # Signed in before this middleware ran (or by a path that skipped the
            # sign-in signal): the clocks start now.
            session_mark_signed_in(session)
            return ""
        except (TypeError, ValueError):
            return "absolute"
        if now - auth_at > settings.LOOM_SESSION_REMEMBER_SECONDS:
            return "absolute"
        if now - seen_at > session_idle_limit(request):
            return "idle"
        if now - seen_at >= SEEN_WRITE_INTERVAL:
            session[SEEN_AT] = now
        return ""


TRACKED_AT = "loom_device_tracked_at"
TRACKED_CLIENT = "loom_device_client"


class DeviceActivityMiddleware:
    """Keeps the signed-in devices list (allauth.usersessions) current, cheaply.

    allauth's own middleware reads and rewrites the device row on every request.
    The list only needs "last active" to the minute, so the row is refreshed when
    the session has not been tracked yet, when a minute has passed, or when the
    IP address or browser changed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if (
            session is not None
            and session.session_key
            and user is not None
            and user.is_authenticated
        ):
            from allauth.usersessions.models import UserSession

            now = int(time.time())
            client = f"{request.META.get('REMOTE_ADDR', '')}|{request.META.get('HTTP_USER_AGENT', '')[:200]}"
            stale = now - int(session.get(TRACKED_AT, 0) or 0) >= SEEN_WRITE_INTERVAL
            if stale or session.get(TRACKED_CLIENT) != client:
                UserSession.objects.create_from_request(request)
                session[TRACKED_AT] = now
                session[TRACKED_CLIENT] = client
        return self.get_response(request)

"""Calendar pages: the link every email carries, ``.ics`` downloads and private feeds.

* ``/sessions/<id>/?v=<sequence>`` — the role-neutral link in scheduling emails. It
  tells a party who follows an old email that the session has moved (with the new
  time) or was cancelled (with a way to book again); otherwise it goes straight to
  the person's own session page. Anyone else gets a 404.
* ``/sessions/<id>/calendar.ics`` — one session as a calendar file, for its parties.
* ``/account/calendar/`` — a person's private subscription URL: create, replace, revoke.
* ``/calendar/feed/<token>.ics`` — the feed itself, fetched by calendar apps with the
  secret token and no sign-in.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from loom.accounts.models import Role, User
from loom.accounts.permissions import role_required
from loom.accounts.timezones import zone_named
from loom.core.context import system_context
from loom.core.errors import DomainError
from loom.scheduling.calendar_feed import (
    FEED_MAX_AGE_SECONDS,
    NewFeed,
    active_feed_for,
    calendar_feed_create,
    calendar_feed_replace,
    calendar_feed_revoke,
    feed_for_token,
    feed_text,
    feed_throttled,
    get_session_for_party,
    record_fetch,
    session_ics_for,
    session_link_state,
)
from loom.scheduling.emails import format_when
from loom.scheduling.models import Session

feed_owner_required = role_required(Role.COACH, Role.CLIENT)


def _seen_sequence(value: str | None) -> int | None:
    """``?v=`` as a small non-negative integer; anything else counts as absent."""
    if value is None or not value.isascii() or not value.isdecimal() or len(value) > 9:
        return None
    return int(value)


def _detail_url(session: Session, user: User) -> str:
    if user.pk == session.coach_id:
        return reverse("scheduling_coach:detail", args=[session.pk])
    if session.is_group:
        return reverse("scheduling_groups:client_detail", args=[session.pk])
    return reverse("scheduling_client:detail", args=[session.pk])


def _book_again_url(session: Session, user: User) -> str:
    if user.pk == session.coach_id:
        url = reverse("scheduling_coach:book")
        return f"{url}?client={session.client_id}" if session.client_id else url
    if session.is_group:
        return reverse("scheduling_groups:client_list")
    url = reverse("scheduling_client:book")
    return f"{url}?type={session.session_type_id}" if session.session_type.is_active else url


@login_required
@require_http_methods(["GET", "HEAD"])
def session_link(request: HttpRequest, session_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    session = get_session_for_party(user, session_id)
    state = session_link_state(session, viewer=user, seen=_seen_sequence(request.GET.get("v")))
    if state == "current":
        return redirect(_detail_url(session, user))
    context: dict[str, Any] = {"session": session, "state": state}
    if state == "moved":
        own = zone_named(user.timezone)
        coach = zone_named(session.coach_timezone)
        context["when"] = format_when(session.starts_at, session.ends_at, own)
        if own.key != coach.key:
            context["coach_when"] = format_when(session.starts_at, session.ends_at, coach)
        context["detail_url"] = _detail_url(session, user)
    else:
        context["book_url"] = _book_again_url(session, user)
        context["detail_url"] = _detail_url(session, user)
    response = TemplateResponse(request, "scheduling/calendar/session_link.html", context)
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_http_methods(["GET", "HEAD"])
def session_ics(request: HttpRequest, session_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    session = get_session_for_party(user, session_id)
    response = HttpResponse(
        session_ics_for(session, viewer=user), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}.ics"'
    patch_cache_control(response, private=True, no_store=True)
    return response


def _feeds_page(request: HttpRequest, *, new: NewFeed | None = None, status: int = 200) -> Any:
    user: User = request.user  # type: ignore[assignment]
    response = TemplateResponse(
        request,
        "scheduling/calendar/feeds.html",
        {
            "feed": new.feed if new is not None else active_feed_for(user),
            "new_feed": new,
            "past_days": settings.LOOM_CALENDAR_FEED_PAST_DAYS,
        },
        status=status,
    )
    # The page may show the secret URL: keep it out of every cache.
    patch_cache_control(response, private=True, no_store=True)
    return response


@feed_owner_required
@require_http_methods(["GET", "HEAD"])
def feeds(request: HttpRequest) -> HttpResponse:
    return _feeds_page(request)


@feed_owner_required
@require_POST
def feed_create(request: HttpRequest) -> HttpResponse:
    try:
        new = calendar_feed_create(user=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("scheduling_calendar:feeds")
    # Rendered, not redirected: the URL is shown this once and stored nowhere.
    return _feeds_page(request, new=new)


@feed_owner_required
@require_POST
def feed_replace(request: HttpRequest) -> HttpResponse:
    try:
        new = calendar_feed_replace(user=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("scheduling_calendar:feeds")
    messages.success(request, _("Your old calendar link no longer works. Here is the new one."))
    return _feeds_page(request, new=new)


@feed_owner_required
@require_POST
def feed_revoke(request: HttpRequest) -> HttpResponse:
    try:
        calendar_feed_revoke(user=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Your calendar link no longer works. Calendars subscribed to it stop updating."),
        )
    return redirect("scheduling_calendar:feeds")


@require_http_methods(["GET", "HEAD"])
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """A person's sessions for their calendar app: the token is the only credential."""
    now = timezone.now()
    # No one is signed in: the token lookup and the reads are the system's, and only
    # the token's owner's sessions leave this block.
    with system_context():
        found = feed_for_token(token)
        if found is None:
            raise Http404
        if feed_throttled(found):
            response = HttpResponse(
                _("Too many requests for this calendar link. Try again later."),
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = "3600"
            return response
        text = feed_text(found.user, now=now)
        record_fetch(found, now=now)
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="loom.ics"'
    patch_cache_control(response, private=True, max_age=FEED_MAX_AGE_SECONDS)
    return response

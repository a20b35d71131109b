"""In-app notifications and reminder preferences: thin views over the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from loom.accounts.forms import apply_service_error, form_data
from loom.accounts.models import User
from loom.core.errors import DomainError, NotFound
from loom.core.notices import KINDS
from loom.notifications.forms import NotificationPreferencesForm
from loom.notifications.preferences import notification_preferences_update, preferences_for
from loom.notifications.selectors import notifications_page, unread_count
from loom.notifications.services import (
    email_unsubscribe,
    notification_mark_read,
    notifications_mark_all_read,
)
from loom.notifications.tokens import BadUnsubscribeToken, scope_kinds, unsubscribe_token_read


@login_required
@require_http_methods(["GET"])
def notification_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    page = notifications_page(user=user, page=request.GET.get("page", 1))
    return TemplateResponse(
        request,
        "notifications/list.html",
        {"page_obj": page, "notifications": page.object_list, "unread": unread_count(user)},
    )


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    notifications_mark_all_read(user=user)
    messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        notification_mark_read(user=user, notification_id=notification_id)
    except NotFound as exc:
        raise Http404 from exc
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = NotificationPreferencesForm(form_data(request), user=user, prefs=preferences_for(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notification_preferences_update(
                user=user,
                cells=form.cells(),
                quiet_start=data["quiet_start"],
                quiet_end=data["quiet_end"],
                messages_digest=data["messages_digest"],
                activity_digest=data["activity_digest"],
                daily_digest_hour=data["daily_digest_hour"],
            )
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Your notification choices are saved."))
            return redirect("notifications:preferences")
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(
        request,
        "notifications/preferences.html",
        {"form": form, "time_zone": user.timezone},
        status=status,
    )


def _bad_unsubscribe_link(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "notifications/unsubscribe_invalid.html", status=400)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every notice email. Needs no sign-in: the signed token says who.

    GET asks for confirmation (mail scanners follow links; only a POST changes
    anything). POST turns the emails off — also the RFC 8058 one-click POST a mail
    client sends by itself, without cookies, hence no CSRF check: the token is the
    proof, and all it can do is stop emails.
    """
    try:
        user_id, scope = unsubscribe_token_read(token)
    except BadUnsubscribeToken:
        return _bad_unsubscribe_link(request)
    kinds = scope_kinds(scope)
    context = {"kinds": [KINDS[kind] for kind in kinds], "token": token}
    if request.method == "GET":
        return TemplateResponse(request, "notifications/unsubscribe.html", context)
    try:
        email_unsubscribe(user_id=user_id, scope=scope)
    except NotFound:
        return _bad_unsubscribe_link(request)
    if request.POST.get("List-Unsubscribe") == "One-Click":
        return HttpResponse(_("You will get no more emails like this."), content_type="text/plain")
    return TemplateResponse(request, "notifications/unsubscribe.html", {**context, "done": True})

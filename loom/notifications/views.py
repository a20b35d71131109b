"""In-app notifications and reminder preferences: thin views over the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from loom.accounts.forms import apply_service_error, form_data
from loom.accounts.models import User
from loom.core.errors import DomainError, NotFound
from loom.notifications.forms import ReminderPreferencesForm
from loom.notifications.selectors import notifications_page, unread_count
from loom.notifications.services import notification_mark_read, notifications_mark_all_read
from loom.scheduling.reminders import reminder_preferences_for, reminder_preferences_update


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
    current = reminder_preferences_for(user)
    form = ReminderPreferencesForm(
        form_data(request),
        user=user,
        initial={
            "quiet_start": current.quiet_start,
            "quiet_end": current.quiet_end,
            "email_reminders": current.email_reminders,
            "sms_reminders": current.sms_reminders,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reminder_preferences_update(
                user=user,
                quiet_start=data["quiet_start"],
                quiet_end=data["quiet_end"],
                email_reminders=data["email_reminders"],
                sms_reminders=bool(data["sms_reminders"]) and form.phone_verified,
            )
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Your reminder choices are saved."))
            return redirect("notifications:preferences")
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(
        request,
        "notifications/preferences.html",
        {"form": form, "time_zone": user.timezone},
        status=status,
    )

"""Admin-area page for system announcements: the list and the form to send one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from loom.accounts.forms import form_data
from loom.accounts.models import User
from loom.accounts.permissions import admin_required
from loom.notifications.announcements import announcement_create, announcements_page
from loom.notifications.forms import AnnouncementForm


@admin_required
@require_http_methods(["GET", "POST"])
def announcements(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = AnnouncementForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            announcement_create(
                actor=user,
                audience=data["audience"],
                title_en=data["title_en"],
                body_en=data["body_en"],
                title_he=data["title_he"],
                body_he=data["body_he"],
            )
        except ValidationError as exc:
            # Field errors land on their fields (the service names them).
            form.add_error(None, exc)
        else:
            messages.success(request, _("The announcement is on its way."))
            return redirect("admin_area:announcements")
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(
        request,
        "notifications/admin_announcements.html",
        {"form": form, "page_obj": announcements_page(page=request.GET.get("page", 1))},
        status=status,
    )

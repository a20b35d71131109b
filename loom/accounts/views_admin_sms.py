"""Admin pages of the security area: the demo SMS log and the site security policy."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from loom.accounts.mfa_policy import security_policy_current, security_policy_update
from loom.accounts.models import SmsMessageLog
from loom.accounts.permissions import admin_required
from loom.accounts.views_security import SecurityPolicyForm

SMS_LOG_PAGE_SIZE = 50


@admin_required
@require_http_methods(["GET"])
def sms_log(request: HttpRequest) -> HttpResponse:
    """Texts given to the development SMS backend. Only in demo mode: they hold live codes."""
    if not settings.LOOM_DEMO_MODE:
        raise Http404
    page = Paginator(
        SmsMessageLog.objects.order_by("-created_at", "-pk"), SMS_LOG_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return TemplateResponse(request, "accounts/security/admin_sms.html", {"page_obj": page})


@admin_required
@require_http_methods(["GET", "POST"])
def security_policy(request: HttpRequest) -> HttpResponse:
    policy = security_policy_current()
    if request.method == "POST":
        form = SecurityPolicyForm(request.POST)
        if form.is_valid():
            security_policy_update(
                actor=request.user, require_coach_mfa=form.cleaned_data["require_coach_mfa"]
            )
            messages.success(request, gettext("Security settings saved."))
            return redirect("admin_area:security")
        status = 400
    else:
        form = SecurityPolicyForm(initial={"require_coach_mfa": policy.require_coach_mfa})
        status = 200
    return TemplateResponse(
        request,
        "accounts/security/admin_security.html",
        {"form": form, "env_requires_coach_mfa": settings.LOOM_REQUIRE_MFA_FOR_COACHES},
        status=status,
    )

"""Landing page, the role dispatcher and the role home pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from loom.accounts.permissions import admin_required, client_required, coach_required, home_url_name
from loom.accounts.views_onboarding import onboarding_gate


def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(home_url_name(request.user))
    return TemplateResponse(request, "web/landing.html")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(home_url_name(request.user))


@coach_required
@onboarding_gate
def coach_home(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "web/coach_home.html")


@client_required
@onboarding_gate
def client_home(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "web/client_home.html")


@admin_required
def admin_home(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "web/admin_home.html")

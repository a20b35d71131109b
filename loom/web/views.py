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
    # The "Today" card: the rest of today's sessions and the requests waiting (2 queries).
    from django.utils import timezone

    from loom.scheduling.selectors import coach_rest_of_today, pending_request_count

    now = timezone.now()
    coach = request.user
    return TemplateResponse(
        request,
        "web/coach_home.html",
        {
            "today_sessions": coach_rest_of_today(coach, now=now),  # type: ignore[arg-type]
            "pending_count": pending_request_count(coach, now=now),  # type: ignore[arg-type]
        },
    )


@client_required
@onboarding_gate
def client_home(request: HttpRequest) -> HttpResponse:
    # The sessions card: the next session (with its meeting link) and open action items.
    from loom.scheduling.views_client import client_home_card

    return TemplateResponse(request, "web/client_home.html", client_home_card(request.user))  # type: ignore[arg-type]


@admin_required
def admin_home(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "web/admin_home.html")

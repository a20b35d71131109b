"""The NPS survey's answer and dismiss endpoints, and the admin results page.

Thin: parse the form, call one service (``loom.analytics.nps``), then

* with htmx, swap the panel for the thank-you message (or for itself with errors);
* without JavaScript, go back to ``next`` (a path on this site only) with a message,
  or show the survey on a page of its own with the errors (400).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from loom.accounts.models import Role, User
from loom.accounts.permissions import admin_required, home_url_name, role_required
from loom.analytics import nps
from loom.analytics.context_processors import SurveyPanel
from loom.analytics.forms_nps import NpsAnswerForm, NpsDismissForm
from loom.analytics.tables_nps import admin_page_context

survey_required = role_required(Role.COACH, Role.CLIENT)
PANEL = "analytics/nps/_survey.html#panel"
THANKS = "analytics/nps/_survey.html#thanks"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _next_url(request: HttpRequest) -> str:
    """``next`` when it is a path on this site, else the person's home."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(home_url_name(request.user))


def _done(request: HttpRequest, message: str) -> HttpResponse:
    if _htmx(request):
        return TemplateResponse(request, THANKS, {"nps_message": message})
    messages.success(request, message)
    return redirect(_next_url(request))


def _refused(request: HttpRequest, *, form: NpsAnswerForm | None, error: str = "") -> HttpResponse:
    """The survey again, with what was wrong: in place (htmx) or on a page of its own.

    The survey shown is the one really open now (recomputed), not what the request
    claimed; when none is open, only the message.
    """
    offer = nps.nps_offer_for(_user(request))
    panel = SurveyPanel(offer=offer, next_url=_next_url(request)) if offer else None
    context: dict[str, Any] = {
        # The page of its own includes the panel itself (as ``nps_page_panel``); the
        # layout's survey slot stays empty so it does not show twice.
        "nps_survey": panel if _htmx(request) else None,
        "nps_page_panel": panel,
        "nps_form": form,
        "nps_error": error,
        "nps_message": error,
        "back_url": _next_url(request),
    }
    if _htmx(request):
        # 400 all the same: nps.js lets htmx swap this answer in (its default is not to).
        return TemplateResponse(request, PANEL if panel else THANKS, context, status=400)
    return TemplateResponse(request, "analytics/nps/answer.html", context, status=400)


def _session_id(form: NpsDismissForm) -> int | None:
    value = form.cleaned_data.get("session")
    return int(value) if value is not None else None


@survey_required
@require_POST
def answer(request: HttpRequest) -> HttpResponse:
    form = NpsAnswerForm(request.POST)
    if not form.is_valid():
        return _refused(request, form=form)
    try:
        nps.nps_answer(
            user=_user(request),
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
            trigger=form.cleaned_data["trigger"],
            session_id=_session_id(form),
        )
    except nps.NpsSessionNotFound as exc:
        raise Http404(str(exc)) from exc
    except nps.NpsAlreadyAnswered as exc:
        return _done(request, str(exc))
    except (nps.NpsInvalid, nps.NpsNotOffered) as exc:
        if exc.code in ("score", "comment"):
            form.add_error(exc.code, str(exc))
            return _refused(request, form=form)
        return _refused(request, form=form, error=str(exc))
    return _done(request, _("Thank you for your answer. It helps us make Loom better."))


@survey_required
@require_POST
def dismiss(request: HttpRequest) -> HttpResponse:
    form = NpsDismissForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, form=None, error=_("That survey could not be closed. Please try again.")
        )
    try:
        nps.nps_dismiss(
            user=_user(request),
            trigger=form.cleaned_data["trigger"],
            session_id=_session_id(form),
        )
    except nps.NpsSessionNotFound as exc:
        raise Http404(str(exc)) from exc
    except nps.NpsAlreadyAnswered as exc:
        return _done(request, str(exc))
    except (nps.NpsInvalid, nps.NpsNotOffered) as exc:
        return _refused(request, form=None, error=str(exc))
    return _done(request, _("Got it. We will not ask again this month."))


@admin_required
@require_GET
def admin_page(request: HttpRequest) -> HttpResponse:
    days = nps.parse_range(request.GET.get("range"))
    error = "" if days is not None else _("Choose a range of 30, 90 or 365 days.")
    return TemplateResponse(
        request,
        "analytics/nps/admin.html",
        admin_page_context(request, _user(request), days, error=error),
        status=200 if days is not None else 400,
    )

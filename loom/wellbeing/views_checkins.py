"""The client's check-in pages: history (heat map + list), new, detail, edit, delete.

Thin: parse with the form, call one service or selector, render. A check-in that is not
the client's is a 404, the same as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from loom.accounts.models import User
from loom.accounts.permissions import client_required
from loom.accounts.safety import crisis_flash
from loom.core.errors import NotFound
from loom.journal.days import local_today, zone_of
from loom.journal.vocabulary import EMOTIONS, SENSATIONS
from loom.wellbeing import checkins as services
from loom.wellbeing import selectors_checkins as selectors
from loom.wellbeing.forms_checkins import (
    QUADRANT_LABELS,
    CheckInForm,
    initial_from,
    quadrant_of,
)
from loom.wellbeing.models import CheckIn
from loom.wellbeing.vocabulary import COPING_STRATEGIES

LIST_SIZE = 20
HALF_YEAR = 6
YEAR = 12
TOP_EMOTIONS = 3
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
EMOTION_LABELS = {e.key: e.label for e in EMOTIONS}
# The mood meter's grid: energy 10 at the top, pleasantness 1 at the inline start.
METER = {"meter_rows": range(10, 0, -1), "meter_columns": range(1, 11)}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _checkin(user: User, checkin_id: int) -> CheckIn:
    try:
        return selectors.checkin_for_client(user, checkin_id)
    except NotFound:
        raise Http404 from None


def _month(value: str | None) -> dt.date | None:
    match = _MONTH.match(value or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 2000 <= year <= 9999):
        return None
    return dt.date(year, month, 1)


def _view(checkin: CheckIn, viewer_tz: str) -> dict[str, Any]:
    """What the list and the detail page show of a check-in, labels resolved."""
    emotions = sorted(checkin.emotions, key=lambda item: -int(item.get("intensity", 0)))
    local = checkin.occurred_at.astimezone(zone_of(checkin.timezone))
    return {
        "checkin": checkin,
        "local": local,
        # The zone is named only when it is not the one the client is in now (travel).
        "zone": checkin.timezone if checkin.timezone != viewer_tz else "",
        "quadrant": QUADRANT_LABELS.get(quadrant_of(checkin.pleasantness, checkin.energy) or ""),
        "emotions": [
            {"label": EMOTION_LABELS.get(item["emotion"], item["emotion"]), **item}
            for item in emotions
        ],
        "top_emotions": [
            EMOTION_LABELS.get(item["emotion"], item["emotion"]) for item in emotions[:TOP_EMOTIONS]
        ],
        "sensations": [SENSATIONS.get(key, key) for key in checkin.sensations],
        "coping": COPING_STRATEGIES.get(checkin.coping_strategy, ""),
    }


@client_required
@require_http_methods(["GET", "HEAD"])
def checkin_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    today = local_today(user)
    until = _month(request.GET.get("until"))
    # Six months fit a phone's width with readable cells; a year is offered on request.
    months = YEAR if request.GET.get("months") == str(YEAR) else HALF_YEAR
    heat = selectors.heatmap(user, today=today, months=months, end_month=until)
    page = selectors.checkins_page(user, cursor=request.GET.get("cursor"), limit=LIST_SIZE)
    return TemplateResponse(
        request,
        "wellbeing/checkin_list.html",
        {
            "heat": heat,
            "rows": [_view(item, user.timezone) for item in page.items],
            "next_cursor": page.next_cursor,
            "paged": bool(request.GET.get("cursor")),
            "until": until.strftime("%Y-%m") if until else "",
            "months": months,
            "year": months == YEAR,
        },
    )


def _save(request: HttpRequest, form: CheckInForm, checkin: CheckIn | None) -> HttpResponse | None:
    """Run the service for a valid form; a refusal goes back onto the form (None)."""
    user = _user(request)
    kwargs = form.service_kwargs()
    try:
        if checkin is None:
            saved = services.checkin_record(client=user, **kwargs)
        else:
            if request.POST.get("occurred_at", "") == initial_from(checkin)["occurred_at"]:
                # The unchanged time, sent back as shown: keep the stored moment exactly.
                kwargs.pop("occurred_at", None)
            saved = services.checkin_update(client=user, checkin_id=checkin.pk, **kwargs)
    except ValidationError as error:
        form.add_service_errors(error)
        return None
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Check-in saved."))
    if saved.crisis is not None:
        crisis_flash(request, saved.crisis)
    return redirect("wellbeing_checkins:list")


@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def checkin_new(request: HttpRequest) -> HttpResponse:
    quick = request.GET.get("quick") == "1"
    if request.method == "POST":
        form = CheckInForm(request.POST, quick=quick)
        if form.is_valid() and (response := _save(request, form, None)) is not None:
            return response
    else:
        form = CheckInForm(quick=quick)
    return TemplateResponse(
        request,
        "wellbeing/checkin_form.html",
        {"form": form, "quick": quick, "checkin": None, **METER},
        status=400 if form.is_bound else 200,
    )


@client_required
@require_http_methods(["GET", "HEAD"])
def checkin_detail(request: HttpRequest, checkin_id: int) -> HttpResponse:
    user = _user(request)
    checkin = _checkin(user, checkin_id)
    return TemplateResponse(
        request, "wellbeing/checkin_detail.html", {"row": _view(checkin, user.timezone)}
    )


@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def checkin_edit(request: HttpRequest, checkin_id: int) -> HttpResponse:
    user = _user(request)
    checkin = _checkin(user, checkin_id)
    if request.method == "POST":
        form = CheckInForm(request.POST, initial=initial_from(checkin))
        if form.is_valid() and (response := _save(request, form, checkin)) is not None:
            return response
    else:
        form = CheckInForm(initial=initial_from(checkin))
    return TemplateResponse(
        request,
        "wellbeing/checkin_form.html",
        {"form": form, "quick": False, "checkin": checkin, **METER},
        status=400 if form.is_bound else 200,
    )


@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def checkin_delete(request: HttpRequest, checkin_id: int) -> HttpResponse:
    user = _user(request)
    checkin = _checkin(user, checkin_id)
    if request.method == "POST":
        try:
            services.checkin_delete(client=user, checkin_id=checkin.pk)
        except NotFound:
            raise Http404 from None
        messages.success(request, _("Check-in deleted."))
        return redirect("wellbeing_checkins:list")
    return TemplateResponse(
        request, "wellbeing/checkin_delete.html", {"row": _view(checkin, user.timezone)}
    )

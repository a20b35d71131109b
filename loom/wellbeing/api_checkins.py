"""Emotion check-ins (/api/v1/wellbeing/checkins…, /emotions). Clients only.

Thin: each operation calls the same selector or service as the pages. Someone else's
check-in is a 404 problem; a refused value a 422 problem naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from loom.accounts.models import User
from loom.accounts.permissions import require_client
from loom.accounts.safety import CrisisOut
from loom.core.errors import DomainError
from loom.core.schemas import problem_responses
from loom.journal.days import local_today
from loom.journal.vocabulary import EMOTIONS, SENSATIONS
from loom.wellbeing import checkins as services
from loom.wellbeing import selectors_checkins as selectors
from loom.wellbeing.checkins import CheckInSaved
from loom.wellbeing.models import CheckIn
from loom.wellbeing.schemas_checkins import (
    CheckInIn,
    CheckInOut,
    CheckInPageOut,
    CheckInPatch,
    CheckInSavedOut,
    CheckInsQuery,
    DailyQuery,
    DayMoodOut,
    VocabularyOut,
)
from loom.wellbeing.vocabulary import COPING_STRATEGIES

router = Router(tags=["wellbeing: check-ins"])

ERRORS = problem_responses(400, 401, 403, 404, 422)
# The widest window of daily figures one call returns: a year and a day (leap years).
DAILY_DAYS_MAX = 366


class RangeTooWide(DomainError):
    status = 422
    title = "Invalid input"
    code = "range"


def _client(request: HttpRequest) -> User:
    return require_client(request, _("Only clients keep check-ins."))


def checkin_out(checkin: CheckIn) -> dict[str, Any]:
    return {
        "id": checkin.pk,
        "occurred_at": checkin.occurred_at,
        "timezone": checkin.timezone,
        "local_date": checkin.local_date,
        "local_hour": checkin.local_hour,
        "pleasantness": checkin.pleasantness,
        "energy": checkin.energy,
        "emotions": list(checkin.emotions),
        "sensations": list(checkin.sensations),
        "trigger": checkin.trigger,
        "thoughts": checkin.thoughts,
        "behaviour": checkin.behaviour,
        "coping_strategy": checkin.coping_strategy,
        "coping_helped": checkin.coping_helped,
        "sleep_hours": float(checkin.sleep_hours) if checkin.sleep_hours is not None else None,
        "note": checkin.note,
        "created_at": checkin.created_at,
        "updated_at": checkin.updated_at,
        "url": reverse("wellbeing_checkins:detail", args=[checkin.pk]),
    }


def _saved(saved: CheckInSaved) -> dict[str, Any]:
    return {**checkin_out(saved.checkin), "crisis": CrisisOut.from_outcome(saved.crisis)}


@router.get(
    "/checkins",
    response={200: CheckInPageOut, **ERRORS},
    url_name="wellbeing_checkins",
    summary="List check-ins",
)
def checkin_list(request: HttpRequest, query: Query[CheckInsQuery]) -> dict[str, Any]:
    """The caller's check-ins, newest first; `next_cursor` fetches older ones (one query)."""
    page = selectors.checkins_page(_client(request), cursor=query.cursor, limit=query.limit)
    return {"items": [checkin_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/checkins",
    response={201: CheckInSavedOut, **ERRORS},
    url_name="wellbeing_checkin_create",
    summary="Record a check-in",
)
def checkin_create(request: HttpRequest, payload: CheckInIn) -> Status[dict[str, Any]]:
    """Record a check-in. `crisis` is set when the texts suggest the client may be in
    crisis: show its helplines straight away."""
    data = payload.model_dump()
    saved = services.checkin_record(client=_client(request), **data)
    return Status(201, _saved(saved))


@router.get(
    "/checkins/daily",
    response={200: list[DayMoodOut], **ERRORS},
    url_name="wellbeing_checkins_daily",
    summary="Daily mood averages",
)
def checkin_daily(request: HttpRequest, query: Query[DailyQuery]) -> list[dict[str, Any]]:
    """Average mood and energy and the number of check-ins per local day, `start` to
    `end` inclusive (at most 366 days); days without check-ins are left out."""
    client = _client(request)
    end = query.end or local_today(client)
    # The first days of year 1 have no 29 days before them: start there instead of a 500.
    start = query.start or end - dt.timedelta(days=min(29, (end - dt.date.min).days))
    if start > end:
        raise RangeTooWide(_("The start must not be after the end."))
    if (end - start).days >= DAILY_DAYS_MAX:
        raise RangeTooWide(_("Ask for at most %(days)d days at a time.") % {"days": DAILY_DAYS_MAX})
    moods = selectors.daily_moods(client, start=start, end=end)
    return [
        {
            "date": day,
            "avg_pleasantness": round(mood.avg_pleasantness, 2),
            "avg_energy": round(mood.avg_energy, 2),
            "count": mood.count,
        }
        for day, mood in moods.items()
    ]


@router.get(
    "/checkins/{int:checkin_id}",
    response={200: CheckInOut, **ERRORS},
    url_name="wellbeing_checkin",
    summary="Get a check-in",
)
def checkin_get(request: HttpRequest, checkin_id: int) -> dict[str, Any]:
    return checkin_out(selectors.checkin_for_client(_client(request), checkin_id))


@router.patch(
    "/checkins/{int:checkin_id}",
    response={200: CheckInSavedOut, **ERRORS},
    url_name="wellbeing_checkin_update",
    summary="Change a check-in",
)
def checkin_patch(request: HttpRequest, checkin_id: int, payload: CheckInPatch) -> dict[str, Any]:
    """Only the fields sent change. A new `occurred_at` keeps the check-in's own zone."""
    data = payload.model_dump(exclude_unset=True)
    saved = services.checkin_update(client=_client(request), checkin_id=checkin_id, **data)
    return _saved(saved)


@router.delete(
    "/checkins/{int:checkin_id}",
    response={204: None, **ERRORS},
    url_name="wellbeing_checkin_delete",
    summary="Delete a check-in",
)
def checkin_remove(request: HttpRequest, checkin_id: int) -> HttpResponse:
    """Deletes the check-in for good."""
    services.checkin_delete(client=_client(request), checkin_id=checkin_id)
    return HttpResponse(status=204)


@router.get(
    "/emotions",
    response={200: VocabularyOut, **ERRORS},
    url_name="wellbeing_emotions",
    summary="Emotions, sensations and coping strategies",
)
def vocabulary(request: HttpRequest) -> dict[str, Any]:
    """The words a check-in chooses from, with labels in the request's language."""
    _client(request)
    return {
        "emotions": [
            {"key": e.key, "label": str(e.label), "quadrant": e.quadrant} for e in EMOTIONS
        ],
        "sensations": [{"key": k, "label": str(v)} for k, v in SENSATIONS.items()],
        "coping_strategies": [{"key": k, "label": str(v)} for k, v in COPING_STRATEGIES.items()],
    }

"""Authorization matrix rows for the scheduling setup routes (see tests/security/routes.py).

The coach's setup pages are for coaches only; an object of Dana's (a session type, a
date change) is a 404 for Eli. Requests carry empty forms: a form that needs values
answers 400 to its owner, which proves the request got past authorization.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from loom.scheduling.models import AvailabilityOverride, SessionType
from tests.security.matrix import (
    BAD_REQUEST,
    COACH,
    FORBIDDEN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    Route,
    coaches,
    everyone,
    expect,
    redirect,
)
from tests.world import World

TYPES = redirect("scheduling_setup:types")
AVAILABILITY = redirect("scheduling_setup:availability")
API_COACHES_ONLY = expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=OK, other_coach=OK)


def dana_type(world: World) -> dict[str, Any]:
    session_type = SessionType.objects.create(
        coach=world.dana, name_en="Matrix setup type", duration_minutes=45
    )
    return {"session_type_id": session_type.pk}


def dana_override(world: World) -> dict[str, Any]:
    override = AvailabilityOverride.objects.create(
        coach=world.dana, date=timezone.now().date() + timedelta(days=20), kind="unavailable_day"
    )
    return {"override_id": override.pk}


ROUTES: tuple[Route, ...] = (
    Route("coach/scheduling/types/", get=coaches(OK), post=coaches(NOT_ALLOWED)),
    Route("coach/scheduling/types/new/", get=coaches(OK), post=coaches(BAD_REQUEST)),
    Route(
        "coach/scheduling/types/<int:session_type_id>/",
        args=dana_type,
        missing=COACH,
        get=coaches(OK, other_coach=NOT_FOUND),
        post=coaches(BAD_REQUEST, other_coach=NOT_FOUND),
    ),
    Route(
        "coach/scheduling/types/<int:session_type_id>/deactivate/",
        args=dana_type,
        missing=COACH,
        get=coaches(NOT_ALLOWED),
        post=coaches(TYPES, other_coach=NOT_FOUND),
    ),
    Route(
        "coach/scheduling/types/<int:session_type_id>/reactivate/",
        args=dana_type,
        missing=COACH,
        get=coaches(NOT_ALLOWED),
        post=coaches(TYPES, other_coach=NOT_FOUND),
    ),
    Route(
        "coach/scheduling/availability/",
        get=coaches(OK),
        post=coaches(AVAILABILITY),
        note="An empty week form clears the weekly hours: saving is all or nothing.",
    ),
    Route(
        "coach/scheduling/availability/overrides/",
        get=coaches(NOT_ALLOWED),
        post=coaches(BAD_REQUEST),
    ),
    Route(
        "coach/scheduling/availability/overrides/<int:override_id>/remove/",
        args=dana_override,
        missing=COACH,
        get=coaches(NOT_ALLOWED),
        post=coaches(AVAILABILITY, other_coach=NOT_FOUND),
    ),
    Route("coach/scheduling/settings/", get=coaches(OK), post=coaches(BAD_REQUEST)),
    Route(
        "api/v1/scheduling/settings",
        data={
            "cancellation_cutoff_hours": 24,
            "reminder_offsets_minutes": [1440, 60],
            "own_meeting_url": "",
        },
        get=API_COACHES_ONLY,
        post=everyone(NOT_ALLOWED),
        other={"PUT": API_COACHES_ONLY},
    ),
)

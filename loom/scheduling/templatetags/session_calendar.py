"""Template tags of the session pages' calendar panel.

``{% session_calendar_links session %}`` shows, for the signed-in viewer (read from
``request.user`` in the context): how to join — a Join button for a video session, the
address with a map link for an in-person one, "Phone call" otherwise — and, for a
scheduled session, "Add to calendar" (an ``.ics`` download, Google Calendar and
Outlook.com). It renders nothing for someone who is not a party to the session, and
it shows nobody's contact details.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

from loom.scheduling.calendar_feed import (
    google_calendar_url,
    is_party,
    outlook_calendar_url,
)
from loom.scheduling.models import (
    LocationKind,
    SeatStatus,
    Session,
    SessionSeat,
    SessionStatus,
)
from loom.scheduling.video import visible_meeting_url

register = template.Library()

MAPS_SEARCH_URL = "https://www.google.com/maps/search/?"


@register.inclusion_tag("scheduling/calendar/_links.html", takes_context=True)
def session_calendar_links(context: template.Context, session: Session) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not isinstance(session, Session) or not is_party(session, user):
        return {"visible": False}
    kind = session.session_type.location_kind
    closed = session.status in (SessionStatus.CANCELLED, SessionStatus.DECLINED) or (
        # A client whose seat in a group session was released no longer attends it.
        session.is_group
        and user.pk != session.coach_id
        and not SessionSeat.objects.filter(
            session=session, client=user, status=SeatStatus.TAKEN
        ).exists()
    )
    address = session.session_type.address if kind == LocationKind.IN_PERSON else ""
    addable = session.status == SessionStatus.SCHEDULED and not closed
    return {
        "visible": True,
        "session": session,
        "closed": closed,
        "kind": kind,
        "meeting_url": "" if closed else visible_meeting_url(session),
        "address": address,
        "maps_url": MAPS_SEARCH_URL + urlencode({"api": "1", "query": address}) if address else "",
        "addable": addable,
        "ics_url": reverse("scheduling_calendar:session_ics", args=[session.pk]) if addable else "",
        "google_url": google_calendar_url(session, viewer=user) if addable else "",
        "outlook_url": outlook_calendar_url(session, viewer=user) if addable else "",
    }

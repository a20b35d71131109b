"""Template tags of the session pages' groups panel.

``{% session_group_panel session %}`` shows the viewer (``request.user``) a group
session's seats: the coach gets every attendee by name, their seat state and late
flags, and the waitlist; a client gets the numbers ("3 of 8 seats taken"), their own
seat, their own place on the waitlist or an offer to accept — never another
attendee. A one-to-one session, or anyone else, renders nothing.
"""

from __future__ import annotations

from typing import Any

from django import template

from loom.scheduling.group_selectors import group_panel_for
from loom.scheduling.models import Session

register = template.Library()


@register.inclusion_tag("scheduling/groups/panel.html", takes_context=True)
def session_group_panel(context: template.Context, session: Session | None) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or session is None:
        return {"panel": None}
    return {
        "panel": group_panel_for(user, session),
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request is not None else "",
    }

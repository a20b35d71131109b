"""Template tags of the session pages' reminders panel.

    {% load session_reminders %}
    {% session_reminders_panel session %}

Shows the viewer's own reminders of the session (channel, when, status with the
reason in words). The coach also sees, per client, how many of their reminders went
out — names only, never an address or a phone number. A client sees only their own.
"""

from __future__ import annotations

from typing import Any

from django import template

from loom.scheduling.models import Session
from loom.scheduling.reminders import reminder_panel_for

register = template.Library()


@register.inclusion_tag("scheduling/reminders/panel.html", takes_context=True)
def session_reminders_panel(context: template.Context, session: Session) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return {"panel": None, "session": session}
    return {
        "panel": reminder_panel_for(session=session, user=user),
        "session": session,
        "request": request,
    }

"""Template tags of the session pages' notes panel.

``{% session_notes_panel session %}`` shows the viewer (``request.user``) what they may
see of a session's notes: the coach gets the private note (marked as theirs alone),
the summary, action items, the clients' preparation and reflection and the files; a
client gets the shared summary, their own action items with done toggles, their own
preparation and reflection forms and the files. Anyone else gets nothing. The forms
post to ``scheduling_notes:*`` and come back to the page the panel is on.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.http import Http404

from loom.core.uploads import file_size_label
from loom.scheduling.models import SessionStatus
from loom.scheduling.note_selectors import notes_panel_for

register = template.Library()

_CLOSED = (SessionStatus.CANCELLED, SessionStatus.DECLINED)


@register.inclusion_tag("scheduling/notes/panel.html", takes_context=True)
def session_notes_panel(context: template.Context, session: Any) -> dict[str, Any]:
    # Imported here: the views import this library's selectors, not the other way round.
    from loom.scheduling.note_services import preparation_open, reflection_open
    from loom.scheduling.views_notes import panel_forms

    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or session is None:
        return {"panel": None}
    try:
        panel = notes_panel_for(user, session)
    except Http404:
        return {"panel": None}
    bound = context.get("notes_forms") if context.get("session") == session else None
    panel.forms = panel_forms(panel, bound)
    panel.next = request.get_full_path()
    panel.preparation_open = not panel.is_coach and preparation_open(session)
    panel.reflection_open = not panel.is_coach and reflection_open(session)
    panel.is_open = session.status not in _CLOSED
    return {"panel": panel, "request": request, "csrf_token": context.get("csrf_token")}


@register.filter
def notes_file_size(value: int | None) -> str:
    return file_size_label(int(value or 0))

"""``{% coach_client_sessions client %}``: a client's sessions on the coach's roster page.

The roster's client page belongs to ``loom.accounts``, which may not import
scheduling; its "Sessions" tab loads this tag library instead. The signed-in coach
(``request.user``) sees this client's upcoming and recent sessions with them, each
linked to its session page, and a button to book one.
"""

from __future__ import annotations

from typing import Any

from django import template

from loom.accounts.models import Role, User
from loom.scheduling.emails import format_when
from loom.scheduling.selectors import coach_zone, sessions_of_client_with_coach

register = template.Library()


@register.inclusion_tag("scheduling/coach/_client_sessions.html", takes_context=True)
def coach_client_sessions(
    context: template.Context, client: User, archived: bool = False
) -> dict[str, Any]:
    request = context.get("request")
    coach = getattr(request, "user", None)
    if coach is None or not coach.is_authenticated or coach.role != Role.COACH:
        return {"show": False}
    zone = coach_zone(coach)
    upcoming, past = sessions_of_client_with_coach(coach, client)

    def rows(sessions: list[Any]) -> list[dict[str, Any]]:
        return [
            {"session": session, "when": format_when(session.starts_at, session.ends_at, zone)}
            for session in sessions
        ]

    return {
        "show": True,
        "client": client,
        "archived": archived,
        "upcoming": rows(upcoming),
        "past": rows(past),
    }

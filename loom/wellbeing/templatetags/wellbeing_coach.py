"""The progress tab of a coach's client page and the roster's wellbeing summaries.

    {% load wellbeing_coach %}
    {% coach_client_progress request client %}        the client page's Progress tab
    {% roster_wellbeing request entries as summaries %} one dict for the whole roster page
    {{ summaries|wellbeing_summary:entry.id }}          one client's summary (or None)

Both read through ``loom.wellbeing.progress`` (only what the client shared or the coach
owns) in a constant number of queries; for anyone but a coach they show nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.http import Http404

from loom.accounts.models import Role
from loom.wellbeing import progress
from loom.wellbeing.views_progress import mood_chart

register = template.Library()


def _coach(request: Any) -> Any:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role != Role.COACH:
        return None
    return user


@register.inclusion_tag("wellbeing/coach_progress.html")
def coach_client_progress(request: Any, client: Any) -> dict[str, Any]:
    coach = _coach(request)
    if coach is None or client is None:
        return {"show": False}
    try:
        data = progress.coach_client_progress(coach, client.pk)
    except Http404:
        return {"show": False}
    chart = None
    if data.shares_checkins and data.start is not None:
        chart = mood_chart(
            "coach-mood-chart",
            data.points,
            start=data.start,
            end=data.today,
            range_days=progress.COACH_RANGE,
        )
    return {"show": True, "progress": data, "chart": chart, "coach_id": coach.pk}


@register.simple_tag
def roster_wellbeing(request: Any, entries: Iterable[Any]) -> dict[int, progress.RosterSummary]:
    """Summaries for the clients among the roster page's ``entries`` (invitations are
    skipped), keyed by client id."""
    coach = _coach(request)
    if coach is None:
        return {}
    ids = [entry.id for entry in entries if not getattr(entry, "is_invitation", False)]
    return progress.roster_summaries(coach, ids)


@register.filter
def wellbeing_summary(summaries: Mapping[int, Any] | None, client_id: Any) -> Any:
    if not summaries:
        return None
    try:
        return summaries.get(int(client_id))
    except (TypeError, ValueError):
        return None

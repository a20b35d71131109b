"""The Journal tab of a coach's client page: the entries the client shared with them.

    {% load journal_coach %}{% coach_client_journal request client %}

Two queries whatever the journal's length (the roster link, one keyset page with
comment counts) plus the audit row: showing the list is opening the client's shared
journal (DESIGN.md rule 3). ``?cursor=`` on the tab's URL pages back in time.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from loom.accounts.models import CoachClient, Role
from loom.core.errors import DomainError
from loom.journal.selectors_coach import excerpt, shared_entries_for_coach

register = template.Library()


@register.inclusion_tag("journal/coach_journal_tab.html")
def coach_client_journal(request: Any, client: Any) -> dict[str, Any]:
    coach = getattr(request, "user", None)
    if coach is None or not coach.is_authenticated or coach.role != Role.COACH or client is None:
        return {"show": False}
    active = CoachClient.objects.filter(
        coach_id=coach.pk, client_id=client.pk, status=CoachClient.Status.ACTIVE
    ).exists()
    base = {"show": True, "client": client, "request": request}
    if not active:
        return {**base, "archived": True}
    cursor = request.GET.get("cursor") or None
    bad_cursor = False
    try:
        page = shared_entries_for_coach(coach, client.pk, cursor=cursor)
    except DomainError:
        bad_cursor = True
        page = shared_entries_for_coach(coach, client.pk, cursor=None)
    tab_url = reverse("coach:client_tab", args=[client.pk, "journal"])
    return {
        **base,
        "rows": [{"entry": entry, "excerpt": excerpt(entry)} for entry in page.items],
        "older_url": f"{tab_url}?cursor={page.next_cursor}" if page.next_cursor else "",
        "newest_url": tab_url if cursor and not bad_cursor else "",
        "bad_cursor": bad_cursor,
        "prompts_url": reverse("journal_coach:prompts"),
    }

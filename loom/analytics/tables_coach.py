"""The coach analytics' tables (registered with ``loom.analytics.tables``).

Each table's rows come from ``selectors_coach`` for the *viewer* — the coach asking,
on the page or in an export — so an export can only ever hold the requester's own
practice: there is no parameter that names a coach. ``params`` carry only the range,
the inactivity threshold and the sort, as the page's query string has them; they are
validated again by the same form as the page (bad values give the default range).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from loom.accounts.models import Role
from loom.analytics import selectors_coach as selectors
from loom.analytics.tables import Cell, Column, Table, register_table

PARAM_KEYS = ("range", "start", "end", "attention", "sort")
PARAM_MAX = 32


def clean_params(query: Mapping[str, str]) -> dict[str, Any]:
    """The page's own query keys, as short strings (anything else is dropped)."""
    cleaned = {}
    for key in PARAM_KEYS:
        value = query.get(key)
        if isinstance(value, str) and value and len(value) <= PARAM_MAX:
            cleaned[key] = value
    return cleaned


def _is_coach(viewer: Any) -> bool:
    return getattr(viewer, "role", None) == Role.COACH


def _choice(viewer: Any, params: Mapping[str, Any]) -> selectors.Choice:
    return selectors.choice_from_query(viewer, params)


def sessions_per_week_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    if not _is_coach(viewer):
        return []
    choice = _choice(viewer, params)
    return [
        (
            row.week,
            row.counts.completed,
            row.counts.cancelled_by_client,
            row.counts.late_cancellations,
            row.counts.cancelled_by_coach,
            row.counts.no_shows,
            row.counts.scheduled,
            row.counts.completion_rate,
        )
        for row in selectors.sessions_per_week(viewer, choice.range)
    ]


def engagement_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    if not _is_coach(viewer):
        return []
    choice = _choice(viewer, params)
    key, descending = selectors.parse_sort(params.get("sort"))
    rows = selectors.sort_engagement(
        selectors.client_engagement(viewer, choice.range), key, descending
    )
    return [
        (
            row.name,
            row.last_activity,
            row.sessions_completed,
            row.next_session,
            row.checkin_streak,
            row.last_checkin,
            row.resources_completed,
            row.messages,
            row.open_action_items,
        )
        for row in rows
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def totals_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    if not _is_coach(viewer):
        return []
    choice = _choice(viewer, params)
    _weeks, totals, previous = selectors.sessions_with_totals(viewer, choice.range)
    return [
        (item.label, _round(item.current), _round(item.previous), _round(item.change))
        for item in selectors.compare_totals(totals, previous)
    ]


def attention_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    if not _is_coach(viewer):
        return []
    choice = _choice(viewer, params)
    rows = selectors.client_engagement(viewer, choice.range)
    return [
        (item.name, reason.text)
        for item in selectors.attention_list(rows, days=choice.attention_days)
        for reason in item.reasons
    ]


CLIENT = Column("client", _("Client"))

SESSIONS_PER_WEEK = register_table(
    Table(
        key="coach_sessions_per_week",
        title=_("Sessions per week"),
        audience="coach",
        columns=(
            Column("week", _("Week of"), "date"),
            Column("completed", pgettext_lazy("sessions", "Completed"), "int"),
            Column("cancelled_by_client", _("Cancelled by client"), "int"),
            Column("late_cancellations", _("Late cancellations"), "int"),
            Column("cancelled_by_coach", _("Cancelled by coach"), "int"),
            Column("no_shows", _("No-shows"), "int"),
            Column("scheduled", pgettext_lazy("sessions", "Scheduled"), "int"),
            Column("completion_rate", _("Completion rate"), "percent"),
        ),
        rows=sessions_per_week_rows,
        clean_params=clean_params,
    )
)

SESSION_TOTALS = register_table(
    Table(
        key="coach_session_totals",
        title=_("Session totals"),
        audience="coach",
        # One kind for every row: the completion rate's row holds its percentage as a
        # plain figure like the counts (its label names it).
        columns=(
            Column("figure", _("Figure")),
            Column("this_range", _("This range"), "float"),
            Column("previous_range", _("Previous range"), "float"),
            Column("change", _("Change"), "float"),
        ),
        rows=totals_rows,
        clean_params=clean_params,
    )
)

ENGAGEMENT = register_table(
    Table(
        key="coach_client_engagement",
        title=_("Client engagement"),
        audience="coach",
        columns=(
            CLIENT,
            Column("last_activity", _("Last activity"), "datetime"),
            Column("sessions_completed", _("Sessions completed"), "int"),
            Column("next_session", _("Next session"), "datetime"),
            Column("checkin_streak", _("Check-in streak (days)"), "int"),
            Column("last_checkin", _("Last check-in"), "datetime"),
            Column("resources_completed", _("Resources completed"), "int"),
            Column("messages", _("Messages"), "int"),
            Column("open_action_items", _("Open action items"), "int"),
        ),
        rows=engagement_rows,
        clean_params=clean_params,
    )
)

ATTENTION = register_table(
    Table(
        key="coach_attention",
        title=_("Clients who may need attention"),
        audience="coach",
        columns=(CLIENT, Column("reason", _("Reason"))),
        rows=attention_rows,
        clean_params=clean_params,
    )
)

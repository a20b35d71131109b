"""The export buttons under a dashboard table.

    {% load analytics_exports %}
    {% export_buttons "coach_sessions_per_week" request.GET %}

renders a small form that POSTs to ``analytics_exports:new`` with two buttons,
"Download CSV" and "Download Excel", whose accessible names carry the table's title
("Download CSV of Sessions per week"). ``params`` (the page's query: a ``QueryDict`` or
any mapping) travels as hidden ``q.<name>`` fields, so the export is cleaned by the
table's own ``clean_params`` exactly as the page was. The buttons render nothing for a
viewer whose role is not the table's audience. An unknown table key is a programming
error and fails loudly rather than silently dropping the buttons.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django import template
from django.http import QueryDict

from loom.analytics.exports import PARAM_PREFIX, audience_allows
from loom.analytics.tables import table_for

register = template.Library()


def _as_text(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


def hidden_params(params: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs of the hidden fields, in a stable order."""
    if not params:
        return []
    items = params.items() if not isinstance(params, QueryDict) else params.dict().items()
    return [
        (f"{PARAM_PREFIX}{key}", _as_text(value))
        for key, value in sorted(items)
        if value is not None and key
    ]


@register.inclusion_tag("analytics/exports/_buttons.html", takes_context=True)
def export_buttons(
    context: template.Context, table_key: str, params: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    table = table_for(table_key)
    if table is None:
        raise template.TemplateSyntaxError(f"No analytics table is called {table_key!r}.")
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "show": audience_allows(user, table),
        "table": table,
        "hidden": hidden_params(params),
        "csrf_token": context.get("csrf_token"),
    }

"""Tables registered for the export tests, and the ``export_buttons`` tag's own tests.

The dashboards' real tables come and go with their pages; these stay put so the export
machinery is tested on its own:

* ``test_exports.static`` (coach): whatever ``STATIC.rows`` holds, recording who was
  acting and in which language and zone ``rows`` ran;
* ``test_exports.activity`` (coach): daily activity read with **no** scoping of its own,
  so only row-level security keeps a coach to their clients (the PostgreSQL test);
* ``test_exports.admin`` (admin): one fixed row;
* ``test_exports.broken`` (coach): ``rows`` fails half-way with data in the message.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.http import QueryDict
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from loom.analytics.models import DailyActivity
from loom.analytics.tables import Column, Table, register_table, table_for
from loom.core.context import acting_user_var
from tests.world import World


@dataclass
class StaticRows:
    rows: list[Sequence[Any]] = field(default_factory=list)
    seen: list[dict[str, Any]] = field(default_factory=list)


STATIC = StaticRows()


def _static_rows(viewer: Any, params: Mapping[str, Any]) -> Iterator[Sequence[Any]]:
    STATIC.seen.append(
        {
            "viewer": viewer.pk,
            "acting": acting_user_var.get(),
            "language": translation.get_language(),
            "zone": timezone.get_current_timezone_name(),
            "params": dict(params),
        }
    )
    yield from STATIC.rows


def _clean_static(query: Mapping[str, str]) -> dict[str, Any]:
    days = query.get("days", "30")
    if not days.isdigit() or not 1 <= int(days) <= 365:
        raise ValueError("days")
    return {"days": int(days), "segment": query.get("segment", "all")}


STATIC_COLUMNS = (
    Column("name", gettext_lazy("Name")),
    Column("day", gettext_lazy("Date"), "date"),
    Column("at", gettext_lazy("Status"), "datetime"),
    Column("count", gettext_lazy("Sessions"), "int"),
    Column("share", "Share", "percent"),
    Column("average", "Average", "float"),
    Column("time", "Time", "duration"),
)

STATIC_TABLE = register_table(
    Table(
        key="test_exports.static",
        title="Sessions per week",
        audience="coach",
        columns=STATIC_COLUMNS,
        rows=_static_rows,
        clean_params=_clean_static,
    )
)


def _activity_rows(viewer: Any, params: Mapping[str, Any]) -> Iterator[Sequence[Any]]:
    # No filter on purpose: the point is that row-level security alone scopes it.
    for row in DailyActivity.objects.select_related("user").order_by("user__email", "day"):
        yield (row.user.email, row.day, row.visits)


ACTIVITY_TABLE = register_table(
    Table(
        key="test_exports.activity",
        title="Client activity",
        audience="coach",
        columns=(
            Column("email", "Email"),
            Column("day", "Day", "date"),
            Column("visits", "Visits", "int"),
        ),
        rows=_activity_rows,
    )
)

ADMIN_TABLE = register_table(
    Table(
        key="test_exports.admin",
        title="Coaches at baseline",
        audience="admin",
        columns=(Column("coach", "Coach"), Column("share", "Share", "percent")),
        rows=lambda viewer, params: [("Dana Levi", 50.0)],
    )
)


def _broken_rows(viewer: Any, params: Mapping[str, Any]) -> Iterator[Sequence[Any]]:
    yield ("Avi Mizrahi", None, None, 1, None, None, None)
    raise RuntimeError("secret journal text of Avi")


BROKEN_TABLE = register_table(
    Table(
        key="test_exports.broken",
        title="Broken",
        audience="coach",
        columns=STATIC_COLUMNS,
        rows=_broken_rows,
    )
)


@contextmanager
def fresh_static_rows() -> Iterator[StaticRows]:
    """``STATIC`` emptied for one test (each test module wraps it in a fixture)."""
    STATIC.rows = []
    STATIC.seen = []
    try:
        yield STATIC
    finally:
        STATIC.rows = []
        STATIC.seen = []


# --- The export_buttons tag ------------------------------------------------------------------


def _render(user: Any, source: str, **context: Any) -> str:
    request = RequestFactory().get("/coach/analytics/?days=7&segment=<b>")
    request.user = user
    return Template("{% load analytics_exports %}" + source).render(
        Context({"request": request, "csrf_token": "token", **context})
    )


def test_buttons_post_to_new_with_the_table_and_the_page_query(world: World) -> None:
    html = _render(world.dana, '{% export_buttons "test_exports.static" request.GET %}')
    assert 'action="/exports/new/"' in html
    assert 'method="post"' in html
    assert 'name="csrfmiddlewaretoken" value="token"' in html
    assert '<input type="hidden" name="table" value="test_exports.static">' in html
    assert '<input type="hidden" name="q.days" value="7">' in html
    # Escaped like any other value.
    assert '<input type="hidden" name="q.segment" value="&lt;b&gt;">' in html
    assert 'name="format" value="csv"' in html
    assert 'name="format" value="xlsx"' in html


def test_buttons_accessible_names_carry_the_table_title(world: World) -> None:
    html = _render(world.dana, '{% export_buttons "test_exports.static" %}')
    assert 'Download CSV<span class="visually-hidden"> of Sessions per week</span></button>' in html
    assert (
        'Download Excel<span class="visually-hidden"> of Sessions per week</span></button>' in html
    )
    assert 'name="q.' not in html


def test_buttons_take_a_plain_mapping_with_dates(world: World) -> None:
    from datetime import date

    html = _render(
        world.dana,
        "{% export_buttons key params %}",
        key="test_exports.static",
        params={"start": date(2026, 11, 1), "days": 7, "none": None},
    )
    assert 'name="q.start" value="2026-11-01"' in html
    assert 'name="q.days" value="7"' in html
    assert "q.none" not in html


def test_buttons_show_nothing_to_another_audience(world: World) -> None:
    assert "<form" not in _render(world.admin, '{% export_buttons "test_exports.static" %}')
    assert "<form" not in _render(world.dana, '{% export_buttons "test_exports.admin" %}')
    assert "<form" not in _render(world.avi, '{% export_buttons "test_exports.static" %}')
    assert "<form" in _render(world.admin, '{% export_buttons "test_exports.admin" %}')


def test_buttons_for_an_unknown_table_fail_loudly(world: World) -> None:
    with pytest.raises(TemplateSyntaxError, match="no-such-table"):
        _render(world.dana, '{% export_buttons "no-such-table" %}')


def test_buttons_query_dict_keeps_last_value(world: World) -> None:
    from loom.analytics.templatetags.analytics_exports import hidden_params

    assert hidden_params(QueryDict("a=1&a=2&b=")) == [("q.a", "2"), ("q.b", "")]
    assert table_for("test_exports.static") is STATIC_TABLE

"""The tables shown on the analytics dashboards, declared once for the page and the export.

Each dashboard module declares its tables with ``register_table``: a key, a title, its
columns and a function that yields the rows for a viewer and the page's parameters
(date range, segment, …). The page renders the same rows the export writes, so a
download always matches what was on screen. ``loom.analytics.exports`` looks tables up
here by key, checks ``audience`` against the requester, and writes CSV or XLSX in the
requester's language and time zone.

Cells hold plain values (``str``, ``int``, ``float``, ``Decimal``, ``date``, aware
``datetime``, ``timedelta`` or ``None``); the column's ``kind`` says how to show them.
A cell never holds anything a person wrote (journal, notes, messages): only counts,
names, dates and figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils.functional import Promise

# "code": an identifier such as a route's name (``journal:entry``) or an exception class,
# shown as code and written as plain text.
Kind = Literal["text", "code", "int", "float", "percent", "date", "datetime", "duration"]
Audience = Literal["admin", "coach"]
Cell = Any


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    kind: Kind = "text"


@dataclass(frozen=True)
class Table:
    """One dashboard table.

    ``rows(viewer, params)`` yields one sequence of cells per row, in column order;
    ``params`` is what ``clean_params`` returned for the request's query string, so the
    export task can call ``rows`` again with the same (JSON-safe) mapping.
    """

    key: str
    title: str | Promise
    audience: Audience
    columns: tuple[Column, ...]
    rows: Callable[[Any, Mapping[str, Any]], Iterable[Sequence[Cell]]]
    clean_params: Callable[[Mapping[str, str]], dict[str, Any]] = field(default=lambda query: {})


_TABLES: dict[str, Table] = {}


def register_table(table: Table) -> Table:
    if table.key in _TABLES and _TABLES[table.key] is not table:
        raise ValueError(f"Two analytics tables are called {table.key!r}.")
    _TABLES[table.key] = table
    return table


def table_for(key: str) -> Table | None:
    return _TABLES.get(key)


def registered_tables() -> dict[str, Table]:
    return dict(_TABLES)

"""Ids that arrive in URLs and request bodies, checked before they reach a query."""

from __future__ import annotations

from typing import Any

from django.http import Http404

# Primary keys are BigAutoFields: positive and within a signed 64-bit integer. A larger
# number is not merely unknown — SQLite cannot bind it at all (OverflowError) and
# PostgreSQL refuses it, and Django guards only plain integer lookups, not foreign keys.
MAX_ID = 2**63 - 1


def parse_object_id(value: Any) -> int | None:
    """``value`` as a primary key, or ``None`` when it cannot be one (the caller picks
    the error: a 404, a form error, problem JSON)."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= MAX_ID else None


def object_id(value: Any) -> int:
    """``value`` as a primary key, or ``Http404`` when it cannot be one."""
    number = parse_object_id(value)
    if number is None:
        raise Http404
    return number

"""Ids that arrive in URLs and request bodies, checked before they reach a query."""

from __future__ import annotations

from typing import Any

from django.http import Http404

# Primary keys are BigAutoFields: positive and within a signed 64-bit integer. A larger
# number is not merely unknown — SQLite cannot bind it at all (OverflowError) and
# PostgreSQL refuses it, and Django guards only plain integer lookups, not foreign keys.
MAX_ID = 2**63 - 1


def object_id(value: Any) -> int:
    """``value`` as a primary key, or ``Http404`` when it cannot be one."""
    if isinstance(value, bool):
        raise Http404
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise Http404 from None
    if not 0 < number <= MAX_ID:
        raise Http404
    return number

"""Reads of a client's own check-ins, always scoped to the client asking (DESIGN.md rule 1).

A check-in that is not the client's is ``NotFound`` — the same answer as one that does
not exist. Days are the client's local days as stored on each row (``local_date``), so
a check-in made in Tel Aviv before a trip to New York stays on the day it was made.

``daily_moods`` is the shared building block of the trends and insights (progress
pages use it too): its signature is kept stable.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Q
from django.utils.translation import gettext as _

from loom.core.errors import NotFound
from loom.core.ids import parse_object_id
from loom.wellbeing.heatmap import HeatMap, build_heatmap, month_window
from loom.wellbeing.models import CheckIn

PAGE_MAX = 100


@dataclass(frozen=True)
class DayMood:
    """One local day of check-ins: average pleasantness and energy (1–10) and how many."""

    avg_pleasantness: float
    avg_energy: float
    count: int


@dataclass(frozen=True)
class CheckInPage:
    items: list[CheckIn]
    # An opaque token for the next (older) page, or None on the last page.
    next_cursor: str | None


def _own(client: Any) -> Any:
    return CheckIn.objects.filter(client_id=client.pk)


def checkin_for_client(client: Any, checkin_id: Any) -> CheckIn:
    """The client's own check-in, or ``NotFound`` (also for someone else's or a bad id)."""
    number = parse_object_id(checkin_id)
    if number is None or client is None or not getattr(client, "pk", None):
        raise NotFound(_("There is no such check-in."))
    checkin = _own(client).filter(pk=number).first()
    if checkin is None:
        raise NotFound(_("There is no such check-in."))
    return checkin


def encode_cursor(checkin: CheckIn) -> str:
    stamp = checkin.occurred_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%f")
    raw = f"{stamp}_{checkin.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str | None) -> tuple[dt.datetime, int] | None:
    """The (occurred_at, id) a cursor stands for, or None when it is absent or garbled
    (a garbled cursor is treated as "from the start", never as an error page)."""
    if not token or len(token) > 80:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, _sep, pk = raw.partition("_")
        moment = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S.%f").replace(tzinfo=dt.UTC)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    number = parse_object_id(pk)
    if number is None:
        return None
    return moment, number


def checkins_page(client: Any, *, cursor: str | None = None, limit: int = 20) -> CheckInPage:
    """The client's check-ins, newest first, ``limit`` at a time (one query).

    Keyset pagination on (occurred_at desc, id desc): back-dated check-ins slot into
    their place without shifting pages the client has already seen.
    """
    limit = max(1, min(int(limit), PAGE_MAX))
    rows = _own(client).order_by("-occurred_at", "-id")
    position = decode_cursor(cursor)
    if position is not None:
        moment, pk = position
        rows = rows.filter(Q(occurred_at__lt=moment) | Q(occurred_at=moment, id__lt=pk))
    items = list(rows[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return CheckInPage(items=items, next_cursor=encode_cursor(items[-1]) if more else None)


def daily_moods(client: Any, *, start: dt.date, end: dt.date) -> dict[dt.date, DayMood]:
    """Average pleasantness and energy and the number of check-ins per local day,
    ``start`` to ``end`` inclusive, grouped in SQL (one query). Days without
    check-ins are absent from the dict."""
    if start > end:
        return {}
    rows = (
        _own(client)
        .filter(local_date__gte=start, local_date__lte=end)
        .order_by()
        .values("local_date")
        .annotate(p=Avg("pleasantness"), e=Avg("energy"), n=Count("id"))
        .order_by("local_date")
    )
    return {
        row["local_date"]: DayMood(
            avg_pleasantness=float(row["p"]), avg_energy=float(row["e"]), count=int(row["n"])
        )
        for row in rows
    }


def heatmap(
    client: Any, *, today: dt.date, months: int = 6, end_month: dt.date | None = None
) -> HeatMap:
    """The client's heat map of ``months`` whole months ending with ``end_month``
    (default: the month of ``today``, the client's local today). One query."""
    start, end = month_window(today=today, months=months, end_month=end_month)
    return build_heatmap(
        daily_moods(client, start=start, end=end), start=start, end=end, today=today
    )

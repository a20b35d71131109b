"""A person's local day (loom.journal.days)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

from loom.journal.days import local_day_of, local_today


def test_late_evening_in_new_york_is_still_that_day() -> None:
    moment = datetime(2026, 3, 10, 3, 30, tzinfo=UTC)  # 23:30 on the 9th in New York
    assert local_day_of("America/New_York", moment) == date(2026, 3, 9)
    assert local_day_of("Asia/Tokyo", moment) == date(2026, 3, 10)


def test_unknown_or_empty_zone_is_utc() -> None:
    moment = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    assert local_day_of("Mars/Olympus", moment) == date(2026, 3, 10)
    assert local_day_of("", moment) == date(2026, 3, 10)
    assert local_day_of("../../etc/passwd", moment) == date(2026, 3, 10)


def test_local_today_uses_the_users_zone() -> None:
    now = datetime(2026, 11, 21, 22, 30, tzinfo=UTC)
    assert local_today(SimpleNamespace(timezone="Asia/Jerusalem"), now=now) == date(2026, 11, 22)
    assert local_today(SimpleNamespace(timezone="America/New_York"), now=now) == date(2026, 11, 21)


def test_dst_nights() -> None:
    # New York springs forward on 2026-03-08, Jerusalem on 2026-03-27: the day boundary
    # is local midnight either way.
    assert local_day_of("America/New_York", datetime(2026, 3, 8, 4, 59, tzinfo=UTC)) == date(
        2026, 3, 7
    )
    assert local_day_of("America/New_York", datetime(2026, 3, 8, 5, 0, tzinfo=UTC)) == date(
        2026, 3, 8
    )
    assert local_day_of("Asia/Jerusalem", datetime(2026, 3, 26, 21, 59, tzinfo=UTC)) == date(
        2026, 3, 26
    )
    assert local_day_of("Asia/Jerusalem", datetime(2026, 3, 26, 22, 0, tzinfo=UTC)) == date(
        2026, 3, 27
    )

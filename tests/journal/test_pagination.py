"""Keyset pagination: 1,000 entries walked once each, in constant queries per page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loom.journal import selectors
from loom.journal.days import local_today
from loom.journal.models import Entry
from loom.journal.selectors import EntryFilters, cursor_encode, entries_page, parse_filters
from tests.world import World


def _bulk(world: World, count: int) -> None:
    today = local_today(world.avi)
    now = timezone.now()
    Entry.objects.bulk_create(
        [
            Entry(
                author=world.avi,
                written_on=today - timedelta(days=n % 300),
                body=f"entry {n}",
                emotions=["calm"] if n % 3 == 0 else ["sad"],
                body_areas=["chest"] if n % 2 else [],
                mood=(n % 10) + 1,
                created_at=now,
                updated_at=now,
            )
            for n in range(count)
        ]
    )


def test_cursor_walks_every_entry_once_in_order(world: World) -> None:
    _bulk(world, 1000)
    Entry.objects.create(author=world.noa, written_on=local_today(world.noa), body="not Avi's")
    seen: list[int] = []
    keys: list[tuple[object, int]] = []
    cursor = None
    pages = 0
    while True:
        with CaptureQueriesContext(connection) as queries:
            page = entries_page(world.avi, cursor=cursor, limit=50)
        assert len(queries) == 1
        seen.extend(entry.pk for entry in page.items)
        keys.extend((entry.written_on, entry.pk) for entry in page.items)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 20
    assert len(seen) == len(set(seen)) == 1000
    assert keys == sorted(keys, reverse=True)


def test_filters(world: World) -> None:
    _bulk(world, 60)
    calm = entries_page(world.avi, limit=100, filters=EntryFilters(emotion="calm")).items
    assert calm and all("calm" in e.emotions for e in calm) and len(calm) == 20
    chest = entries_page(world.avi, limit=100, filters=EntryFilters(zone="chest")).items
    assert len(chest) == 30 and all(e.body_areas == ["chest"] for e in chest)
    assert entries_page(world.avi, filters=EntryFilters(shared=True)).items == []
    today = local_today(world.avi)
    month = parse_filters({"month": today.strftime("%Y-%m")})
    assert month.month == today.replace(day=1)
    assert all(
        e.written_on.month == today.month
        for e in entries_page(world.avi, limit=100, filters=month).items
    )


def test_unknown_filter_values_are_ignored(world: World) -> None:
    filters = parse_filters(
        {"emotion": "'; DROP", "zone": "tail", "month": "2026-13", "shared": "x"}
    )
    assert not filters.active


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "bm90LWEtY3Vyc29y",
        "MjAyNi0wMi0zMDox",
        "MjAyNi0wMS0wMTotNQ",
        "x" * 500,
        "MjAyNi0wMS0wMTo5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
    ],
)
def test_malformed_cursors_are_refused(world: World, cursor: str) -> None:
    with pytest.raises(ValidationError):
        entries_page(world.avi, cursor=cursor)


def test_a_cursor_of_someone_else_reveals_nothing(world: World) -> None:
    noas = Entry.objects.create(author=world.noa, written_on=local_today(world.noa), body="x")
    page = entries_page(world.avi, cursor=cursor_encode(noas))
    assert page.items == []


def test_excerpt_strips_markdown(world: World) -> None:
    entry = Entry(body="**Bold** and [a link](https://example.com)\n\n- item " + "word " * 60)
    text = selectors.excerpt(entry)
    assert text.startswith("Bold and a link item")
    assert "*" not in text and len(text) <= 140

"""The event pipeline runs as the application role (row-level security in force)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from loom.analytics import events
from loom.analytics.activity import activity_rollup
from loom.analytics.events import events_flush, events_prune
from loom.analytics.models import DailyActivity, Event
from loom.core.context import system_context
from tests.security.conftest import (  # noqa: F401 (app_role is a fixture, used by name)
    APP_ROLE,
    app_role,
    application_connections,
    raw_as,
    rows,
)
from tests.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("app_role")]


def test_page_view_is_written_after_a_real_commit_as_the_app_role(transactional_db: None) -> None:
    world = World.build()
    client = Client()
    client.force_login(world.avi)
    with application_connections(APP_ROLE):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (APP_ROLE,)
        assert client.get("/client/").status_code == 200
        with system_context():
            names = list(Event.objects.values_list("user_id", "name", "route"))
    assert (world.avi.pk, "page_view", "client:home") in names


def test_flush_rollup_and_prune_work_as_the_app_role(
    transactional_db: None, settings: Any, redis_url: str
) -> None:
    world = World.build()
    settings.REDIS_URL = redis_url
    settings.ANALYTICS_EVENT_BUFFER = "redis"
    settings.ANALYTICS_EVENT_BUFFER_KEY = f"test:events:{uuid.uuid4().hex}"
    settings.ANALYTICS_EVENT_RETENTION_DAYS = 30
    events.redis_reset()
    redis = events.redis_client()
    key = events.buffer_key()
    now = datetime.now(tz=UTC)
    try:
        for user, at in (
            (world.avi, now),
            (world.dana, now),
            (world.avi, now - timedelta(days=40)),
        ):
            record = events._Record(int(at.timestamp() * 1000), user.pk, "", "checkin", "")
            redis.rpush(key, record.dumps())
        with application_connections(APP_ROLE):
            assert events_flush() == 3
            assert activity_rollup().rows_written == 3
            assert events_prune(now=now) == 1
            with system_context():
                assert Event.objects.count() == 2
                assert DailyActivity.objects.count() == 3
    finally:
        redis.delete(key, f"{key}:processing", f"{key}:seq")
        events.redis_reset()


def test_people_read_only_their_own_events(db: None) -> None:
    world = World.build()
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    Event.objects.bulk_create(
        Event(user=user, role=user.role, name="page_view", occurred_at=at)
        for user in (world.avi, world.dana)
    )
    with raw_as(world.avi.pk) as cursor:
        assert rows(cursor, "SELECT user_id FROM analytics_event") == [world.avi.pk]
    with raw_as(None) as cursor:
        assert rows(cursor, "SELECT user_id FROM analytics_event") == []
    # Nor write one in someone else's name.
    with pytest.raises(psycopg.errors.InsufficientPrivilege), raw_as(world.avi.pk) as cursor:
        cursor.execute(
            "INSERT INTO analytics_event (occurred_at, user_id, role, name, route) "
            "VALUES (now(), %s, 'coach', 'page_view', '')",
            [world.dana.pk],
        )


@pytest.mark.parametrize("who", ["avi", "dana", "admin"])
def test_signing_in_through_the_form_records_it_as_the_app_role(
    transactional_db: None, who: str
) -> None:
    # user_logged_in fires while the request still acts as nobody (before the sign-in
    # completes): the write must not depend on who is acting.
    from tests.world import PASSWORD

    world = World.build()
    user = getattr(world, who)
    with application_connections(APP_ROLE):
        response = Client().post("/accounts/login/", {"login": user.email, "password": PASSWORD})
        assert response.status_code == 302
        with system_context():
            names = list(Event.objects.filter(user=user).values_list("role", "name"))
    assert (user.role, "sign_in") in names


def test_deleting_a_person_deletes_their_events_and_activity_in_the_database(
    transactional_db: None,
) -> None:
    """``DB_CASCADE``: the database removes the rows (policies do not hide them from a
    referential action, even with FORCE), and Django does not load them first."""
    world = World.build()
    now = datetime.now(tz=UTC)
    with system_context():
        Event.objects.bulk_create(
            Event(
                user=world.noa,
                role="client",
                name="page_view",
                route="client:home",
                occurred_at=now - timedelta(minutes=minute),
            )
            for minute in range(50)
        )
        activity_rollup(now=now)
        assert DailyActivity.objects.filter(user=world.noa).exists()
    with CaptureQueriesContext(connection) as queries, system_context():
        world.noa.delete()
    assert not any("analytics_event" in query["sql"] for query in queries.captured_queries)
    with connection.cursor() as cursor:  # as the owner: policies would hide rows left behind
        for query in (
            "SELECT count(*) FROM analytics_event WHERE user_id = %s",
            "SELECT count(*) FROM analytics_dailyactivity WHERE user_id = %s",
        ):
            assert rows(cursor, query, [world.noa.pk]) == [0]

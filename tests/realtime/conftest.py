"""Fixtures for the multi-process realtime tests: an own Redis, Loom servers, people.

Every test here is marked ``postgres`` (servers in other processes must share the test's
database) and ``redis`` (the channel layer between processes), module by module. The Redis is started
per test on a port from 6391 up, never the shared one: the tests kill and restart it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from loom.accounts.models import CoachClient, Role
from loom.core.context import system_context
from loom.messaging.models import Conversation, Participant
from tests.realtime.harness import AppServer, RedisServer, session_cookie
from tests.world import make_user


@pytest.fixture
def own_redis(tmp_path: Path, transactional_db: None) -> Iterator[RedisServer]:
    if connection.vendor != "postgresql":
        pytest.skip("the servers share the test database: needs PostgreSQL")
    if not RedisServer.available():
        if os.environ.get("LOOM_REQUIRE_REDIS") == "1":
            pytest.fail("redis-server is not installed and LOOM_REQUIRE_REDIS=1 is set")
        pytest.skip("redis-server is not installed")
    server = RedisServer(workdir=tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def app_servers(own_redis: RedisServer, tmp_path: Path) -> Iterator[Callable[..., AppServer]]:
    """``make(name, **env)`` starts a Loom server on the test's database and Redis."""
    started: list[AppServer] = []

    def make(name: str, **env: str) -> AppServer:
        server = AppServer(name=name, workdir=tmp_path, redis_url=own_redis.url, env_extra=env)
        started.append(server)
        server.start()
        return server

    try:
        yield make
    finally:
        # Before the test database is flushed: the servers hold connections to it.
        for server in started:
            server.stop()


@pytest.fixture
def make_pair() -> Callable[..., tuple[Any, Any, Conversation]]:
    """A coach and a client linked and with their conversation, as committed rows."""
    counter = iter(range(1, 10_000))

    def make(coach: Any = None, *, prefix: str = "rt") -> tuple[Any, Any, Conversation]:
        n = next(counter)
        with system_context():
            if coach is None:
                coach = make_user(
                    f"{prefix}.coach{n}@example.com", role=Role.COACH, full_name=f"Coach {n}"
                )
            client = make_user(
                f"{prefix}.client{n}@example.com", role=Role.CLIENT, full_name=f"Client {n}"
            )
            CoachClient.objects.create(coach=coach, client=client)
            conversation, _ = Conversation.objects.get_or_create(coach=coach, client=client)
            for user in (coach, client):
                Participant.objects.get_or_create(conversation=conversation, user=user)
        return coach, client, conversation

    return make


@pytest.fixture
def cookie_for() -> Callable[[Any], str]:
    return session_cookie

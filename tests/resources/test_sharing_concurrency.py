"""Concurrent shares of the same thing to the same client end with one row (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from loom.core.models import OutboxMessage
from loom.resources import sharing_services as services
from loom.resources.models import Share
from tests.resources.factories import make_collection, make_resource
from tests.world import World

pytestmark = pytest.mark.postgres

THREADS = 8


def _race(action: Callable[[], Any]) -> list[str]:
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            barrier.wait()
            try:
                action()
                result = "ok"
            except Exception as error:
                result = f"error:{error!r}"
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_concurrent_shares_of_one_resource_to_one_client_make_one_row(
    transactional_db: None,
) -> None:
    world = World.build()
    resource = make_resource(world.dana)

    def share() -> None:
        services.share_resources(
            coach=world.dana, resource_ids=[resource.pk], client_ids=[world.avi.pk]
        )

    assert _race(share) == ["ok"] * THREADS
    assert Share.objects.filter(resource=resource, client=world.avi).count() == 1
    # The client gained access once, so they are told once.
    assert OutboxMessage.objects.filter(channel="notice", recipient=str(world.avi.pk)).count() == 1


def test_concurrent_shares_of_one_collection_to_everyone_make_one_row_each(
    transactional_db: None,
) -> None:
    world = World.build()
    collection = make_collection(world.dana, make_resource(world.dana))

    def share() -> None:
        services.share_collection(coach=world.dana, collection_id=collection.pk, all_clients=True)

    assert _race(share) == ["ok"] * THREADS
    assert sorted(Share.objects.values_list("client_id", flat=True)) == sorted(
        [world.avi.pk, world.noa.pk]
    )


def test_overlapping_shares_in_opposite_orders_do_not_deadlock(transactional_db: None) -> None:
    world = World.build()
    resources = [make_resource(world.dana, title=f"R{number}") for number in range(4)]
    ids = [resource.pk for resource in resources]
    turn = iter(range(THREADS))
    lock = threading.Lock()

    def share() -> None:
        with lock:
            forwards = next(turn) % 2 == 0
        services.share_resources(
            coach=world.dana,
            resource_ids=ids if forwards else list(reversed(ids)),
            client_ids=[world.avi.pk, world.noa.pk],
        )

    assert _race(share) == ["ok"] * THREADS
    assert Share.objects.count() == 8

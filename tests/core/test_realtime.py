"""Per-person realtime streams: numbering, replay, resync, the doorbell after commit."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.utils import timezone

from loom.core.context import system_context
from loom.core.models import UserEvent
from loom.core.realtime import (
    StreamEvent,
    event_append,
    events_after,
    events_prune,
    is_active,
    presence_touch,
    stream_group,
    stream_position,
)
from tests.world import World


def _kinds(replay_events: list[dict]) -> list[str]:
    return [frame["kind"] for frame in replay_events]


def test_numbers_start_at_one_and_run_without_gaps_per_person(world: World) -> None:
    assert stream_position(world.dana.pk) == 0
    first = event_append(world.dana.pk, "a", {})
    second = event_append(world.dana.pk, "b", {})
    other = event_append(world.avi.pk, "a", {})
    assert (first, second, other) == (1, 2, 1)
    with system_context():
        assert stream_position(world.dana.pk) == 2


def test_events_after_replays_in_order_from_the_number_given(world: World) -> None:
    for index in range(5):
        event_append(world.dana.pk, f"k{index}", {"i": index})
    with system_context():
        replay = events_after(user_id=world.dana.pk, after=2)
    assert not replay.resync
    assert [frame["seq"] for frame in replay.events] == [3, 4, 5]
    assert _kinds(replay.events) == ["k2", "k3", "k4"]
    assert replay.events[0] == {"type": "event", "seq": 3, "kind": "k2", "data": {"i": 2}}
    assert replay.last_seq == 5


def test_a_client_up_to_date_gets_nothing_and_no_resync(world: World) -> None:
    event_append(world.dana.pk, "a", {})
    with system_context():
        replay = events_after(user_id=world.dana.pk, after=1)
    assert replay.frames() == [] and replay.last_seq == 1


@pytest.mark.parametrize("after", [7, 10_000])
def test_a_number_beyond_the_stream_asks_for_a_resync(world: World, after: int) -> None:
    event_append(world.dana.pk, "a", {})
    with system_context():
        replay = events_after(user_id=world.dana.pk, after=after)
    assert replay.frames() == [{"type": "resync", "seq": 1}]


def test_too_far_behind_asks_for_a_resync(world: World) -> None:
    for _ in range(6):
        event_append(world.dana.pk, "a", {})
    with system_context():
        replay = events_after(user_id=world.dana.pk, after=0, limit=5)
        close_enough = events_after(user_id=world.dana.pk, after=1, limit=5)
    assert replay.resync and replay.last_seq == 6
    assert not close_enough.resync and len(close_enough.events) == 5


def test_pruned_events_ask_for_a_resync(world: World) -> None:
    for _ in range(3):
        event_append(world.dana.pk, "a", {})
    with system_context():
        UserEvent.objects.filter(user=world.dana, seq=1).update(
            created_at=timezone.now() - timedelta(days=30)
        )
    assert events_prune() == 1
    with system_context():
        assert events_after(user_id=world.dana.pk, after=0).resync
        assert [f["seq"] for f in events_after(user_id=world.dana.pk, after=1).events] == [2, 3]


def test_a_rolled_back_change_leaves_no_event_and_rings_no_bell(world: World) -> None:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(stream_group(world.dana.pk), channel)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        event_append(world.dana.pk, "a", {})
        raise Boom
    with system_context():
        assert stream_position(world.dana.pk) == 0
        assert not UserEvent.objects.exists()
    with pytest.raises(Exception):  # noqa: B017 - nothing queued: the in-memory layer times out
        async_to_sync(_receive_quickly)(layer, channel)


async def _receive_quickly(layer, channel):  # type: ignore[no-untyped-def]
    import asyncio

    return await asyncio.wait_for(layer.receive(channel), timeout=0.2)


@pytest.mark.django_db(transaction=True)
def test_the_bell_rings_only_after_commit_with_the_last_number() -> None:
    world = World.build()
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(stream_group(world.dana.pk), channel)
    with transaction.atomic():
        from loom.core.realtime import events_append

        events_append(
            [
                StreamEvent(world.dana.pk, "a", {}),
                StreamEvent(world.dana.pk, "b", {}),
                StreamEvent(world.avi.pk, "a", {}),
            ]
        )
        with pytest.raises(Exception):  # noqa: B017 - not yet: the change is not committed
            async_to_sync(_receive_quickly)(layer, channel)
    message = async_to_sync(_receive_quickly)(layer, channel)
    assert message == {"type": "stream.doorbell", "seq": 2}


def test_presence_is_recorded_and_expires(world: World) -> None:
    assert not is_active(world.avi.pk)
    presence_touch(world.avi.pk)
    assert is_active(world.avi.pk)
    assert not is_active(world.avi.pk, within=timedelta(microseconds=1))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appenders_to_one_stream_get_distinct_consecutive_numbers() -> None:
    world = World.build()
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def append_many() -> None:
        try:
            barrier.wait()
            for _ in range(25):
                with transaction.atomic():
                    event_append(world.dana.pk, "x", {})
                    # Both people of a conversation, locked in id order: no deadlock.
                    event_append(world.avi.pk, "x", {})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=append_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with system_context():
        numbers = list(
            UserEvent.objects.filter(user=world.dana).order_by("seq").values_list("seq", flat=True)
        )
    assert numbers == list(range(1, 101))


def test_the_prune_command_deletes_only_old_events(world: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    event_append(world.dana.pk, "old", {})
    event_append(world.dana.pk, "new", {})
    with system_context():
        UserEvent.objects.filter(kind="old").update(created_at=timezone.now() - timedelta(days=15))
    out = StringIO()
    call_command("stream_prune", stdout=out)
    assert "1 old event(s) deleted" in out.getvalue()
    with system_context():
        assert list(UserEvent.objects.values_list("kind", flat=True)) == ["new"]

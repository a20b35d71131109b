"""Races on PostgreSQL: retried sends, and two people writing at once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from loom.core.context import acting_as
from loom.core.errors import NotFound
from loom.core.models import UserEvent
from loom.messaging import services
from loom.messaging.models import Message, Reaction
from tests.messaging.factories import send, talks
from tests.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _together(*jobs: Callable[[], Any]) -> list[Any]:
    """Run ``jobs`` in threads released at the same moment; results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_the_same_client_id_sent_twice_at_once_is_stored_once() -> None:
    world = World.build()
    t = talks(world)
    for _round in range(5):
        client_id = uuid.uuid4()

        def attempt(client_id: uuid.UUID = client_id) -> tuple[int, bool]:
            with acting_as(world.avi.pk):
                message, created = services.message_send(
                    user=world.avi, conversation_id=t.dana_avi.pk, client_id=client_id, body="Once"
                )
            return message.pk, created

        results = _together(attempt, attempt, attempt)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert len({pk for pk, _created in results}) == 1
        assert sorted(created for _pk, created in results) == [False, False, True]
        assert Message.objects.filter(client_id=client_id).count() == 1
    created_events = UserEvent.objects.filter(user_id=world.dana.pk, kind="message.created")
    assert created_events.count() == 5


def test_two_senders_at_once_every_stream_follows_message_id_order() -> None:
    world = World.build()
    t = talks(world)

    def burst(user: Any) -> Callable[[], None]:
        def run() -> None:
            for i in range(15):
                send(user, t.dana_avi, f"{user.full_name} {i}")

        return run

    results = _together(burst(world.dana), burst(world.avi), burst(world.noa))
    assert results[0] is None and results[1] is None
    assert isinstance(results[2], NotFound)  # Noa's sends go nowhere: not her conversation
    ids = list(
        Message.objects.filter(conversation=t.dana_avi).order_by("id").values_list("id", flat=True)
    )
    assert len(ids) == 30
    for person in (world.dana, world.avi):
        events = UserEvent.objects.filter(user_id=person.pk).order_by("seq")
        seqs = [e.seq for e in events]
        assert seqs == list(range(1, len(seqs) + 1)), person.email
        streamed = [e.data["id"] for e in events if e.kind == "message.created"]
        assert streamed == ids, person.email


def test_two_taps_on_the_same_reaction_make_one_row() -> None:
    world = World.build()
    t = talks(world)
    message = send(world.dana, t.dana_avi, "Tap me")

    def tap() -> None:
        with acting_as(world.avi.pk):
            services.reaction_set(user=world.avi, message_id=message.pk, emoji="🎉", on=True)

    results = _together(tap, tap, tap, tap)
    assert results == [None] * 4
    assert Reaction.objects.filter(message=message).count() == 1
    updates = UserEvent.objects.filter(user_id=world.dana.pk, kind="message.updated")
    assert updates.count() == 1


def test_a_conversation_is_created_once_when_asked_for_at_once() -> None:
    from loom.messaging.models import Conversation, Participant

    world = World.build()

    def create() -> int:
        return services.conversation_for_pair(coach=world.eli, client=world.maya).pk

    results = _together(create, create, create, create)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1
    assert Conversation.objects.filter(coach=world.eli, client=world.maya).count() == 1
    assert Participant.objects.filter(conversation_id=results[0]).count() == 2

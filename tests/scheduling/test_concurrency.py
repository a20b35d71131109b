"""No double booking on PostgreSQL: the coach lock, and the exclusion constraint behind it."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from loom.accounts.models import CoachClient
from loom.core.errors import Conflict
from loom.scheduling import services
from loom.scheduling.models import Session, SessionType
from loom.scheduling.services import session_book, session_reschedule
from tests.factories import ClientFactory
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

pytestmark = pytest.mark.postgres

NOW = utc(2026, 6, 1, 12, 0)
SLOT = utc(2026, 6, 2, 14, 0)  # Tuesday 10:00 New York

OVERLAPPING_ACTIVE = """
    SELECT a.id, b.id FROM scheduling_session AS a
    JOIN scheduling_session AS b
      ON a.coach_id = b.coach_id AND a.id < b.id
     AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)
    WHERE a.status IN ('requested', 'scheduled', 'in_progress')
      AND b.status IN ('requested', 'scheduled', 'in_progress')
"""


def _overlaps() -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPPING_ACTIVE)
        return cursor.fetchall()


def test_fifty_concurrent_bookings_of_one_slot_give_one_success(transactional_db: None) -> None:
    world = World.build()
    hours(world.dana, days=range(5))
    kind = session_type(world.dana)
    clients = [world.avi, world.noa]
    for _ in range(48):
        client = ClientFactory()
        CoachClient.objects.create(coach=world.dana, client=client)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(client: Any) -> None:
        try:
            kind_here = SessionType.objects.select_related("coach").get(pk=kind.pk)
            barrier.wait()
            try:
                session_book(
                    actor=client,
                    coach=kind_here.coach,
                    client=client,
                    session_type=kind_here,
                    starts_at=SLOT,
                )
                result = "booked"
            except Conflict as conflict:
                result = f"conflict:{conflict.code}"
            except Exception as error:
                result = f"error:{error!r}"
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    with time_machine.travel(NOW, tick=False):
        threads = [threading.Thread(target=attempt, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert sorted(outcomes).count("booked") == 1, outcomes
    assert outcomes.count("conflict:slot_taken") == 49, outcomes
    assert Session.objects.count() == 1
    assert _overlaps() == []


def test_exclusion_constraint_refuses_overlap_that_skipped_every_check(world: World) -> None:
    kind = session_type(world.dana)
    base = {"coach": world.dana, "session_type": kind, "coach_timezone": "America/New_York"}
    Session.objects.create(
        client=world.avi, starts_at=SLOT, ends_at=SLOT + timedelta(hours=1), **base
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(
            client=world.noa,
            starts_at=SLOT + timedelta(minutes=59),
            ends_at=SLOT + timedelta(hours=2),
            **base,
        )
    # Touching ranges and closed sessions do not clash.
    Session.objects.create(
        client=world.noa,
        starts_at=SLOT + timedelta(hours=1),
        ends_at=SLOT + timedelta(hours=2),
        **base,
    )
    Session.objects.create(
        client=world.noa,
        starts_at=SLOT,
        ends_at=SLOT + timedelta(hours=1),
        status="cancelled",
        **base,
    )
    # Another coach's session at the same time is fine.
    Session.objects.create(
        coach=world.eli,
        client=world.maya,
        session_type=session_type(world.eli),
        coach_timezone="Asia/Jerusalem",
        starts_at=SLOT,
        ends_at=SLOT + timedelta(hours=1),
    )
    assert _overlaps() == []


def test_a_constraint_violation_reaches_the_caller_as_a_conflict(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hours(world.dana, days=range(5))
    kind = session_type(world.dana)
    with time_machine.travel(NOW, tick=False):
        first = session_book(
            actor=world.avi, coach=world.dana, client=world.avi, session_type=kind, starts_at=SLOT
        )
        other = session_book(
            actor=world.noa,
            coach=world.dana,
            client=world.noa,
            session_type=kind,
            starts_at=SLOT + timedelta(hours=2),
        )
        # As if the application checks had a bug: the database still refuses.
        monkeypatch.setattr(services, "_check_slot", lambda **kwargs: None)
        with pytest.raises(Conflict) as refused:
            session_book(
                actor=world.noa,
                coach=world.dana,
                client=world.noa,
                session_type=kind,
                starts_at=SLOT + timedelta(minutes=30),
            )
        assert refused.value.code == "slot_taken"
        with pytest.raises(Conflict):
            session_reschedule(actor=world.dana, session=other, starts_at=first.starts_at)
    other.refresh_from_db()
    assert other.starts_at == SLOT + timedelta(hours=2)
    assert Session.objects.count() == 2

"""Group seats on PostgreSQL: atomic under concurrency, and row-level security.

Thirty clients take seats in a five-seat session at once: exactly five get one, the
other twenty-five a clear "full" conflict. As the application role, a client reads
only their own seat and waitlist entry, and the real services still work (they count
other people's seats in the system context after checking who acts).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import time_machine
from django.db import connection

from loom.accounts.models import CoachClient
from loom.core.context import acting_as
from loom.core.errors import Conflict
from loom.scheduling import group_services
from loom.scheduling.group_selectors import group_panel_for
from loom.scheduling.models import SeatStatus, Session, SessionSeat, WaitlistEntry
from tests.factories import ClientFactory
from tests.scheduling.support import hours, session_type, utc
from tests.security.conftest import APP_ROLE, application_connections, raw_as, rows
from tests.world import World

pytestmark = pytest.mark.postgres

NOW = utc(2026, 6, 1, 12, 0)
SLOT = utc(2026, 6, 2, 14, 0)


def test_thirty_clients_five_seats_exactly_five_taken(transactional_db: None) -> None:
    world = World.build()
    hours(world.dana, days=range(5))
    kind = session_type(world.dana, name_en="Circle", capacity=5)
    with time_machine.travel(NOW, tick=False):
        session = group_services.group_session_create(
            actor=world.dana, session_type=kind, starts_at=SLOT
        )
    clients = []
    for _ in range(30):
        client = ClientFactory()
        CoachClient.objects.create(coach=world.dana, client=client)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(client: Any) -> None:
        try:
            here = Session.objects.select_related("coach", "session_type").get(pk=session.pk)
            barrier.wait()
            try:
                group_services.seat_take(actor=client, session=here, now=NOW)
                result = "seated"
            except Conflict as conflict:
                result = f"conflict:{conflict.code}"
            except Exception as error:
                result = f"error:{error!r}"
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes.count("seated") == 5, outcomes
    assert outcomes.count("conflict:session_full") == 25, outcomes
    assert SessionSeat.objects.filter(session=session, status=SeatStatus.TAKEN).count() == 5


def _group_with_two_seats_and_a_waiter(world: World) -> tuple[Session, Any]:
    hours(world.dana, days=range(5))
    kind = session_type(world.dana, name_en="Circle", capacity=2)
    gil = ClientFactory(full_name="Gil Third")
    CoachClient.objects.create(coach=world.dana, client=gil)
    session = group_services.group_session_create(
        actor=world.dana, session_type=kind, starts_at=SLOT, now=NOW
    )
    group_services.seat_take(actor=world.avi, session=session, now=NOW)
    group_services.seat_take(actor=world.noa, session=session, now=NOW)
    group_services.waitlist_join(actor=gil, session=session, now=NOW)
    return session, gil


def test_a_client_reads_only_their_own_seat_and_waitlist_row(app_role: str, world: World) -> None:
    session, gil = _group_with_two_seats_and_a_waiter(world)
    avi_seat = SessionSeat.objects.get(client=world.avi)
    with raw_as(world.avi.pk) as cursor:
        assert rows(cursor, "SELECT client_id FROM scheduling_sessionseat") == [world.avi.pk]
        assert rows(cursor, "SELECT id FROM scheduling_waitlistentry") == []
        # The group session itself names nobody and is readable (a client of Dana's).
        assert rows(cursor, "SELECT client_id FROM scheduling_session") == [None]
        cursor.execute(
            "UPDATE scheduling_sessionseat SET status = 'cancelled' WHERE client_id = %s",
            [world.noa.pk],
        )
        assert cursor.rowcount == 0
    with raw_as(gil.pk) as cursor:
        assert rows(cursor, "SELECT client_id FROM scheduling_waitlistentry") == [gil.pk]
        assert rows(cursor, "SELECT id FROM scheduling_sessionseat") == []
    with raw_as(world.maya.pk) as cursor:
        assert rows(cursor, "SELECT id FROM scheduling_session") == []
        assert rows(cursor, "SELECT id FROM scheduling_sessionseat") == []
        assert rows(cursor, "SELECT id FROM scheduling_waitlistentry") == []
    with raw_as(world.dana.pk) as cursor:
        assert len(rows(cursor, "SELECT id FROM scheduling_sessionseat")) == 2
        assert rows(cursor, "SELECT client_id FROM scheduling_waitlistentry") == [gil.pk]
    with raw_as(world.eli.pk) as cursor:
        assert rows(cursor, "SELECT id FROM scheduling_sessionseat") == []
    assert SessionSeat.objects.get(client=world.noa).status == SeatStatus.TAKEN
    assert avi_seat.session_id == session.pk


def test_group_flow_works_as_the_application_role(app_role: str, transactional_db: None) -> None:
    world = World.build()
    gil = ClientFactory(full_name="Gil Third")
    CoachClient.objects.create(coach=world.dana, client=gil)
    with application_connections(APP_ROLE):
        with acting_as(world.dana.pk):
            hours(world.dana, days=range(5))
            kind = session_type(world.dana, name_en="Circle", capacity=2)
            session = group_services.group_session_create(
                actor=world.dana, session_type=kind, starts_at=SLOT, now=NOW
            )
        with acting_as(world.avi.pk):
            avi_seat = group_services.seat_take(actor=world.avi, session=session, now=NOW)
        with acting_as(world.noa.pk):
            group_services.seat_take(actor=world.noa, session=session, now=NOW)
            panel = group_panel_for(world.noa, session, now=NOW)
            assert panel is not None and panel.counts.taken == 2 and panel.seats == []
        with acting_as(gil.pk):
            group_services.waitlist_join(actor=gil, session=session, now=NOW)
        with acting_as(world.avi.pk):
            group_services.seat_release(actor=world.avi, seat=avi_seat, now=NOW)
        with acting_as(gil.pk):
            group_services.waitlist_accept(actor=gil, session=session, now=NOW)
        with acting_as(world.dana.pk):
            panel = group_panel_for(world.dana, session, now=NOW)
            assert panel is not None
            assert {seat.client_id for seat in panel.seats if seat.status == "taken"} == {
                world.noa.pk,
                gil.pk,
            }
    assert WaitlistEntry.objects.get(client=gil).status == "accepted"

"""Row-level security on the scheduling tables, proven as the application role.

Raw SQL through the driver as ``loom_app`` with ``app.user_id`` set (``raw_as``), and
the real services run with the application's connections switched to that role.
"""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
import time_machine
from django.db import connection

from loom.core.context import acting_as
from loom.core.errors import Conflict
from loom.scheduling.models import Session, SessionEvent
from loom.scheduling.services import (
    availability_override_add,
    session_book,
    session_cancel,
    session_reschedule,
)
from tests.scheduling.support import hours, session_type, utc
from tests.security.conftest import APP_ROLE, application_connections, raw_as, rows
from tests.world import World

pytestmark = pytest.mark.postgres

TABLES = [
    "scheduling_coachschedulingsettings",
    "scheduling_sessiontype",
    "scheduling_weeklyavailability",
    "scheduling_availabilityoverride",
    "scheduling_session",
    "scheduling_sessionevent",
]
NOW = utc(2026, 6, 1, 12, 0)
SLOT = utc(2026, 6, 2, 14, 0)  # Tuesday 10:00 New York


def _data(world: World) -> dict[str, Session]:
    """Hours, types, an override, and one session for each coach."""
    hours(world.dana, days=range(5))
    hours(world.eli, days=range(5))
    dana_type = session_type(world.dana)
    eli_type = session_type(world.eli)
    availability_override_add(
        coach=world.dana,
        day=SLOT.date(),
        kind="extra",
        start_time=SLOT.time().replace(hour=18),
        end_time=SLOT.time().replace(hour=20),
    )
    availability_override_add(coach=world.eli, day=SLOT.date(), kind="unavailable_day")
    with time_machine.travel(NOW, tick=False):
        return {
            "avi": session_book(
                actor=world.avi,
                coach=world.dana,
                client=world.avi,
                session_type=dana_type,
                starts_at=SLOT,
            ),
            "maya": session_book(
                actor=world.maya,
                coach=world.eli,
                client=world.maya,
                session_type=eli_type,
                starts_at=utc(2026, 6, 3, 7, 0),  # Wednesday 10:00 Jerusalem
            ),
        }


def test_every_scheduling_table_has_row_level_security_enabled_and_forced(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relrowsecurity AND relforcerowsecurity",
            [TABLES],
        )
        assert {row[0] for row in cursor.fetchall()} == set(TABLES)


@pytest.mark.parametrize("setting", [None, "", "abc", "0"])
def test_nobody_sees_any_scheduling_row(app_role: str, world: World, setting: str | None) -> None:
    _data(world)
    with raw_as(setting) as cursor:
        for table in TABLES:
            assert rows(cursor, f"SELECT count(*) FROM {table}") == [0], table  # noqa: S608


def test_coach_and_clients_see_their_own_schedule_only(app_role: str, world: World) -> None:
    sessions = _data(world)
    with raw_as(world.dana.pk) as cursor:
        for table in TABLES[:4]:
            assert set(rows(cursor, f"SELECT coach_id FROM {table}")) == {world.dana.pk}, table  # noqa: S608
        assert rows(cursor, "SELECT id FROM scheduling_session") == [sessions["avi"].pk]
        assert set(rows(cursor, "SELECT session_id FROM scheduling_sessionevent")) == {
            sessions["avi"].pk
        }
    # Avi reads his coach's types and hours (to see slots), and his own session.
    with raw_as(world.avi.pk) as cursor:
        for table in TABLES[:4]:
            assert set(rows(cursor, f"SELECT coach_id FROM {table}")) == {world.dana.pk}, table  # noqa: S608
        assert rows(cursor, "SELECT id FROM scheduling_session") == [sessions["avi"].pk]
    # Noa, Dana's other client: the coach's hours yes, Avi's session and history no.
    with raw_as(world.noa.pk) as cursor:
        assert set(rows(cursor, "SELECT coach_id FROM scheduling_sessiontype")) == {world.dana.pk}
        assert rows(cursor, "SELECT id FROM scheduling_session") == []
        assert rows(cursor, "SELECT id FROM scheduling_sessionevent") == []
    with raw_as(world.maya.pk) as cursor:
        assert rows(cursor, "SELECT id FROM scheduling_session") == [sessions["maya"].pk]
        assert set(rows(cursor, "SELECT coach_id FROM scheduling_weeklyavailability")) == {
            world.eli.pk
        }


def test_archived_client_no_longer_reads_the_coachs_hours(app_role: str, world: World) -> None:
    sessions = _data(world)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_coachclient SET status = 'archived' WHERE client_id = %s",
            [world.avi.pk],
        )
    with raw_as(world.avi.pk) as cursor:
        assert rows(cursor, "SELECT id FROM scheduling_sessiontype") == []
        # Their own past and present sessions stay theirs.
        assert rows(cursor, "SELECT id FROM scheduling_session") == [sessions["avi"].pk]


def test_writes_across_the_line_change_nothing_or_fail(app_role: str, world: World) -> None:
    sessions = _data(world)
    maya = sessions["maya"]
    with raw_as(world.avi.pk) as cursor:
        cursor.execute(
            "UPDATE scheduling_session SET status = 'cancelled' WHERE id = %s", [maya.pk]
        )
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM scheduling_weeklyavailability")
        assert cursor.rowcount == 0
        cursor.execute("UPDATE scheduling_sessiontype SET price = 0")
        assert cursor.rowcount == 0
    denied = pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security")
    # A client cannot book themselves with a coach who is not theirs…
    with raw_as(world.avi.pk) as cursor, denied:
        cursor.execute(
            "INSERT INTO scheduling_session (coach_id, client_id, session_type_id, starts_at, ends_at, "
            "coach_timezone, buffer_before_minutes, buffer_after_minutes, status, cancellation_reason, "
            "late_cancellation, uid, sequence, created_at, updated_at) "
            "VALUES (%s, %s, %s, now(), now() + interval '1 hour', 'UTC', 0, 0, 'scheduled', '', false, "
            "'x@loom', 0, now(), now())",
            [world.eli.pk, world.avi.pk, maya.session_type_id],
        )
    # …nor write history for someone else's session, nor edit history at all.
    denied = pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security")
    with raw_as(world.avi.pk) as cursor, denied:
        cursor.execute(
            "INSERT INTO scheduling_sessionevent (session_id, actor_id, occurred_at, kind, reason) "
            "VALUES (%s, %s, now(), 'cancelled', '')",
            [maya.pk, world.avi.pk],
        )
    with raw_as(world.avi.pk) as cursor:
        cursor.execute("UPDATE scheduling_sessionevent SET reason = 'x'")
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM scheduling_sessionevent")
        assert cursor.rowcount == 0
    assert SessionEvent.objects.filter(reason="x").count() == 0


def test_booking_flow_works_as_the_application_role(app_role: str, transactional_db: None) -> None:
    world = World.build()
    hours(world.dana, days=range(5))
    kind = session_type(world.dana)
    with application_connections(APP_ROLE), time_machine.travel(NOW, tick=False):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (APP_ROLE,)
        # Noa books first; Avi cannot see her session, yet his booking of the same
        # time is refused (busy times are read in the system context).
        with acting_as(world.noa.pk):
            noa_session = session_book(
                actor=world.noa,
                coach=world.dana,
                client=world.noa,
                session_type=kind,
                starts_at=SLOT,
            )
        with acting_as(world.avi.pk):
            assert not Session.objects.filter(pk=noa_session.pk).exists()
            with pytest.raises(Conflict):
                session_book(
                    actor=world.avi,
                    coach=world.dana,
                    client=world.avi,
                    session_type=kind,
                    starts_at=SLOT,
                )
            mine = session_book(
                actor=world.avi,
                coach=world.dana,
                client=world.avi,
                session_type=kind,
                starts_at=SLOT + timedelta(hours=2),
            )
            moved = session_reschedule(
                actor=world.avi, session=mine, starts_at=SLOT + timedelta(days=1)
            )
            assert moved.sequence == 1
            spare = session_book(
                actor=world.avi,
                coach=world.dana,
                client=world.avi,
                session_type=kind,
                starts_at=SLOT + timedelta(days=2),
            )
            assert session_cancel(actor=world.avi, session=spare).status == "cancelled"
        with acting_as(world.dana.pk):
            session_cancel(actor=world.dana, session=noa_session, reason="Ill")
        # The admin is no party; the service acts for them in the system context.
        with acting_as(world.admin.pk):
            cancelled = session_cancel(actor=world.admin, session=moved, reason="Support")
            assert cancelled.cancelled_by_id == world.admin.pk
    assert set(Session.objects.values_list("status", flat=True)) == {"cancelled"}

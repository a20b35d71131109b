"""Row-level security on in-app notifications and reminders, as the application role."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from loom.notifications.models import Notification
from tests.security.conftest import raw_as, rows
from tests.world import World

pytestmark = pytest.mark.postgres


def _notices(world: World) -> dict[str, Notification]:
    return {
        name: Notification.objects.create(
            user=getattr(world, name), kind="notice", title=f"For {name}", source=f"rls:{name}"
        )
        for name in ("avi", "maya", "dana")
    }


def test_notifications_table_has_row_level_security_enabled_and_forced(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class "
            "WHERE relname = 'notifications_notification'"
        )
        assert cursor.fetchone() == (True,)


@pytest.mark.parametrize("setting", [None, "", "abc", "0"])
def test_nobody_acting_sees_no_notification(
    app_role: str, world: World, setting: str | None
) -> None:
    _notices(world)
    with raw_as(setting) as cursor:
        assert rows(cursor, "SELECT count(*) FROM notifications_notification") == [0]


def test_each_person_reads_only_their_own_notifications(app_role: str, world: World) -> None:
    notices = _notices(world)
    with raw_as(world.avi.pk) as cursor:
        assert rows(cursor, "SELECT id FROM notifications_notification") == [notices["avi"].pk]
    # Avi's coach does not read his notices either.
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, "SELECT id FROM notifications_notification") == [notices["dana"].pk]
    with raw_as("system") as cursor:
        assert rows(cursor, "SELECT count(*) FROM notifications_notification") == [3]


def test_nobody_marks_or_deletes_someone_elses_notifications(app_role: str, world: World) -> None:
    notices = _notices(world)
    with raw_as(world.maya.pk) as cursor:
        cursor.execute(
            "UPDATE notifications_notification SET read_at = now() WHERE id = %s",
            [notices["avi"].pk],
        )
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM notifications_notification")
        assert cursor.rowcount == 0
        # Moving one's own notice to someone else is refused by the policy's check.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            cursor.execute(
                "UPDATE notifications_notification SET user_id = %s WHERE id = %s",
                [world.avi.pk, notices["maya"].pk],
            )
    with raw_as(world.avi.pk) as cursor:
        cursor.execute("UPDATE notifications_notification SET read_at = now()")
        assert cursor.rowcount == 1


def test_a_person_cannot_create_notifications_for_anyone(app_role: str, world: World) -> None:
    with raw_as(world.avi.pk) as cursor, pytest.raises(psycopg.errors.InsufficientPrivilege):
        cursor.execute(
            "INSERT INTO notifications_notification "
            "(user_id, kind, title, body, url, source, created_at) "
            "VALUES (%s, 'x', 'Forged', '', '', 'forged', now())",
            [world.avi.pk],
        )


def test_reminders_are_read_by_their_recipient_and_the_sessions_coach_only(
    app_role: str, world: World
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from loom.scheduling.models import Reminder, Session, SessionType

    kind = SessionType.objects.create(coach=world.dana, name_en="RLS", duration_minutes=60)
    starts_at = timezone.now() + timedelta(days=2)
    session = Session.objects.create(
        coach=world.dana,
        client=world.avi,
        session_type=kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        coach_timezone="UTC",
    )
    for person in (world.avi, world.dana):
        Reminder.objects.create(
            session=session,
            recipient=person,
            channel="email",
            offset_minutes=60,
            due_at=starts_at - timedelta(hours=1),
        )
    with raw_as(world.avi.pk) as cursor:
        assert rows(cursor, "SELECT recipient_id FROM scheduling_reminder") == [world.avi.pk]
    with raw_as(world.dana.pk) as cursor:
        assert set(rows(cursor, "SELECT recipient_id FROM scheduling_reminder")) == {
            world.avi.pk,
            world.dana.pk,
        }
    for outsider in (world.noa, world.maya, world.eli):
        with raw_as(outsider.pk) as cursor:
            assert rows(cursor, "SELECT count(*) FROM scheduling_reminder") == [0]

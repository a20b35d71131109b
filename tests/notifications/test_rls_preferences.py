"""Row-level security on the preference, delivery, summary and announcement tables."""

from __future__ import annotations

import psycopg
import pytest
from django.utils import timezone

from loom.notifications.models import (
    Announcement,
    ChannelChoice,
    DigestItem,
    Notification,
    NotificationDelivery,
    NotificationSettings,
)
from tests.security.conftest import raw_as, rows
from tests.world import World

pytestmark = pytest.mark.postgres


def _rows(world: World) -> dict[str, Notification]:
    notices = {}
    for name in ("avi", "maya"):
        user = getattr(world, name)
        notification = Notification.objects.create(
            user=user, kind="message_new", title=f"For {name}", source=f"rls:{name}"
        )
        NotificationDelivery.objects.create(notification=notification, channel="email")
        DigestItem.objects.create(user=user, notification=notification, category="messages")
        ChannelChoice.objects.create(user=user, kind="message_new", channel="push", enabled=False)
        NotificationSettings.objects.create(user=user, messages_digest="daily")
        notices[name] = notification
    Announcement.objects.create(author=world.admin, title_en="Hi", title_he="שלום")
    return notices


TABLES = (
    "notifications_channelchoice",
    "notifications_notificationsettings",
    "notifications_notificationdelivery",
    "notifications_digestitem",
    "notifications_announcement",
)


@pytest.mark.parametrize("table", TABLES)
def test_tables_have_row_level_security_enabled_and_forced(db: None, table: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = %s",
            [table],
        )
        assert cursor.fetchone() == (True,)


def test_each_person_reads_only_their_own_preferences_deliveries_and_summary_items(
    app_role: str, world: World
) -> None:
    notices = _rows(world)
    with raw_as(world.avi.pk) as cursor:
        assert rows(cursor, "SELECT user_id FROM notifications_channelchoice") == [world.avi.pk]
        assert rows(cursor, "SELECT user_id FROM notifications_notificationsettings") == [
            world.avi.pk
        ]
        assert rows(cursor, "SELECT notification_id FROM notifications_notificationdelivery") == [
            notices["avi"].pk
        ]
        assert rows(cursor, "SELECT user_id FROM notifications_digestitem") == [world.avi.pk]
        assert rows(cursor, "SELECT count(*) FROM notifications_announcement") == [0]
    # A coach does not read the client's choices either.
    with raw_as(world.dana.pk) as cursor:
        for table in TABLES:
            assert rows(cursor, f"SELECT count(*) FROM {table}") == [0]  # noqa: S608
    with raw_as(None) as cursor:
        for table in TABLES:
            assert rows(cursor, f"SELECT count(*) FROM {table}") == [0]  # noqa: S608
    with raw_as("system") as cursor:
        assert rows(cursor, "SELECT count(*) FROM notifications_notificationdelivery") == [2]


def test_an_admin_reads_announcements_and_nobody_else_writes_them(
    app_role: str, world: World
) -> None:
    _rows(world)
    with raw_as(world.admin.pk) as cursor:
        assert rows(cursor, "SELECT title_he FROM notifications_announcement") == ["שלום"]
    with raw_as(world.dana.pk) as cursor, pytest.raises(psycopg.errors.InsufficientPrivilege):
        cursor.execute(
            "INSERT INTO notifications_announcement "
            "(audience, title_en, body_en, title_he, body_he, created_at, recipients) "
            "VALUES ('everyone', 'x', '', 'x', '', now(), 0)"
        )


def test_a_person_cannot_forge_deliveries_or_summary_items_or_others_choices(
    app_role: str, world: World
) -> None:
    notices = _rows(world)
    with raw_as(world.avi.pk) as cursor:
        cursor.execute(
            "UPDATE notifications_notificationdelivery SET state = 'sent' WHERE notification_id = %s",
            [notices["avi"].pk],
        )
        assert cursor.rowcount == 0
        cursor.execute("UPDATE notifications_channelchoice SET enabled = true")
        assert cursor.rowcount == 1  # their own only
        cursor.execute("DELETE FROM notifications_notificationsettings")
        assert cursor.rowcount == 1
    with raw_as(world.avi.pk) as cursor, pytest.raises(psycopg.errors.InsufficientPrivilege):
        cursor.execute(
            "INSERT INTO notifications_digestitem (user_id, notification_id, category, created_at) "
            "VALUES (%s, %s, 'messages', %s)",
            [world.avi.pk, notices["maya"].pk, timezone.now()],
        )
    with raw_as(world.maya.pk) as cursor, pytest.raises(psycopg.errors.InsufficientPrivilege):
        cursor.execute(
            "INSERT INTO notifications_channelchoice (user_id, kind, channel, enabled) "
            "VALUES (%s, 'message_new', 'email', false)",
            [world.avi.pk],
        )

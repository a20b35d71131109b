"""What the Django admin may read on PostgreSQL, proven as the application role.

The ``admin_read`` policies (accounts 0006, scheduling 0008, messaging 0006,
notifications 0006) let an *active admin* read operational tables, and nothing
else: no writes, nothing for coaches or clients beyond their own policies, nothing
for a deactivated admin or for nobody. Tables of private content have no admin
policy, so the admin's lists are empty there — and say why. Raw SQL through the
driver (``raw_as``) proves what the database enforces; the last test runs the real
admin pages with the application's connections switched to the application role.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.utils import quote
from django.db import connection
from django.db.models import Q
from django.urls import reverse

from loom.accounts.models import User
from loom.core.admin import NOTE_PRIVATE
from loom.journal.models import Entry
from loom.messaging.models import Message
from loom.notifications.models import Notification
from loom.scheduling.models import Session
from tests.accounts.security_support import enable_totp
from tests.admin.data import Batch, populate
from tests.conftest import signed_in
from tests.security.conftest import APP_ROLE, application_connections, raw_as, rows
from tests.world import World

pytestmark = pytest.mark.postgres

MARKER = "PRIVATE-MARKER-5150"

# Table -> the column that ties a row to the batch's coach or client.
ADMIN_READ = {
    "accounts_coachclient": "coach_id",
    "accounts_invitation": "coach_id",
    "accounts_onboarding": "user_id",
    "accounts_consentrecord": "user_id",
    "scheduling_sessiontype": "coach_id",
    "scheduling_session": "coach_id",
    "scheduling_sessionevent": "actor_id",
    "scheduling_sessionseat": "client_id",
    "scheduling_waitlistentry": "session_id",
    "scheduling_reminder": "recipient_id",
    "messaging_conversation": "coach_id",
    "messaging_participant": "user_id",
    "notifications_notificationdelivery": "notification_id",
}
# Private content: no admin policy at all.
NO_ADMIN_READ = {
    "accounts_clientprofile": "user_id",
    "accounts_smscode": "user_id",
    "journal_entry": "author_id",
    "journal_comment": "author_id",
    "journal_intention": "client_id",
    "journal_prompt": "coach_id",
    "wellbeing_checkin": "client_id",
    "wellbeing_goal": "client_id",
    "messaging_message": "sender_id",
    "messaging_messageedit": "message_id",
    "messaging_attachment": "uploader_id",
    "messaging_reaction": "user_id",
    "scheduling_sessionprivatenote": "coach_id",
    "scheduling_sessionsummary": "session_id",
    "scheduling_clientsessionreflection": "client_id",
    "scheduling_actionitem": "client_id",
    "scheduling_sessionattachment": "uploaded_by_id",
    "notifications_notification": "user_id",
    "notifications_pushsubscription": "user_id",
    "resources_resource": "coach_id",
    "analytics_export": "requested_by_id",
}


def _ids(batch: Batch, column: str) -> list[int]:
    """The ids in ``column`` that belong to the batch, read as the superuser."""
    people = Q(pk__in=[batch.coach.pk, batch.client.pk])
    if column == "session_id":
        return list(Session.objects.filter(coach=batch.coach).values_list("pk", flat=True))
    if column == "notification_id":
        return list(
            Notification.objects.filter(user__in=User.objects.filter(people)).values_list(
                "pk", flat=True
            )
        )
    if column == "message_id":
        return list(
            Message.objects.filter(conversation__coach=batch.coach).values_list("pk", flat=True)
        )
    return [batch.coach.pk, batch.client.pk]


def _batch_rows(table: str, batch: Batch, user_id: object) -> int:
    column = ADMIN_READ.get(table) or NO_ADMIN_READ[table]
    ids = _ids(batch, column)
    with raw_as(user_id) as cursor:
        query = f"SELECT count(*) FROM {table} WHERE {column} = ANY(%s)"  # noqa: S608
        return int(rows(cursor, query, [ids])[0])


@pytest.fixture
def batch(world: World, app_role: str) -> Batch:
    return populate(MARKER, admin=world.admin)


def test_an_active_admin_reads_operational_tables_and_nobody_else_gains(
    world: World, batch: Batch
) -> None:
    for table in ADMIN_READ:
        everyone = _batch_rows(table, batch, "system")
        assert everyone >= 1, table
        assert _batch_rows(table, batch, world.admin.pk) == everyone, table
        # Another coach and another client still see none of the batch's rows.
        assert _batch_rows(table, batch, world.eli.pk) == 0, table
        assert _batch_rows(table, batch, world.maya.pk) == 0, table
        assert _batch_rows(table, batch, None) == 0, table


def test_a_deactivated_admin_or_a_staff_flag_without_the_role_reads_nothing(
    world: World, batch: Batch
) -> None:
    staff_coach = world.eli
    User.objects.filter(pk=staff_coach.pk).update(is_staff=True, is_superuser=True)
    for table in ADMIN_READ:
        assert _batch_rows(table, batch, staff_coach.pk) == 0, table
    User.objects.filter(pk=world.admin.pk).update(is_active=False)
    for table in ADMIN_READ:
        assert _batch_rows(table, batch, world.admin.pk) == 0, table


def test_admin_read_is_read_only(world: World, batch: Batch) -> None:
    with raw_as(world.admin.pk) as cursor:
        cursor.execute(
            "UPDATE scheduling_session SET status = 'cancelled' WHERE coach_id = %s",
            [batch.coach.pk],
        )
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM accounts_coachclient WHERE coach_id = %s", [batch.coach.pk])
        assert cursor.rowcount == 0
        cursor.execute(
            "UPDATE messaging_participant SET last_read_message_id = 0 WHERE user_id = %s",
            [batch.client.pk],
        )
        assert cursor.rowcount == 0
        cursor.execute(
            "UPDATE notifications_notificationdelivery SET state = 'failed' "
            "WHERE notification_id IN (SELECT id FROM notifications_notification)"
        )
        assert cursor.rowcount == 0
        # Seen by the system in the same transaction: nothing was changed.
        cursor.execute("SELECT set_config('app.user_id', 'system', true)")
        cancelled = rows(
            cursor,
            "SELECT count(*) FROM scheduling_session WHERE coach_id = %s AND status = 'cancelled'",
            [batch.coach.pk],
        )
        assert cancelled == [0]


def test_private_content_has_no_admin_policy(world: World, batch: Batch) -> None:
    for table in NO_ADMIN_READ:
        assert _batch_rows(table, batch, "system") >= 1, table
        assert _batch_rows(table, batch, world.admin.pk) == 0, table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_policies WHERE policyname = 'admin_read' "
            "AND tablename = ANY(%s)",
            [list(NO_ADMIN_READ)],
        )
        assert cursor.fetchall() == []


def test_the_admin_pages_as_the_application_role(app_role: str, transactional_db: None) -> None:
    world = World.build()
    batch = populate(MARKER, admin=world.admin)
    enable_totp(world.admin)
    session = batch.rows[Session]
    entry = batch.rows[Entry]
    with application_connections(APP_ROLE):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (APP_ROLE,)
        admin = signed_in(world.admin)

        # Operational rows are listed and open.
        body = admin.get(reverse("admin:scheduling_session_changelist")).content.decode()
        assert batch.client.full_name in body
        assert str(NOTE_PRIVATE) not in body
        change = admin.get(reverse("admin:scheduling_session_change", args=[session.pk]))
        assert change.status_code == 200
        deliveries = admin.get(reverse("admin:notifications_notificationdelivery_changelist"))
        assert deliveries.status_code == 200
        assert "field-notification_reference" in deliveries.content.decode()
        conversations = admin.get(reverse("admin:messaging_conversation_changelist"))
        assert batch.coach.full_name in conversations.content.decode()

        # Private content: an empty list that says why, and the row cannot be opened.
        listing = admin.get(reverse("admin:journal_entry_changelist"))
        assert listing.status_code == 200
        body = listing.content.decode()
        assert "loom-rls-note" in body
        assert batch.client.full_name not in body
        opened = admin.get(reverse("admin:journal_entry_change", args=[quote(entry.pk)]))
        assert opened.status_code == 302
        for url in (
            reverse("admin:messaging_message_changelist"),
            reverse("admin:wellbeing_checkin_changelist"),
            reverse("admin:scheduling_sessionprivatenote_changelist"),
        ):
            page = admin.get(url)
            assert page.status_code == 200, url
            assert "loom-rls-note" in page.content.decode(), url
            assert MARKER not in page.content.decode(), url

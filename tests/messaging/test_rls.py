"""Row-level security of messaging and the realtime streams, proven with raw SQL as the
application role (``raw_as``): the policies of ``loom/messaging/migrations/0002`` and
``loom/core/migrations/0005`` alone decide, nothing of the application runs.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import connection

from loom.core.realtime import event_append
from loom.messaging import services
from loom.messaging.models import Attachment, Message
from tests.messaging.factories import Talks, send, talks, upload
from tests.security.conftest import app_role, raw_as, rows  # noqa: F401 - app_role is a fixture
from tests.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("app_role")]

DENIED = "row-level security"

# Each table, and SQL counting the rows of Dana and Avi's conversation in it.
OF_DANA_AVI = {
    "messaging_conversation": "SELECT count(*) FROM messaging_conversation WHERE id = %s",
    "messaging_participant": "SELECT count(*) FROM messaging_participant WHERE conversation_id = %s",
    "messaging_message": "SELECT count(*) FROM messaging_message WHERE conversation_id = %s",
    "messaging_messageedit": (
        "SELECT count(*) FROM messaging_messageedit e JOIN messaging_message m "
        "ON m.id = e.message_id WHERE m.conversation_id = %s"
    ),
    "messaging_reaction": (
        "SELECT count(*) FROM messaging_reaction r JOIN messaging_message m "
        "ON m.id = r.message_id WHERE m.conversation_id = %s"
    ),
    "messaging_attachment": "SELECT count(*) FROM messaging_attachment WHERE conversation_id = %s",
}
TABLES = [
    *OF_DANA_AVI,
    "messaging_messagingpreference",
    "core_userevent",
    "core_userstream",
]


def _filled(world: World) -> tuple[Talks, Message]:
    t = talks(world)
    question = send(world.avi, t.dana_avi, "A question")
    answer = send(
        world.dana,
        t.dana_avi,
        "An answer",
        reply_to_id=question.pk,
        attachment_ids=[upload(world.dana, t.dana_avi).pk],
    )
    services.message_edit(user=world.dana, message_id=answer.pk, body="A better answer")
    services.reaction_set(user=world.avi, message_id=answer.pk, emoji="🙏", on=True)
    services.messaging_preference_set(user=world.avi, send_read_receipts=False)
    send(world.maya, t.eli_maya, "Maya to Eli")
    return t, answer


def _counts(cursor: Any, conversation_id: int) -> dict[str, int]:
    return {table: rows(cursor, sql, [conversation_id])[0] for table, sql in OF_DANA_AVI.items()}


def test_every_table_has_rls_forced(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) "
            "AND relrowsecurity AND relforcerowsecurity",
            [TABLES],
        )
        assert {row[0] for row in cursor.fetchall()} == set(TABLES)


def test_both_people_read_their_conversation_and_others_read_nothing(world: World) -> None:
    t, _answer = _filled(world)
    with raw_as("system") as cursor:
        everything = _counts(cursor, t.dana_avi.pk)
    assert all(count > 0 for count in everything.values()), everything
    for person in (world.dana, world.avi):
        with raw_as(person.pk) as cursor:
            assert _counts(cursor, t.dana_avi.pk) == everything, person.email
    for person in (world.noa, world.eli, world.maya, None):
        with raw_as(person.pk if person else None) as cursor:
            assert set(_counts(cursor, t.dana_avi.pk).values()) == {0}, person
    # An active admin reads who talks with whom (messaging 0006_admin_read), never what.
    with raw_as(world.admin.pk) as cursor:
        seen = _counts(cursor, t.dana_avi.pk)
    assert seen == {
        **dict.fromkeys(everything, 0),
        "messaging_conversation": everything["messaging_conversation"],
        "messaging_participant": everything["messaging_participant"],
    }
    with raw_as(world.maya.pk) as cursor:
        assert rows(cursor, "SELECT count(*) FROM messaging_message") == [1]


def test_preferences_and_streams_are_each_persons_own(world: World) -> None:
    _filled(world)
    event_append(world.eli.pk, "note", {"private": True})
    with raw_as(world.avi.pk) as cursor:
        assert rows(cursor, "SELECT user_id FROM messaging_messagingpreference") == [world.avi.pk]
        assert set(rows(cursor, "SELECT DISTINCT user_id FROM core_userevent")) == {world.avi.pk}
        assert rows(cursor, "SELECT user_id FROM core_userstream") == [world.avi.pk]
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, "SELECT count(*) FROM messaging_messagingpreference") == [0]
        assert set(rows(cursor, "SELECT DISTINCT user_id FROM core_userevent")) == {world.dana.pk}
    with raw_as(None) as cursor:
        for table in ("core_userevent", "core_userstream", "messaging_messagingpreference"):
            assert rows(cursor, f"SELECT count(*) FROM {table}") == [0], table  # noqa: S608


def test_nobody_writes_into_someone_elses_conversation(world: World) -> None:
    t, answer = _filled(world)
    attempts = [
        (
            world.maya,
            "INSERT INTO messaging_message (conversation_id, sender_id, client_id, body, body_html, "
            "created_at) VALUES (%s, %s, gen_random_uuid(), 'x', '', now())",
            [t.dana_avi.pk, world.maya.pk],
        ),
        (  # a member writing in the other's name
            world.avi,
            "INSERT INTO messaging_message (conversation_id, sender_id, client_id, body, body_html, "
            "created_at) VALUES (%s, %s, gen_random_uuid(), 'x', '', now())",
            [t.dana_avi.pk, world.dana.pk],
        ),
        (
            world.maya,
            "INSERT INTO messaging_reaction (message_id, user_id, emoji, created_at) "
            "VALUES (%s, %s, '👍', now())",
            [answer.pk, world.maya.pk],
        ),
        (
            world.avi,
            "INSERT INTO messaging_messageedit (message_id, body, replaced_at) "
            "VALUES (%s, 'forged history', now())",
            [answer.pk],
        ),
        (
            world.avi,
            "INSERT INTO core_userevent (user_id, seq, kind, data, created_at) "
            "VALUES (%s, 999, 'message.created', '{}', now())",
            [world.dana.pk],
        ),
        (
            world.dana,
            "INSERT INTO messaging_conversation (coach_id, client_id, created_at) "
            "VALUES (%s, %s, now())",
            [world.dana.pk, world.maya.pk],
        ),
    ]
    for person, sql, params in attempts:
        with (
            pytest.raises(psycopg.errors.InsufficientPrivilege, match=DENIED),
            raw_as(person.pk) as cursor,
        ):
            cursor.execute(sql, params)


def test_changes_to_others_rows_touch_nothing(world: World) -> None:
    t, answer = _filled(world)
    statements = [
        (world.avi, "UPDATE messaging_message SET body = 'changed' WHERE id = %s", [answer.pk]),
        (world.eli, "UPDATE messaging_message SET body = 'changed' WHERE id = %s", [answer.pk]),
        (world.dana, "DELETE FROM messaging_reaction WHERE message_id = %s", [answer.pk]),
        (
            world.dana,
            "UPDATE messaging_participant SET last_read_message_id = 0 "
            "WHERE conversation_id = %s AND user_id = %s",
            [t.dana_avi.pk, world.avi.pk],
        ),
        (
            world.maya,
            "UPDATE messaging_conversation SET last_message_id = NULL WHERE id = %s",
            [t.dana_avi.pk],
        ),
        (world.avi, "DELETE FROM messaging_attachment WHERE conversation_id = %s", [t.dana_avi.pk]),
        (
            world.avi,
            "UPDATE messaging_messagingpreference SET send_read_receipts = true WHERE user_id = %s",
            [world.dana.pk],
        ),
        (world.dana, "DELETE FROM core_userevent WHERE user_id = %s", [world.avi.pk]),
    ]
    for person, sql, params in statements:
        with raw_as(person.pk) as cursor:
            cursor.execute(sql, params)
            assert cursor.rowcount == 0, (person.email, sql)
    answer.refresh_from_db()
    assert answer.body == "A better answer"
    assert Attachment.objects.filter(message=answer).count() == 1


def test_the_sender_changes_their_own_message(world: World) -> None:
    _t, answer = _filled(world)
    with raw_as(world.dana.pk) as cursor:
        cursor.execute("UPDATE messaging_message SET body = 'mine' WHERE id = %s", [answer.pk])
        assert cursor.rowcount == 1


def test_messaging_flow_works_as_the_application_role(transactional_db: None) -> None:
    """The real services and selectors, run as the application role with RLS in force."""
    from loom.core.context import acting_as
    from loom.core.errors import NotFound
    from loom.messaging import selectors
    from loom.messaging.models import MessageEdit, Reaction
    from tests.security.conftest import APP_ROLE, application_connections

    world = World.build()
    with application_connections(APP_ROLE):
        t = talks(world)
        photo = upload(world.avi, t.dana_avi)
        question = send(world.avi, t.dana_avi, "Breathing question", attachment_ids=[photo.pk])
        answer = send(world.dana, t.dana_avi, "Breathing answer", reply_to_id=question.pk)
        with acting_as(world.avi.pk):
            services.reaction_set(user=world.avi, message_id=answer.pk, emoji="💪", on=True)
            services.message_edit(user=world.avi, message_id=question.pk, body="Breathing, again")
            with pytest.raises(services.NotYours):
                services.message_edit(user=world.avi, message_id=answer.pk, body="Not mine")
            services.conversation_mark_read(
                user=world.avi, conversation_id=t.dana_avi.pk, message_id=answer.pk
            )
            services.typing(user=world.avi, conversation_id=t.dana_avi.pk)
        with acting_as(world.dana.pk):
            services.reaction_set(user=world.dana, message_id=question.pk, emoji="👍", on=True)
            (listed, _noa) = selectors.conversations_for(world.dana)
            assert listed.pk == t.dana_avi.pk and listed.other == world.avi
            page = selectors.messages_page(user=world.dana, conversation_id=t.dana_avi.pk)
            assert [m.pk for m in page] == [answer.pk, question.pk]
            data = selectors.message_dict(page[1])
            assert data["attachments"][0]["id"] == photo.pk and data["edited_at"]
            assert (
                selectors.read_state(user=world.dana, conversation=t.dana_avi)["message"]
                == answer.pk
            )
            found = selectors.messages_search(
                user=world.dana, conversation_id=t.dana_avi.pk, q="breath"
            )
            assert {m.pk for m in found} == {question.pk, answer.pk}
            assert len(selectors.edit_history(user=world.dana, message_id=question.pk)[1]) == 1
        with acting_as(world.avi.pk):
            # Dana's reaction and the earlier text go with Avi's message.
            services.message_delete(user=world.avi, message_id=question.pk)
            assert selectors.unread_total(world.avi) == 0
        with acting_as(world.maya.pk):
            with pytest.raises(NotFound):
                selectors.get_conversation_for_user(world.maya, t.dana_avi.pk)
            with pytest.raises(NotFound):
                services.typing(user=world.maya, conversation_id=t.dana_avi.pk)
            with pytest.raises(NotFound):
                send(world.maya, t.dana_avi, "Let me in")
    assert not Reaction.objects.filter(message_id=question.pk).exists()
    assert not MessageEdit.objects.filter(message_id=question.pk).exists()
    assert not Attachment.objects.filter(pk=photo.pk).exists()
    assert Message.objects.get(pk=question.pk).is_deleted

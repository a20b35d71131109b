"""Row-level security of messaging against a member rewriting who a row belongs to.

Raw SQL as the application role (``raw_as``), so only the database decides: a member may
change what the policies let them change (the last message, their read state, their
text), never which conversation or person a row belongs to.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from loom.core.context import acting_as
from loom.messaging import services
from loom.messaging.models import Attachment, Conversation, Message, Participant
from tests.messaging.factories import send, talks, upload
from tests.security.conftest import app_role, raw_as, rows  # noqa: F401 - app_role is a fixture
from tests.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("app_role")]


def test_a_member_cannot_move_rows_out_of_or_into_their_conversation(world: World) -> None:
    t = talks(world)
    message = send(world.avi, t.dana_avi, "Mine")
    spare = upload(world.avi, t.dana_avi)
    theirs = send(world.maya, t.eli_maya, "Maya's")
    attempts: list[tuple[Any, str, list[Any]]] = [
        # Avi hands his conversation to Eli, who would then read all of it.
        (
            world.avi,
            "UPDATE messaging_conversation SET coach_id = %s WHERE id = %s",
            [world.eli.pk, t.dana_avi.pk],
        ),
        # Avi moves his message into Eli and Maya's conversation.
        (
            world.avi,
            "UPDATE messaging_message SET conversation_id = %s WHERE id = %s",
            [t.eli_maya.pk, message.pk],
        ),
        # Avi moves his read state (his seat) to Eli and Maya's conversation.
        (
            world.avi,
            "UPDATE messaging_participant SET conversation_id = %s "
            "WHERE conversation_id = %s AND user_id = %s",
            [t.eli_maya.pk, t.dana_avi.pk, world.avi.pk],
        ),
        # Avi hangs his file on Maya's message.
        (
            world.avi,
            "UPDATE messaging_attachment SET message_id = %s WHERE id = %s",
            [theirs.pk, spare.pk],
        ),
    ]
    for person, sql, params in attempts:
        with (
            pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
            raw_as(person.pk) as cursor,
        ):
            cursor.execute(sql, params)
    assert Conversation.objects.get(pk=t.dana_avi.pk).coach_id == world.dana.pk
    assert Message.objects.get(pk=message.pk).conversation_id == t.dana_avi.pk
    assert Participant.objects.filter(conversation=t.dana_avi, user=world.avi).exists()
    assert Attachment.objects.get(pk=spare.pk).message_id is None


def test_what_members_may_change_still_changes(world: World) -> None:
    t = talks(world)
    question = send(world.avi, t.dana_avi, "A question")
    files = upload(world.dana, t.dana_avi)
    answer = send(world.dana, t.dana_avi, "An answer", attachment_ids=[files.pk])
    with acting_as(world.avi.pk):
        services.conversation_mark_read(
            user=world.avi, conversation_id=t.dana_avi.pk, message_id=answer.pk
        )
        services.message_edit(user=world.avi, message_id=question.pk, body="A better question")
    with acting_as(world.dana.pk):
        services.message_delete(user=world.dana, message_id=answer.pk)
    assert Attachment.objects.filter(pk=files.pk).count() == 0
    assert Message.objects.get(pk=question.pk).body == "A better question"
    with raw_as(world.avi.pk) as cursor:
        cursor.execute("UPDATE messaging_message SET body = 'by hand' WHERE id = %s", [question.pk])
        assert rows(cursor, "SELECT body FROM messaging_message WHERE id = %s", [question.pk]) == [
            "by hand"
        ]

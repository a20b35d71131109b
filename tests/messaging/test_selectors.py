"""Messaging reads: scoped to the person, constant query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from loom.accounts.models import CoachClient
from loom.core.errors import NotFound
from loom.messaging import selectors, services
from loom.messaging.models import Message
from tests.messaging.factories import Talks, send, talks, upload
from tests.world import World


@pytest.fixture
def t(world: World) -> Talks:
    return talks(world)


def _busy(world: World, t: Talks, count: int) -> list[Message]:
    """``count`` messages in Dana and Avi's conversation with replies, reactions and files."""
    messages: list[Message] = []
    for i in range(count):
        author = world.dana if i % 2 else world.avi
        reply_to = messages[-1].pk if messages and i % 3 == 0 else None
        attachment_ids = [upload(author, t.dana_avi).pk] if i % 4 == 0 else []
        message = send(
            author, t.dana_avi, f"message {i}", reply_to_id=reply_to, attachment_ids=attachment_ids
        )
        if i % 2 == 0:
            services.reaction_set(user=world.dana, message_id=message.pk, emoji="👍", on=True)
        messages.append(message)
    return messages


def test_conversations_for_coach_lists_all_with_unread_and_preview(world: World, t: Talks) -> None:
    send(world.avi, t.dana_avi, "First from Avi")
    send(world.avi, t.dana_avi, "Second from **Avi**")
    noa_message = send(world.noa, t.dana_noa, "שלום דנה")
    services.message_delete(user=world.noa, message_id=noa_message.pk)
    send(world.eli, t.eli_maya, "Not Dana's")
    listed = selectors.conversations_for(world.dana)
    assert [c.pk for c in listed] == [t.dana_noa.pk, t.dana_avi.pk]
    noa, avi = listed
    assert (avi.other, avi.unread, avi.preview, avi.read_only) == (
        world.avi,
        2,
        "Second from **Avi**",
        False,
    )
    assert (noa.other, noa.unread, noa.preview) == (world.noa, 0, "Message deleted")
    (mine,) = selectors.conversations_for(world.avi)
    assert (mine.other, mine.unread) == (world.dana, 0)


def test_conversations_without_messages_come_last(world: World, t: Talks) -> None:
    send(world.avi, t.dana_avi, "Hi")
    listed = selectors.conversations_for(world.dana)
    assert [c.pk for c in listed] == [t.dana_avi.pk, t.dana_noa.pk]
    assert listed[1].preview == ""


def test_archived_link_is_listed_read_only(world: World, t: Talks) -> None:
    CoachClient.objects.filter(coach=world.dana, client=world.noa).update(status="archived")
    by_id = {c.pk: c for c in selectors.conversations_for(world.dana)}
    assert by_id[t.dana_noa.pk].read_only is True
    assert by_id[t.dana_avi.pk].read_only is False


def test_conversation_list_is_one_query(
    world: World, t: Talks, django_assert_num_queries: Any
) -> None:
    for conversation, client in ((t.dana_avi, world.avi), (t.dana_noa, world.noa)):
        for i in range(3):
            send(client, conversation, f"hi {i}")
    with django_assert_num_queries(1):
        listed = selectors.conversations_for(world.dana)
        [(c.other.full_name, c.preview, c.unread) for c in listed]


def test_unread_total_is_one_query_and_counts_others_messages_only(
    world: World, t: Talks, django_assert_num_queries: Any
) -> None:
    send(world.dana, t.dana_avi, "mine")
    send(world.avi, t.dana_avi, "1")
    last = send(world.avi, t.dana_avi, "2")
    send(world.noa, t.dana_noa, "3")
    gone = send(world.noa, t.dana_noa, "4")
    services.message_delete(user=world.noa, message_id=gone.pk)
    with django_assert_num_queries(1):
        assert selectors.unread_total(world.dana) == 3
    services.conversation_mark_read(
        user=world.dana, conversation_id=t.dana_avi.pk, message_id=last.pk
    )
    assert selectors.unread_total(world.dana) == 1
    assert selectors.unread_total(world.avi) == 0
    assert selectors.unread_total(world.maya) == 0


def test_get_conversation_for_user_hides_foreign_ones(world: World, t: Talks) -> None:
    assert selectors.get_conversation_for_user(world.avi, t.dana_avi.pk) == t.dana_avi
    assert selectors.get_conversation_for_user(world.dana, str(t.dana_avi.pk)) == t.dana_avi
    for user, pk in (
        (world.noa, t.dana_avi.pk),
        (world.eli, t.dana_avi.pk),
        (world.admin, t.dana_avi.pk),
    ):
        with pytest.raises(NotFound):
            selectors.get_conversation_for_user(user, pk)
    for bad in (0, -3, "x", None, 2**64, True):
        with pytest.raises(NotFound):
            selectors.get_conversation_for_user(world.dana, bad)


@pytest.mark.parametrize("count", [3, 30])
def test_messages_page_query_count_is_constant(
    world: World, t: Talks, count: int, django_assert_num_queries: Any
) -> None:
    _busy(world, t, count)
    with django_assert_num_queries(4):
        page = selectors.messages_page(user=world.dana, conversation_id=t.dana_avi.pk)
        [selectors.message_dict(m) for m in page]


def test_messages_page_pages_backwards(world: World, t: Talks) -> None:
    messages = _busy(world, t, 7)
    page = selectors.messages_page(user=world.avi, conversation_id=t.dana_avi.pk, limit=3)
    assert [m.pk for m in page] == [m.pk for m in reversed(messages[-3:])]
    older = selectors.messages_page(
        user=world.avi, conversation_id=t.dana_avi.pk, before=page[-1].pk, limit=3
    )
    assert [m.pk for m in older] == [m.pk for m in reversed(messages[-6:-3])]
    assert selectors.messages_page(user=world.avi, conversation_id=t.dana_avi.pk, before="x") == []
    assert (
        len(selectors.messages_page(user=world.avi, conversation_id=t.dana_avi.pk, limit=10_000))
        == 7
    )
    with pytest.raises(NotFound):
        selectors.messages_page(user=world.maya, conversation_id=t.dana_avi.pk)


def test_message_dict_shape(world: World, t: Talks) -> None:
    original = send(world.avi, t.dana_avi, "Question")
    attachment = upload(world.dana, t.dana_avi)
    message = send(
        world.dana,
        t.dana_avi,
        "**Answer**",
        reply_to_id=original.pk,
        attachment_ids=[attachment.pk],
    )
    services.reaction_set(user=world.avi, message_id=message.pk, emoji="❤️", on=True)
    (loaded,) = selectors.messages_page(user=world.avi, conversation_id=t.dana_avi.pk, limit=1)
    data = selectors.message_dict(loaded)
    assert set(data) == {
        "id",
        "conversation",
        "sender",
        "client_id",
        "body_html",
        "body",
        "reply_to",
        "created_at",
        "edited_at",
        "deleted",
        "reactions",
        "attachments",
    }
    assert data["body_html"] == "<p><strong>Answer</strong></p>"
    assert data["reply_to"] == {"id": original.pk, "sender": world.avi.pk, "excerpt": "Question"}
    assert data["reactions"] == [{"emoji": "❤️", "users": [world.avi.pk]}]
    assert data["attachments"][0]["url"] == f"/messages/attachments/{attachment.pk}/"
    assert data["client_id"] == str(message.client_id)
    assert data["deleted"] is False and data["edited_at"] is None


def test_read_state_respects_the_other_persons_choice(world: World, t: Talks) -> None:
    message = send(world.dana, t.dana_avi, "Hi")
    assert selectors.read_state(user=world.dana, conversation=t.dana_avi) is None
    services.conversation_mark_read(
        user=world.avi, conversation_id=t.dana_avi.pk, message_id=message.pk
    )
    state = selectors.read_state(user=world.dana, conversation=t.dana_avi)
    assert state is not None and state["message"] == message.pk and state["user"] == world.avi.pk
    services.messaging_preference_set(user=world.avi, send_read_receipts=False)
    assert selectors.read_state(user=world.dana, conversation=t.dana_avi) is None


def test_edit_history_for_members_only(world: World, t: Talks) -> None:
    message = send(world.dana, t.dana_avi, "v1")
    services.message_edit(user=world.dana, message_id=message.pk, body="v2")
    services.message_edit(user=world.dana, message_id=message.pk, body="v3")
    loaded, edits = selectors.edit_history(user=world.avi, message_id=message.pk)
    assert loaded.body == "v3"
    assert [e.body for e in edits] == ["v1", "v2"]
    with pytest.raises(NotFound):
        selectors.edit_history(user=world.eli, message_id=message.pk)


def test_search_finds_words_and_prefixes_not_deleted(
    world: World, t: Talks, django_assert_num_queries: Any
) -> None:
    wanted = send(world.avi, t.dana_avi, "Breathing exercise helped a lot")
    send(world.dana, t.dana_avi, "Try the walking meditation")
    gone = send(world.avi, t.dana_avi, "Breathing is hard")
    services.message_delete(user=world.avi, message_id=gone.pk)
    hebrew = send(world.dana, t.dana_avi, "תרגיל נשימה לפני השינה")
    send(world.dana, t.dana_noa, "Breathing for Noa")
    with django_assert_num_queries(2):
        found = selectors.messages_search(
            user=world.dana, conversation_id=t.dana_avi.pk, q="breath exerc"
        )
    assert [m.pk for m in found] == [wanted.pk]
    found = selectors.messages_search(user=world.dana, conversation_id=t.dana_avi.pk, q="נשימה")
    assert [m.pk for m in found] == [hebrew.pk]
    assert (
        selectors.messages_search(user=world.dana, conversation_id=t.dana_avi.pk, q="  !! ") == []
    )
    assert (
        selectors.messages_search(user=world.dana, conversation_id=t.dana_avi.pk, q="zzq') | ('a:*")
        == []
    )
    with pytest.raises(NotFound):
        selectors.messages_search(user=world.eli, conversation_id=t.dana_avi.pk, q="breathing")


@pytest.mark.postgres
def test_search_uses_the_gin_index_expression(world: World, t: Talks) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'message_search'")
        (definition,) = cursor.fetchone()
    assert "to_tsvector('simple'::regconfig, body)" in definition
    send(world.avi, t.dana_avi, "Journaling every morning")
    queryset_sql = str(
        Message.objects.filter(
            selectors._Matches(
                selectors._Vector(selectors.F("body")),
                selectors._PrefixQuery(selectors.Value("'journal':*")),
            )
        ).query
    )
    assert 'to_tsvector(\'simple\'::regconfig, "messaging_message"."body")' in queryset_sql
    found = selectors.messages_search(user=world.dana, conversation_id=t.dana_avi.pk, q="journ")
    assert len(found) == 1

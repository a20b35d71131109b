"""`loom load_demo_messages`: a lived-in, bilingual conversation for each demo client."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from loom.accounts.models import CoachClient
from loom.core.context import system_context
from loom.messaging import selectors
from loom.messaging.models import Conversation, Message, MessageEdit, Reaction


def _load() -> str:
    out = io.StringIO()
    call_command("load_demo_messages", stdout=out)
    return out.getvalue()


def test_refuses_without_demo_coaches(db: None) -> None:
    with pytest.raises(CommandError, match="load_demo_data"):
        _load()


def test_demo_conversations_in_each_clients_language(db: None) -> None:
    call_command("load_demo_data", stdout=io.StringIO())
    assert "messages added" in _load()
    with system_context():
        links = list(
            CoachClient.objects.filter(
                coach__email__in=["yael.benami@example.com", "rachel.adler@example.com"],
                status=CoachClient.Status.ACTIVE,
            ).select_related("client", "coach")
        )
        assert links
        for link in links:
            conversation = Conversation.objects.get(coach=link.coach, client=link.client)
            messages = list(Message.objects.filter(conversation=conversation).order_by("id"))
            assert len(messages) == 5
            hebrew = any("\u0590" <= ch <= "\u05ff" for ch in messages[1].body)
            assert hebrew == (link.client.language == "he"), link.client.email
            assert messages[2].reply_to_id == messages[1].pk
            assert "<strong>" in messages[1].body_html
            assert MessageEdit.objects.filter(message=messages[3]).count() == 1
            assert Reaction.objects.filter(message__conversation=conversation).count() == 2
            assert conversation.last_message_id == messages[-1].pk
            assert selectors.unread_total(link.client) >= 1
        archived = CoachClient.objects.filter(
            coach__email__in=["yael.benami@example.com", "rachel.adler@example.com"],
            status=CoachClient.Status.ARCHIVED,
        )
        for link in archived:
            assert not Message.objects.filter(
                conversation__coach=link.coach, conversation__client=link.client
            ).exists()
        before = Message.objects.count()
    assert "nothing changed" in _load()
    with system_context():
        assert Message.objects.count() == before

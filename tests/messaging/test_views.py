"""The messaging pages: who sees what, the page without JavaScript, query counts."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from django.test import Client

from loom.accounts.models import Role
from loom.core.context import acting_as
from loom.core.realtime import stream_position
from loom.messaging import services
from loom.messaging.models import Message, MessagingPreference, Participant
from tests.conftest import signed_in
from tests.messaging.factories import send, talks
from tests.world import World, make_user


def _config(html: str) -> dict[str, Any]:
    found = re.search(
        r'<script id="chat-config" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, "the chat page carries its configuration"
    return json.loads(found.group(1))


# --- Inbox ---------------------------------------------------------------------------------------


def test_coach_inbox_lists_each_client_with_preview_and_unread_count(world: World) -> None:
    chats = talks(world)
    send(world.avi, chats.dana_avi, "Can we move Thursday?")
    send(world.noa, chats.dana_noa, "תודה רבה")
    send(world.noa, chats.dana_noa, "נתראה")
    html = signed_in(world.dana).get("/messages/").content.decode()
    assert "Avi Mizrahi" in html and world.noa.display_name in html
    assert "Can we move Thursday?" in html and "נתראה" in html
    assert "2 unread messages" in html and "1 unread message<" in html
    # Most recent conversation first.
    assert html.index(world.noa.display_name) < html.index("Avi Mizrahi")
    assert "Maya" not in html


def test_coach_inbox_filters_by_name(world: World) -> None:
    talks(world)
    html = signed_in(world.dana).get("/messages/", {"q": "avi"}).content.decode()
    assert "Avi Mizrahi" in html and world.noa.display_name not in html
    html = signed_in(world.dana).get("/messages/", {"q": "nobody"}).content.decode()
    assert "No conversation matches that name" in html


def test_client_with_one_coach_goes_straight_to_the_conversation(world: World) -> None:
    chats = talks(world)
    response = signed_in(world.avi).get("/messages/")
    assert response.status_code == 302
    assert response["Location"] == f"/messages/{chats.dana_avi.pk}/"


def test_coach_without_clients_sees_the_empty_state(world: World) -> None:
    lonely = make_user("lonely@example.com", role=Role.COACH, full_name="Lone Coach")
    html = signed_in(lonely).get("/messages/").content.decode()
    assert "No conversations yet" in html


def test_messages_need_sign_in_and_a_coach_or_client(world: World) -> None:
    response = Client().get("/messages/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert signed_in(world.admin).get("/messages/").status_code == 302


def test_inbox_query_count_does_not_grow_with_conversations(
    world: World, django_assert_max_num_queries: Any
) -> None:
    chats = talks(world)
    browser = signed_in(world.dana)
    browser.get("/messages/")
    with django_assert_max_num_queries(14) as few:
        browser.get("/messages/")
    allowed = len(few.captured_queries)
    for chat, who in ((chats.dana_avi, world.avi), (chats.dana_noa, world.noa)):
        for n in range(3):
            send(who, chat, f"note {n}")
    with django_assert_max_num_queries(allowed):
        response = browser.get("/messages/")
    assert response.status_code == 200


# --- A conversation ------------------------------------------------------------------------------


def test_conversation_page_renders_messages_and_the_stream_position(world: World) -> None:
    chats = talks(world)
    first = send(world.dana, chats.dana_avi, "Hi Avi")
    send(world.avi, chats.dana_avi, "**Hello** Dana", reply_to_id=first.pk)
    browser = signed_in(world.dana)
    html = browser.get(f"/messages/{chats.dana_avi.pk}/").content.decode()
    assert "<strong>Hello</strong> Dana" in html
    assert f'data-message-id="{first.pk}"' in html
    assert 'class="message-body" dir="auto"' in html
    config = _config(html)
    assert config["conversation"] == chats.dana_avi.pk and config["me"] == world.dana.pk
    assert [m["body"] for m in config["messages"]] == ["Hi Avi", "**Hello** Dana"]
    assert config["messages"][1]["reply_to"]["id"] == first.pk
    seq = int(re.search(r'data-stream-seq="(\d+)"', html).group(1))
    # Read before the page's own "read" mark, so that event is replayed to this page.
    assert seq < stream_position(world.dana.pk)
    assert f'data-seq="{seq}"' in html


def test_opening_the_conversation_marks_it_read_and_shows_the_divider_once(world: World) -> None:
    chats = talks(world)
    send(world.dana, chats.dana_avi, "Before")
    browser = signed_in(world.avi)
    browser.get(f"/messages/{chats.dana_avi.pk}/")
    newer = send(world.dana, chats.dana_avi, "After")
    html = browser.get(f"/messages/{chats.dana_avi.pk}/").content.decode()
    assert html.count('class="chat-divider"') == 1
    assert html.index('class="chat-divider"') < html.index(f'data-message-id="{newer.pk}"')
    seat = Participant.objects.get(conversation=chats.dana_avi, user=world.avi)
    assert seat.last_read_message_id == newer.pk
    assert (
        'class="chat-divider"'
        not in browser.get(f"/messages/{chats.dana_avi.pk}/").content.decode()
    )


def test_someone_elses_conversation_is_a_404(world: World) -> None:
    chats = talks(world)
    send(world.avi, chats.dana_avi, "private")
    for person in (world.eli, world.maya, world.noa):
        browser = signed_in(person)
        for path in ("", "history/", "search/?q=private"):
            assert browser.get(f"/messages/{chats.dana_avi.pk}/{path}").status_code == 404
        assert (
            browser.post(
                f"/messages/{chats.dana_avi.pk}/send/",
                {"body": "x", "client_id": str(uuid.uuid4())},
            ).status_code
            == 404
        )
    assert signed_in(world.dana).get("/messages/999999/").status_code == 404


def test_older_pages_through_before_links(world: World) -> None:
    chats = talks(world)
    sent = [send(world.avi, chats.dana_avi, f"message {n}") for n in range(53)]
    browser = signed_in(world.dana)
    html = browser.get(f"/messages/{chats.dana_avi.pk}/").content.decode()
    assert "message 3<" in html and "message 2<" not in html
    assert f'href="?before={sent[3].pk}"' in html
    html = browser.get(f"/messages/{chats.dana_avi.pk}/", {"before": sent[3].pk}).content.decode()
    assert "message 2<" in html and "message 3<" not in html
    assert 'href="?before=' not in html
    assert _config(html)["newest"] is False


def test_conversation_query_count_does_not_grow_with_messages(
    world: World, django_assert_max_num_queries: Any
) -> None:
    chats = talks(world)
    attachment_free = [send(world.avi, chats.dana_avi, f"m{n}") for n in range(2)]
    browser = signed_in(world.dana)
    browser.get(f"/messages/{chats.dana_avi.pk}/")
    with django_assert_max_num_queries(40) as baseline:
        browser.get(f"/messages/{chats.dana_avi.pk}/")
    # Each request empties the connection's query log: count now.
    allowed = len(baseline.captured_queries)
    for n in range(30):
        message = send(
            world.avi if n % 2 else world.dana,
            chats.dana_avi,
            f"more {n}",
            reply_to_id=attachment_free[0].pk,
        )
        with acting_as(world.avi.pk):
            services.reaction_set(user=world.avi, message_id=message.pk, emoji="👍", on=True)
    browser.get(f"/messages/{chats.dana_avi.pk}/")  # reads them: the mark happens once
    with django_assert_max_num_queries(allowed):
        response = browser.get(f"/messages/{chats.dana_avi.pk}/")
    assert response.status_code == 200


# --- Sending without JavaScript -----------------------------------------------------------------


def test_plain_form_sends_once_per_client_id(world: World) -> None:
    chats = talks(world)
    browser = signed_in(world.avi)
    html = browser.get(f"/messages/{chats.dana_avi.pk}/").content.decode()
    client_id = re.search(r'name="client_id" value="([0-9a-f-]{36})"', html).group(1)
    data = {"body": "Sent without *scripts*", "client_id": client_id}
    first = browser.post(f"/messages/{chats.dana_avi.pk}/send/", data)
    again = browser.post(f"/messages/{chats.dana_avi.pk}/send/", data)
    message = Message.objects.get(conversation=chats.dana_avi)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == f"/messages/{chats.dana_avi.pk}/#message-{message.pk}"
    assert message.body_html == "<p>Sent without <em>scripts</em></p>"


def test_plain_form_refusals_send_nothing_and_say_why(world: World) -> None:
    chats = talks(world)
    browser = signed_in(world.avi)
    url = f"/messages/{chats.dana_avi.pk}/send/"
    for data in (
        {"body": "   ", "client_id": str(uuid.uuid4())},
        {"body": "hi", "client_id": "not-a-uuid"},
        {"body": "x" * 10_001, "client_id": str(uuid.uuid4())},
    ):
        response = browser.post(url, data, follow=True)
        assert response.status_code == 200
        assert "Your message was not sent" in response.content.decode()
    assert not Message.objects.exists()
    assert browser.get(url).status_code == 405


# --- History (JSON) ------------------------------------------------------------------------------


def test_history_pages_backwards_as_message_dicts(world: World) -> None:
    chats = talks(world)
    sent = [send(world.avi, chats.dana_avi, f"n{n}") for n in range(55)]
    browser = signed_in(world.dana)
    newest = browser.get(f"/messages/{chats.dana_avi.pk}/history/").json()
    assert [m["id"] for m in newest["messages"]] == [m.pk for m in sent[5:]]
    assert newest["has_more"] is True
    older = browser.get(f"/messages/{chats.dana_avi.pk}/history/", {"before": sent[5].pk}).json()
    assert [m["id"] for m in older["messages"]] == [m.pk for m in sent[:5]]
    assert older["has_more"] is False
    assert set(older["messages"][0]) >= {"id", "body_html", "reactions", "attachments", "reply_to"}
    junk = browser.get(f"/messages/{chats.dana_avi.pk}/history/", {"before": "'; drop"}).json()
    assert len(junk["messages"]) == 50


def test_history_query_count_is_constant(world: World, django_assert_max_num_queries: Any) -> None:
    chats = talks(world)
    send(world.avi, chats.dana_avi, "one")
    browser = signed_in(world.dana)
    with django_assert_max_num_queries(20) as baseline:
        browser.get(f"/messages/{chats.dana_avi.pk}/history/")
    allowed = len(baseline.captured_queries)
    for n in range(20):
        send(world.avi, chats.dana_avi, f"more {n}")
    with django_assert_max_num_queries(allowed):
        browser.get(f"/messages/{chats.dana_avi.pk}/history/")


# --- Search, edit history, settings, unread ------------------------------------------------------


def test_search_finds_words_and_links_to_them_in_context(world: World) -> None:
    chats = talks(world)
    hit = send(world.avi, chats.dana_avi, "I practised breathing today")
    send(world.avi, chats.dana_avi, "Unrelated")
    browser = signed_in(world.dana)
    html = browser.get(f"/messages/{chats.dana_avi.pk}/search/", {"q": "breath"}).content.decode()
    assert "I practised breathing today" in html and "Unrelated" not in html
    assert f"?before={hit.pk + 1}#message-{hit.pk}" in html
    assert "1 message found" in html
    html = browser.get(f"/messages/{chats.dana_avi.pk}/search/").content.decode()
    assert 'for="id_q"' in html and "Search this conversation" in html


def test_edit_history_shows_earlier_texts_to_both_people_only(world: World) -> None:
    chats = talks(world)
    message = send(world.dana, chats.dana_avi, "First draft")
    with acting_as(world.dana.pk):
        services.message_edit(user=world.dana, message_id=message.pk, body="Second draft")
    for person in (world.dana, world.avi):
        html = signed_in(person).get(f"/messages/message/{message.pk}/edits/").content.decode()
        assert "First draft" in html and "Second draft" in html
    assert signed_in(world.eli).get(f"/messages/message/{message.pk}/edits/").status_code == 404
    html = signed_in(world.avi).get(f"/messages/{chats.dana_avi.pk}/").content.decode()
    assert f'href="/messages/message/{message.pk}/edits/">(edited)</a>' in html


def test_settings_turn_read_receipts_off_and_on(world: World) -> None:
    browser = signed_in(world.avi)
    html = browser.get("/messages/settings/").content.decode()
    assert "Let others see when I have read their messages" in html and "checked" in html
    assert browser.post("/messages/settings/", {}).status_code == 302
    assert MessagingPreference.objects.get(user=world.avi).send_read_receipts is False
    browser.post("/messages/settings/", {"send_read_receipts": "on"})
    assert MessagingPreference.objects.get(user=world.avi).send_read_receipts is True


def test_unread_count_endpoint_and_nav_badge(world: World) -> None:
    chats = talks(world)
    send(world.avi, chats.dana_avi, "one")
    send(world.noa, chats.dana_noa, "two")
    browser = signed_in(world.dana)
    assert browser.get("/messages/unread/").json() == {"unread": 2}
    html = browser.get("/messages/settings/").content.decode()
    assert 'data-nav-badge="messages"' in html
    assert 'aria-label="Messages, 2 unread"' in html
    browser.get(f"/messages/{chats.dana_avi.pk}/")
    assert browser.get("/messages/unread/").json() == {"unread": 1}


def test_signed_in_pages_carry_the_stream_script(world: World) -> None:
    html = signed_in(world.avi).get("/messages/settings/").content.decode()
    assert 'id="loom-stream"' in html and 'data-poll="/stream/events/"' in html
    assert 'id="stream-status" role="status"' in html
    assert 'id="loom-stream"' not in Client().get("/").content.decode()


@pytest.mark.parametrize("language", ["he"])
def test_chat_page_in_hebrew_is_rtl(world: World, language: str) -> None:
    chats = talks(world)
    html = signed_in(world.noa).get(f"/messages/{chats.dana_noa.pk}/").content.decode()
    assert 'dir="rtl"' in html

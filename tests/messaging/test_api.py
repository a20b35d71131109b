"""The messaging API: same rules as the pages and the socket, problem documents, constant
query counts."""

from __future__ import annotations

import uuid
from typing import Any

from django.test import Client

from loom.core.context import acting_as
from loom.core.models import UserEvent
from loom.messaging import services
from loom.messaging.models import Message, Participant, Reaction
from tests.conftest import signed_in
from tests.messaging.factories import send, talks, upload
from tests.world import World

API = "/api/v1/messaging"


def _post(browser: Client, path: str, data: Any) -> Any:
    return browser.post(f"{API}{path}", data, content_type="application/json")


def test_conversations_list_is_the_callers_only(world: World) -> None:
    chats = talks(world)
    send(world.avi, chats.dana_avi, "hello there")
    rows = signed_in(world.dana).get(f"{API}/conversations").json()
    assert [row["id"] for row in rows] == [chats.dana_avi.pk, chats.dana_noa.pk]
    assert rows[0]["other"] == {"id": world.avi.pk, "name": "Avi Mizrahi"}
    assert rows[0]["preview"] == "hello there" and rows[0]["unread"] == 1
    assert rows[0]["url"] == f"/messages/{chats.dana_avi.pk}/"
    assert [row["id"] for row in signed_in(world.maya).get(f"{API}/conversations").json()] == [
        chats.eli_maya.pk
    ]
    assert Client().get(f"{API}/conversations").status_code == 401


def test_send_is_idempotent_on_client_id(world: World) -> None:
    chats = talks(world)
    browser = signed_in(world.avi)
    payload = {"client_id": str(uuid.uuid4()), "body": "Once only"}
    first = _post(browser, f"/conversations/{chats.dana_avi.pk}/messages", payload)
    again = _post(browser, f"/conversations/{chats.dana_avi.pk}/messages", payload)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["body_html"] == "<p>Once only</p>"
    assert Message.objects.filter(conversation=chats.dana_avi).count() == 1


def test_send_with_reply_and_attachment(world: World) -> None:
    chats = talks(world)
    original = send(world.dana, chats.dana_avi, "How was the week?")
    image = upload(world.avi, chats.dana_avi)
    response = _post(
        signed_in(world.avi),
        f"/conversations/{chats.dana_avi.pk}/messages",
        {
            "client_id": str(uuid.uuid4()),
            "body": "",
            "reply_to": original.pk,
            "attachments": [image.pk],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reply_to"]["id"] == original.pk
    assert body["attachments"][0]["kind"] == "image"
    assert body["attachments"][0]["url"] == f"/messages/attachments/{image.pk}/"


def test_send_refusals_are_problems_and_store_nothing(world: World) -> None:
    chats = talks(world)
    browser = signed_in(world.avi)
    url = f"/conversations/{chats.dana_avi.pk}/messages"
    empty = _post(browser, url, {"client_id": str(uuid.uuid4()), "body": "  "})
    assert empty.status_code == 400 and empty["Content-Type"] == "application/problem+json"
    assert empty.json()["code"] == "invalid"
    too_long = _post(browser, url, {"client_id": str(uuid.uuid4()), "body": "x" * 10_001})
    assert too_long.status_code == 422
    bad_uuid = _post(browser, url, {"client_id": "nope", "body": "hi"})
    assert bad_uuid.status_code == 422
    foreign = _post(
        signed_in(world.maya),
        url,
        {"client_id": str(uuid.uuid4()), "body": "hi"},
    )
    assert foreign.status_code == 404 and foreign["Content-Type"] == "application/problem+json"
    assert not Message.objects.exists()


def test_messages_list_pages_with_before(world: World) -> None:
    chats = talks(world)
    sent = [send(world.avi, chats.dana_avi, f"n{n}") for n in range(7)]
    browser = signed_in(world.dana)
    page = browser.get(f"{API}/conversations/{chats.dana_avi.pk}/messages", {"limit": 3}).json()
    assert [m["id"] for m in page["messages"]] == [m.pk for m in sent[4:]]
    assert page["has_more"] is True
    older = browser.get(
        f"{API}/conversations/{chats.dana_avi.pk}/messages",
        {"limit": 5, "before": sent[4].pk},
    ).json()
    assert [m["id"] for m in older["messages"]] == [m.pk for m in sent[:4]]
    assert older["has_more"] is False
    assert (
        browser.get(f"{API}/conversations/{chats.dana_avi.pk}/messages", {"limit": 0}).status_code
        == 422
    )
    assert (
        signed_in(world.eli).get(f"{API}/conversations/{chats.dana_avi.pk}/messages").status_code
        == 404
    )


def test_edit_delete_and_react(world: World) -> None:
    chats = talks(world)
    message = send(world.dana, chats.dana_avi, "Draft")
    dana, avi = signed_in(world.dana), signed_in(world.avi)
    edited = dana.patch(
        f"{API}/messages/{message.pk}", {"body": "Final"}, content_type="application/json"
    )
    assert edited.status_code == 200 and edited.json()["body"] == "Final"
    assert edited.json()["edited_at"]
    not_yours = avi.patch(
        f"{API}/messages/{message.pk}", {"body": "Mine"}, content_type="application/json"
    )
    assert not_yours.status_code == 403
    reacted = _post(avi, f"/messages/{message.pk}/reactions", {"emoji": "👍", "on": True})
    assert reacted.json()["reactions"] == [{"emoji": "👍", "users": [world.avi.pk]}]
    refused = _post(avi, f"/messages/{message.pk}/reactions", {"emoji": "🦄", "on": True})
    assert refused.status_code == 400
    deleted = dana.delete(f"{API}/messages/{message.pk}")
    assert deleted.status_code == 200
    assert deleted.json()["deleted"] is True and deleted.json()["body"] == ""
    assert not Reaction.objects.exists()
    late = _post(avi, f"/messages/{message.pk}/reactions", {"emoji": "👍", "on": True})
    assert late.status_code == 409 and late.json()["code"] == "deleted"
    assert signed_in(world.eli).delete(f"{API}/messages/{message.pk}").status_code == 404


def test_read_moves_forward_only_and_reaches_the_stream(world: World) -> None:
    chats = talks(world)
    first = send(world.dana, chats.dana_avi, "one")
    second = send(world.dana, chats.dana_avi, "two")
    avi = signed_in(world.avi)
    url = f"/conversations/{chats.dana_avi.pk}/read"
    assert _post(avi, url, {"message": second.pk}).json()["message"] == second.pk
    assert _post(avi, url, {"message": first.pk}).json()["message"] == second.pk
    seat = Participant.objects.get(conversation=chats.dana_avi, user=world.avi)
    assert seat.last_read_message_id == second.pk
    assert UserEvent.objects.filter(user=world.dana, kind="conversation.read").count() == 1
    assert _post(signed_in(world.maya), url, {"message": second.pk}).status_code == 404


def test_search(world: World) -> None:
    chats = talks(world)
    send(world.avi, chats.dana_avi, "walking helped")
    send(world.avi, chats.dana_avi, "something else")
    browser = signed_in(world.dana)
    found = browser.get(f"{API}/conversations/{chats.dana_avi.pk}/search", {"q": "walk"}).json()
    assert [m["body"] for m in found] == ["walking helped"]
    assert browser.get(f"{API}/conversations/{chats.dana_avi.pk}/search").status_code == 422


def test_list_query_counts_are_constant(world: World, django_assert_max_num_queries: Any) -> None:
    chats = talks(world)
    first = send(world.avi, chats.dana_avi, "more to come")
    # The baseline already shows one of everything a row can carry (a reply here).
    send(world.dana, chats.dana_avi, "more soon", reply_to_id=first.pk)
    browser = signed_in(world.dana)
    urls = (
        f"{API}/conversations",
        f"{API}/conversations/{chats.dana_avi.pk}/messages",
        f"{API}/conversations/{chats.dana_avi.pk}/search?q=more",
    )
    for url in urls:
        browser.get(url)
    baselines = {}
    for url in urls:
        with django_assert_max_num_queries(20) as captured:
            browser.get(url)
        baselines[url] = len(captured.captured_queries)
    for n in range(12):
        message = send(world.avi, chats.dana_avi, f"more {n}", reply_to_id=first.pk)
        with acting_as(world.dana.pk):
            services.reaction_set(user=world.dana, message_id=message.pk, emoji="🎉", on=True)
    upload(world.avi, chats.dana_avi)
    for url in urls:
        with django_assert_max_num_queries(baselines[url]):
            response = browser.get(url)
        assert response.status_code == 200


def test_openapi_documents_the_messaging_operations(world: World) -> None:
    schema = signed_in(world.dana).get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert f"{API}/conversations" in paths
    assert {"get", "post"} <= set(paths[f"{API}/conversations/{{conversation_id}}/messages"])
    assert {"patch", "delete"} <= set(paths[f"{API}/messages/{{message_id}}"])

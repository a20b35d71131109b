"""The messaging API (/api/v1/messaging/): conversations, messages, reactions, read state.

Thin: each operation calls one selector or service — the same ones the pages and the
socket commands use — and returns ``message_dict``'s shape. A conversation or message
that is not the caller's is a 404 problem; a rule of messaging refused (too long, edit
window closed, deleted, read-only) a 400 or 409 problem with a stable ``code``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Status

from loom.accounts.permissions import request_user
from loom.core.schemas import ProblemOut
from loom.messaging import selectors, services
from loom.messaging.schemas import (
    ConversationOut,
    EditIn,
    MessageOut,
    MessagePageOut,
    MessagesQuery,
    PersonOut,
    ReactIn,
    ReadIn,
    ReadOut,
    SearchQuery,
    SendIn,
)

router = Router(tags=["messaging"])

ERRORS: dict[int, Any] = {
    400: ProblemOut,
    401: ProblemOut,
    403: ProblemOut,
    404: ProblemOut,
    409: ProblemOut,
    422: ProblemOut,
}


def _message(message_id: int) -> dict[str, Any]:
    return selectors.message_dict(selectors.message_with_related(message_id))


@router.get(
    "/conversations",
    response={200: list[ConversationOut], **ERRORS},
    url_name="messaging_conversations",
    summary="List conversations",
)
def conversation_list(request: HttpRequest) -> list[ConversationOut]:
    """The caller's conversations, most recent first, with unread counts (one query)."""
    return [
        ConversationOut(
            id=chat.pk,
            other=PersonOut(id=chat.other.pk, name=chat.other.display_name),  # type: ignore[attr-defined]
            last_message_at=chat.last_message_at,
            preview=chat.preview,  # type: ignore[attr-defined]
            unread=chat.unread,  # type: ignore[attr-defined]
            read_only=chat.read_only,  # type: ignore[attr-defined]
            url=reverse("messaging:conversation", args=[chat.pk]),
        )
        for chat in selectors.conversations_for(request_user(request))
    ]


@router.get(
    "/conversations/{int:conversation_id}/messages",
    response={200: MessagePageOut, **ERRORS},
    url_name="messaging_messages",
    summary="List messages",
)
def message_list(
    request: HttpRequest, conversation_id: int, query: Query[MessagesQuery]
) -> dict[str, Any]:
    """A page of messages, oldest first: the newest `limit`, or those older than
    `before` (a message id). `has_more` says whether to ask for an earlier page."""
    rows = selectors.messages_page(
        user=request_user(request),
        conversation_id=conversation_id,
        before=query.before,
        limit=query.limit + 1,
    )
    page = rows[: query.limit]
    return {
        "messages": [selectors.message_dict(message) for message in reversed(page)],
        "has_more": len(rows) > query.limit,
    }


@router.post(
    "/conversations/{int:conversation_id}/messages",
    response={200: MessageOut, 201: MessageOut, **ERRORS},
    url_name="messaging_send",
    summary="Send a message",
)
def message_send(
    request: HttpRequest, conversation_id: int, payload: SendIn
) -> Status[dict[str, Any]]:
    """Send `body` (markdown) with optional `reply_to` and uploaded `attachments`.
    Idempotent on `client_id`: 201 the first time, 200 with the same message when the
    same `client_id` is sent again (a retry after a lost answer)."""
    message, created = services.message_send(
        user=request_user(request),
        conversation_id=conversation_id,
        client_id=payload.client_id,
        body=payload.body,
        reply_to_id=payload.reply_to,
        attachment_ids=payload.attachments,
    )
    return Status(201 if created else 200, _message(message.pk))


@router.patch(
    "/messages/{int:message_id}",
    response={200: MessageOut, **ERRORS},
    url_name="messaging_edit",
    summary="Edit a message",
)
def message_edit(request: HttpRequest, message_id: int, payload: EditIn) -> dict[str, Any]:
    """The sender changes the text within the edit window (409 `edit_window` after it);
    earlier texts are kept for the edit history."""
    message = services.message_edit(
        user=request_user(request), message_id=message_id, body=payload.body
    )
    return _message(message.pk)


@router.delete(
    "/messages/{int:message_id}",
    response={200: MessageOut, **ERRORS},
    url_name="messaging_delete",
    summary="Delete a message",
)
def message_delete(request: HttpRequest, message_id: int) -> dict[str, Any]:
    """The sender deletes the message: a "deleted" mark stays, its text, earlier texts,
    reactions and files are removed."""
    message = services.message_delete(user=request_user(request), message_id=message_id)
    return _message(message.pk)


@router.post(
    "/messages/{int:message_id}/reactions",
    response={200: MessageOut, **ERRORS},
    url_name="messaging_react",
    summary="Add or remove a reaction",
)
def message_react(request: HttpRequest, message_id: int, payload: ReactIn) -> dict[str, Any]:
    """`on: true` adds the caller's `emoji` (one of the offered ones), `false` removes it."""
    message = services.reaction_set(
        user=request_user(request), message_id=message_id, emoji=payload.emoji, on=payload.on
    )
    return _message(message.pk)


@router.post(
    "/conversations/{int:conversation_id}/read",
    response={200: ReadOut, **ERRORS},
    url_name="messaging_read",
    summary="Mark messages read",
)
def conversation_read(request: HttpRequest, conversation_id: int, payload: ReadIn) -> Any:
    """Everything up to `message` is read. Never moves back: the answer is where the
    caller's read position is now."""
    return services.conversation_mark_read(
        user=request_user(request), conversation_id=conversation_id, message_id=payload.message
    )


@router.get(
    "/conversations/{int:conversation_id}/search",
    response={200: list[MessageOut], **ERRORS},
    url_name="messaging_search",
    summary="Search a conversation",
)
def conversation_search(
    request: HttpRequest, conversation_id: int, query: Query[SearchQuery]
) -> list[dict[str, Any]]:
    """Messages matching every word of `q` (word prefixes), newest first, at most 50."""
    found = selectors.messages_search(
        user=request_user(request), conversation_id=conversation_id, q=query.q
    )
    # Search loads rows for listing; the full shape needs these too (constant queries).
    prefetch_related_objects(found, "reply_to", "reactions", "attachments")
    return [selectors.message_dict(message) for message in found]

"""Shapes of the messaging API (/api/v1/messaging/). Messages are ``message_dict``'s shape."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from loom.messaging.models import BODY_MAX

PAGE_LIMIT_MAX = 100


class PersonOut(Schema):
    id: int
    name: str


class ConversationOut(Schema):
    id: int
    other: PersonOut
    last_message_at: datetime | None
    preview: str = Field(description="The last message as one line of plain text, or a marker.")
    unread: int = Field(description="Messages of the other person this caller has not read.")
    read_only: bool = Field(description="True when the coach–client link is archived.")
    url: str


class ReplyToOut(Schema):
    id: int
    sender: int
    excerpt: str


class ReactionOut(Schema):
    emoji: str
    users: list[int]


class AttachmentOut(Schema):
    id: int
    name: str
    kind: Literal["image", "file"]
    size: int
    url: str
    width: int | None = None
    height: int | None = None


class MessageOut(Schema):
    id: int
    conversation: int
    sender: int
    client_id: UUID
    body_html: str = Field(description="The body rendered from markdown and sanitized.")
    body: str = Field(description='The markdown source ("" when deleted).')
    reply_to: ReplyToOut | None = None
    created_at: datetime
    edited_at: datetime | None = None
    deleted: bool
    reactions: list[ReactionOut]
    attachments: list[AttachmentOut]


class MessagePageOut(Schema):
    messages: list[MessageOut] = Field(description="Oldest first.")
    has_more: bool = Field(description="Whether older messages exist (page with `before`).")


class MessagesQuery(Schema):
    before: int | None = Field(None, ge=1, description="Only messages older than this id.")
    limit: int = Field(50, ge=1, le=PAGE_LIMIT_MAX)


class SearchQuery(Schema):
    q: str = Field(..., min_length=1, max_length=200)


class SendIn(Schema):
    client_id: UUID = Field(
        description="Made by the sender; sending again with the same id returns the first message."
    )
    body: str = Field("", max_length=BODY_MAX)
    reply_to: int | None = Field(None, ge=1)
    attachments: list[int] = Field(default_factory=list, max_length=10)


class EditIn(Schema):
    body: str = Field(..., max_length=BODY_MAX)


class ReactIn(Schema):
    emoji: str = Field(..., max_length=16)
    on: bool = True


class ReadIn(Schema):
    message: int = Field(..., ge=1, description="The newest message read.")


class ReadOut(Schema):
    conversation: int
    user: int
    message: int
    at: datetime | None

"""Reads of messaging, always scoped to the person asking (DESIGN.md rule 1).

A conversation that is not the person's is ``NotFound`` — the same answer as one that
does not exist. Query counts are constant: lists annotate what they show (other person,
preview, unread count) instead of asking per row.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from loom.accounts.models import CoachClient
from loom.core.errors import NotFound
from loom.core.ids import parse_object_id
from loom.messaging.models import (
    Attachment,
    Conversation,
    Message,
    MessageEdit,
    MessagingPreference,
    Participant,
    Reaction,
)

PAGE_MAX = 100
PREVIEW_CHARS = 80
EXCERPT_CHARS = 120
SEARCH_LIMIT = 50
SEARCH_WORDS_MAX = 8
_WORD = re.compile(r"\w+", re.UNICODE)


def _mine(user: Any) -> Q:
    return Q(coach_id=user.pk) | Q(client_id=user.pk)


def _conversation_id(value: Any) -> int:
    number = parse_object_id(value)
    if number is None:
        raise NotFound(_("There is no such conversation."))
    return number


# --- Conversations ------------------------------------------------------------------------


def unread_subquery(user: Any) -> Coalesce:
    """How many messages of the outer conversation ``user`` has not read (others' only,
    deleted ones not counted)."""
    last_read = Participant.objects.filter(
        conversation_id=OuterRef(OuterRef("pk")), user_id=user.pk
    ).values("last_read_message_id")[:1]
    counted = (
        Message.objects.filter(
            conversation_id=OuterRef("pk"),
            deleted_at__isnull=True,
            id__gt=Coalesce(Subquery(last_read), Value(0)),
        )
        .exclude(sender_id=user.pk)
        .order_by()
        .values("conversation_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def conversations_for(user: Any) -> list[Conversation]:
    """The person's conversations, most recent first (one query).

    Each carries ``other`` (the other person), ``unread`` (messages of theirs this
    person has not read), ``preview`` (the last message as plain text, or a marker)
    and ``read_only`` (the coach–client link is archived).
    """
    active = CoachClient.objects.filter(
        coach_id=OuterRef("coach_id"),
        client_id=OuterRef("client_id"),
        status=CoachClient.Status.ACTIVE,
    )
    conversations: list[Conversation] = list(
        Conversation.objects.filter(_mine(user))
        .select_related("coach", "client", "last_message")
        .annotate(unread=unread_subquery(user), linked=Exists(active))
        .order_by(F("last_message_at").desc(nulls_last=True), "-id")
    )
    for conversation in conversations:
        conversation.other = (  # type: ignore[attr-defined]
            conversation.client if conversation.coach_id == user.pk else conversation.coach
        )
        conversation.preview = message_preview(conversation.last_message)  # type: ignore[attr-defined]
        conversation.read_only = not conversation.linked  # type: ignore[attr-defined]
    return conversations


def message_preview(message: Message | None) -> str:
    """One line for lists: the text without markdown, a marker for deleted or file-only."""
    if message is None:
        return ""
    if message.is_deleted:
        return _("Message deleted")
    text = " ".join(message.body.split())
    if not text:
        return _("Attachment")
    if len(text) > PREVIEW_CHARS:
        return text[: PREVIEW_CHARS - 1].rstrip() + "…"
    return text


def get_conversation_for_user(user: Any, conversation_id: Any) -> Conversation:
    """The conversation if ``user`` is in it, with both people loaded; else ``NotFound``."""
    pk = _conversation_id(conversation_id)
    conversation = (
        Conversation.objects.filter(_mine(user), pk=pk).select_related("coach", "client").first()
    )
    if conversation is None:
        raise NotFound(_("There is no such conversation."))
    return conversation


def conversation_is_read_only(conversation: Conversation) -> bool:
    """Whether the coach–client link behind ``conversation`` is no longer active."""
    return not CoachClient.objects.filter(
        coach_id=conversation.coach_id,
        client_id=conversation.client_id,
        status=CoachClient.Status.ACTIVE,
    ).exists()


def conversation_for_people(*, coach: Any, client: Any) -> Conversation | None:
    """The conversation between ``coach`` and ``client`` if it exists (caller is one of them)."""
    return Conversation.objects.filter(coach_id=coach.pk, client_id=client.pk).first()


def unread_total(user: Any) -> int:
    """Unread messages over all the person's conversations, for the nav badge (one query)."""
    return (
        Message.objects.filter(
            conversation__participants__user_id=user.pk,
            id__gt=F("conversation__participants__last_read_message_id"),
            deleted_at__isnull=True,
        )
        .exclude(sender_id=user.pk)
        .count()
    )


def read_state(*, user: Any, conversation: Conversation) -> dict[str, Any] | None:
    """How far the other person has read, if they let others see it (one query)."""
    other_id = conversation.other_id(user.pk)
    sends = MessagingPreference.objects.filter(user_id=OuterRef("user_id")).values(
        "send_read_receipts"
    )[:1]
    row = (
        Participant.objects.filter(conversation_id=conversation.pk, user_id=other_id)
        .annotate(sends=Coalesce(Subquery(sends, output_field=BooleanField()), Value(True)))
        .values("last_read_message_id", "last_read_at", "sends")
        .first()
    )
    if row is None or not row["sends"] or not row["last_read_message_id"]:
        return None
    return {
        "conversation": conversation.pk,
        "user": other_id,
        "message": row["last_read_message_id"],
        "at": row["last_read_at"].isoformat() if row["last_read_at"] else None,
    }


def own_last_read(*, user: Any, conversation: Conversation) -> int:
    """The id of the newest message ``user`` has read in ``conversation`` (0: none)."""
    value = (
        Participant.objects.filter(conversation_id=conversation.pk, user_id=user.pk)
        .values_list("last_read_message_id", flat=True)
        .first()
    )
    return int(value or 0)


def sends_read_receipts(user: Any) -> bool:
    value = (
        MessagingPreference.objects.filter(user_id=user.pk)
        .values_list("send_read_receipts", flat=True)
        .first()
    )
    return True if value is None else bool(value)


# --- Messages -----------------------------------------------------------------------------


def _with_related(queryset: QuerySet[Message]) -> QuerySet[Message]:
    return queryset.select_related("reply_to").prefetch_related(
        Prefetch("reactions", queryset=Reaction.objects.order_by("created_at", "id")),
        Prefetch("attachments", queryset=Attachment.objects.order_by("id")),
    )


def messages_page(
    *, user: Any, conversation_id: Any, before: Any = None, limit: int = 50
) -> list[Message]:
    """Up to ``limit`` messages older than ``before`` (a message id), newest first.

    Reply quotes, reactions and attachments are loaded with them: four queries
    whatever the page holds (the conversation, messages, reactions, attachments).
    """
    conversation = get_conversation_for_user(user, conversation_id)
    limit = max(1, min(int(limit), PAGE_MAX))
    queryset = Message.objects.filter(conversation_id=conversation.pk)
    if before not in (None, ""):
        before_id = parse_object_id(before)
        if before_id is None:
            return []
        queryset = queryset.filter(id__lt=before_id)
    return list(_with_related(queryset).order_by("-id")[:limit])


def message_for_user(user: Any, message_id: Any) -> Message:
    """A message in one of ``user``'s conversations, with its conversation; else NotFound."""
    pk = parse_object_id(message_id)
    message = (
        Message.objects.filter(
            Q(conversation__coach_id=user.pk) | Q(conversation__client_id=user.pk), pk=pk
        )
        .select_related("conversation")
        .first()
        if pk is not None
        else None
    )
    if message is None:
        raise NotFound(_("There is no such message."))
    return message


def message_with_related(message_id: int) -> Message:
    """A message (already authorized by the caller) loaded for ``message_dict``."""
    return _with_related(Message.objects.filter(pk=message_id)).get()


def edit_history(*, user: Any, message_id: Any) -> tuple[Message, list[MessageEdit]]:
    """A message and its earlier texts, oldest first; ``NotFound`` unless it is the person's."""
    message = message_for_user(user, message_id)
    return message, list(
        MessageEdit.objects.filter(message_id=message.pk).order_by("replaced_at", "id")
    )


def _excerpt(message: Message) -> str:
    if message.is_deleted:
        return ""
    text = " ".join(message.body.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def attachment_dict(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "kind": attachment.kind,
        "size": attachment.size,
        "url": reverse("messaging:attachment", args=[attachment.pk]),
        "width": attachment.width,
        "height": attachment.height,
    }


def message_dict(message: Message) -> dict[str, Any]:
    """The shape every client sees (events, history, API): see docs/messaging.md.

    Uses what ``_with_related`` loads; a deleted message carries no text, reactions or
    files.
    """
    reactions: dict[str, list[int]] = {}
    if not message.is_deleted:
        for reaction in message.reactions.all():
            reactions.setdefault(reaction.emoji, []).append(reaction.user_id)
    reply = message.reply_to if message.reply_to_id else None
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "sender": message.sender_id,
        "client_id": str(message.client_id),
        "body_html": "" if message.is_deleted else message.body_html,
        "body": "" if message.is_deleted else message.body,
        "reply_to": (
            {"id": reply.pk, "sender": reply.sender_id, "excerpt": _excerpt(reply)}
            if reply is not None
            else None
        ),
        "created_at": message.created_at.isoformat(),
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
        "deleted": message.is_deleted,
        "reactions": [{"emoji": emoji, "users": users} for emoji, users in reactions.items()],
        "attachments": (
            [] if message.is_deleted else [attachment_dict(a) for a in message.attachments.all()]
        ),
    }


# --- Search -------------------------------------------------------------------------------


def search_words(q: str) -> list[str]:
    return _WORD.findall((q or "").lower())[:SEARCH_WORDS_MAX]


class _Vector(Func):
    # The expression of the GIN index in migration 0004, so PostgreSQL can use it.
    template = "to_tsvector('simple'::regconfig, %(expressions)s)"
    output_field = TextField()


class _PrefixQuery(Func):
    template = "to_tsquery('simple'::regconfig, %(expressions)s)"
    output_field = TextField()


class _Matches(Func):
    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _tsquery(words: list[str]) -> str:
    # Words are \w+ only, so they carry no tsquery operators; each one is a prefix so
    # results appear while the person is still typing.
    return " & ".join(f"'{word}':*" for word in words)


def messages_search(*, user: Any, conversation_id: Any, q: str) -> list[Message]:
    """Messages of the conversation matching every word of ``q`` (newest first, ≤ 50).

    PostgreSQL uses full-text search with prefixes; SQLite a substring match per word.
    Deleted messages are never found.
    """
    conversation = get_conversation_for_user(user, conversation_id)
    words = search_words(q)
    if not words:
        return []
    queryset = Message.objects.filter(conversation_id=conversation.pk, deleted_at__isnull=True)
    if connection.vendor == "postgresql":
        queryset = queryset.filter(
            _Matches(_Vector(F("body")), _PrefixQuery(Value(_tsquery(words))))
        )
    else:
        for word in words:
            queryset = queryset.filter(body__icontains=word)
    return list(queryset.select_related("sender").order_by("-id")[:SEARCH_LIMIT])


def conversation_member_ids(conversation_id: int) -> tuple[int, int] | None:
    """Both people of a conversation the acting person can see, or None."""
    row = (
        Conversation.objects.filter(pk=conversation_id).values_list("coach_id", "client_id").first()
    )
    return (int(row[0]), int(row[1])) if row else None

"""Writes of messaging: sending, editing, deleting, reacting, reading, typing, uploads.

Every function is atomic and acts as ``user`` (row-level security applies). What the
people see live is appended to their realtime streams in the same transaction
(``loom.core.realtime.events_append``), so an event exists exactly when its change was
committed; the sockets are rung after the commit.

Ordering: a send first locks its conversation row, so sends in one conversation take
turns. Message ids are therefore given in the same order as the events are appended,
and every member's stream shows a conversation's messages in id order.

Privacy: a new-message notice says who wrote, never what (the text stays in Loom).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image

from loom.accounts.models import CoachClient, User
from loom.core.context import system_context
from loom.core.email import email_payload
from loom.core.errors import Conflict, DomainError, Forbidden, NotFound
from loom.core.ids import parse_object_id
from loom.core.markdown import render_markdown
from loom.core.models import UserEvent
from loom.core.notices import Notice, notice_send, notices_seen
from loom.core.realtime import StreamEvent, events_append, signal_send
from loom.core.uploads import ALL_KINDS, UploadPolicy, validate_upload
from loom.messaging.models import (
    BODY_MAX,
    Attachment,
    Conversation,
    Message,
    MessageEdit,
    MessagingPreference,
    Participant,
    Reaction,
)
from loom.messaging.selectors import message_dict, message_for_user, message_with_related

ATTACHMENTS_MAX = 10
TYPING_SECONDS = 6
MEMBERS_CACHE_SECONDS = 60

# The reactions offered, with the names screen readers and tooltips use.
REACTION_EMOJI: dict[str, Any] = {
    "👍": gettext_lazy("thumbs up"),
    "❤️": gettext_lazy("heart"),
    "😂": gettext_lazy("laughing"),
    "😮": gettext_lazy("surprised"),
    "😢": gettext_lazy("sad"),
    "🙏": gettext_lazy("thank you"),
    "👏": gettext_lazy("applause"),
    "🎉": gettext_lazy("celebration"),
    "💪": gettext_lazy("strength"),
    "🌱": gettext_lazy("growth"),
    "✅": gettext_lazy("done"),
    "🤔": gettext_lazy("thinking"),
}


# --- Errors (codes are stable: the socket and the API pass them on) ------------------------


class Invalid(DomainError):
    status = 400
    title = "Invalid request"
    code = "invalid"


class TooLong(DomainError):
    status = 400
    title = "Message too long"
    code = "too_long"


class FileTooLarge(DomainError):
    status = 413
    title = "File too large"
    code = "too_large"


class ReadOnly(Conflict):
    code = "read_only"


class EditWindowClosed(Conflict):
    code = "edit_window"


class MessageDeleted(Conflict):
    code = "deleted"


class NotYours(Forbidden):
    code = "not_yours"


# --- Conversations ------------------------------------------------------------------------


@transaction.atomic
def conversation_for_pair(*, coach: User, client: User) -> Conversation:
    """The conversation of ``coach`` and ``client``, created with both seats if missing.

    Runs in the system context (nobody "creates" a conversation; it comes with the
    coach–client link). Concurrent callers get the same row: the unique pair
    constraint decides, and the loser reads the winner's row.
    """
    with system_context():
        conversation, _created = Conversation.objects.get_or_create(
            coach_id=coach.pk, client_id=client.pk
        )
        Participant.objects.bulk_create(
            [
                Participant(conversation=conversation, user_id=coach.pk),
                Participant(conversation=conversation, user_id=client.pk),
            ],
            ignore_conflicts=True,
        )
    return conversation


def _conversation_locked(user: User, conversation_id: Any) -> Conversation:
    pk = parse_object_id(conversation_id)
    conversation = (
        Conversation.objects.select_for_update()
        .filter(Q(coach_id=user.pk) | Q(client_id=user.pk), pk=pk)
        .first()
        if pk is not None
        else None
    )
    if conversation is None:
        raise NotFound(_("There is no such conversation."))
    return conversation


def _member_conversation(user: User, conversation_id: Any) -> Conversation:
    pk = parse_object_id(conversation_id)
    conversation = (
        Conversation.objects.filter(Q(coach_id=user.pk) | Q(client_id=user.pk), pk=pk).first()
        if pk is not None
        else None
    )
    if conversation is None:
        raise NotFound(_("There is no such conversation."))
    return conversation


def _check_writable(conversation: Conversation) -> None:
    active = CoachClient.objects.filter(
        coach_id=conversation.coach_id,
        client_id=conversation.client_id,
        status=CoachClient.Status.ACTIVE,
    ).exists()
    if not active:
        raise ReadOnly(_("This conversation is read-only."))


def _clean_body(body: Any, *, allow_empty: bool) -> str:
    if not isinstance(body, str):
        raise Invalid(_("The message must be text."))
    text = body.strip()
    if len(text) > BODY_MAX:
        raise TooLong(_("A message can be at most %(max)s characters.") % {"max": f"{BODY_MAX:,}"})
    if not text and not allow_empty:
        raise Invalid(_("Write a message first."))
    if "\x00" in text or not _is_utf8(text):
        # A JSON escape can carry half of a UTF-16 pair: no database, sanitizer or
        # socket can hold that, so it is refused before any of them sees it.
        raise Invalid(_("The message contains characters that can't be sent."))
    return text


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_client_id(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str) and len(value) <= 40:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise Invalid(_("The message has no valid client id."))


def _both(conversation: Conversation, kind: str, data: dict[str, Any]) -> list[StreamEvent]:
    return [StreamEvent(user_id, kind, data) for user_id in conversation.member_ids()]


def _message_event(message: Message, kind: str = "message.updated") -> dict[str, Any]:
    data = message_dict(message_with_related(message.pk))
    events_append(_both(message.conversation, kind, data))
    return data


# --- Sending ------------------------------------------------------------------------------


@transaction.atomic
def message_send(
    *,
    user: User,
    conversation_id: Any,
    client_id: Any,
    body: Any,
    reply_to_id: Any = None,
    attachment_ids: Iterable[Any] = (),
) -> tuple[Message, bool]:
    """Send a message; returns it and whether it is new.

    A retry with the same ``client_id`` (the browser's id for this message) returns
    the stored message with ``False`` and changes nothing else.
    """
    conversation = _conversation_locked(user, conversation_id)
    client_uuid = _parse_client_id(client_id)
    existing = (
        Message.objects.filter(sender_id=user.pk, client_id=client_uuid)
        .select_related("conversation")
        .first()
    )
    if existing is not None:
        if existing.conversation_id != conversation.pk:
            raise Invalid(_("That message id was already used in another conversation."))
        return existing, False
    _check_writable(conversation)
    ids = _attachment_ids(attachment_ids)
    text = _clean_body(body, allow_empty=bool(ids))
    reply_to = _reply_target(conversation, reply_to_id)
    attachments = _unattached(user, conversation, ids)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                sender_id=user.pk,
                client_id=client_uuid,
                body=text,
                body_html=render_markdown(text),
                reply_to=reply_to,
            )
    except IntegrityError:
        # The same id raced past the check in another conversation's lock (SQLite
        # has no row locks); the stored one stands.
        existing = Message.objects.filter(sender_id=user.pk, client_id=client_uuid).first()
        if existing is None or existing.conversation_id != conversation.pk:
            raise Invalid(_("That message id was already used.")) from None
        return existing, False
    if attachments:
        Attachment.objects.filter(pk__in=[a.pk for a in attachments]).update(message=message)
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message=message, last_message_at=message.created_at
    )
    Participant.objects.filter(
        conversation_id=conversation.pk, user_id=user.pk, last_read_message_id__lt=message.pk
    ).update(last_read_message_id=message.pk, last_read_at=message.created_at)
    message.conversation = conversation
    _message_event(message, "message.created")
    _notify_recipient(user, conversation, message)
    return message, True


def _attachment_ids(values: Iterable[Any]) -> list[int]:
    if values is None:
        return []
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, set)):
        raise Invalid(_("Attachments must be a list of ids."))
    ids: list[int] = []
    for value in values:
        pk = parse_object_id(value)
        if pk is None:
            raise Invalid(_("That attachment can't be used."))
        if pk not in ids:
            ids.append(pk)
    if len(ids) > ATTACHMENTS_MAX:
        raise Invalid(
            _("A message can carry at most %(count)s files.") % {"count": ATTACHMENTS_MAX}
        )
    return ids


def _reply_target(conversation: Conversation, reply_to_id: Any) -> Message | None:
    if reply_to_id in (None, ""):
        return None
    pk = parse_object_id(reply_to_id)
    target = (
        Message.objects.filter(pk=pk, conversation_id=conversation.pk).first()
        if pk is not None
        else None
    )
    if target is None:
        raise Invalid(_("You can only reply to a message of this conversation."))
    if target.is_deleted:
        raise MessageDeleted(_("That message was deleted."))
    return target


def _unattached(user: User, conversation: Conversation, ids: list[int]) -> list[Attachment]:
    if not ids:
        return []
    found = list(
        Attachment.objects.select_for_update().filter(
            pk__in=ids,
            uploader_id=user.pk,
            conversation_id=conversation.pk,
            message__isnull=True,
        )
    )
    if len(found) != len(ids):
        raise Invalid(_("That attachment can't be used."))
    return found


def conversation_url(conversation_id: int) -> str:
    return reverse("messaging:conversation", args=[conversation_id])


def _notify_recipient(sender: User, conversation: Conversation, message: Message) -> None:
    recipient = User.objects.get(pk=conversation.other_id(sender.pk))
    path = conversation_url(conversation.pk)
    with translation.override(recipient.language):
        title = _("New message from %(name)s") % {"name": sender.display_name}
    email = email_payload(
        template="messaging/email/new_message",
        context={
            "user_name": recipient.display_name,
            "sender_name": sender.display_name,
            "url": f"{settings.LOOM_BASE_URL.rstrip('/')}{path}",
        },
        language=recipient.language,
        time_zone=recipient.timezone,
    )
    notice_send(
        Notice(
            user_id=recipient.pk,
            kind="message_new",
            source=f"message:{conversation.pk}:{message.pk}",
            title=title,
            body="",
            url=path,
            email=email,
            delay_seconds=int(settings.LOOM_MESSAGE_NOTIFY_DELAY_MINUTES) * 60,
            collapse_key=f"conversation:{conversation.pk}",
        )
    )


# --- Editing, deleting, reacting ----------------------------------------------------------


def _own_message_locked(user: User, message_id: Any) -> Message:
    """The message locked for a change by its sender; NotFound / NotYours otherwise."""
    message = message_for_user(user, message_id)
    if message.sender_id != user.pk:
        raise NotYours(_("You can only change your own messages."))
    # Locked only now: row-level security lets only the sender lock a message, and
    # the other member must get "not yours", not "no such message".
    locked = Message.objects.select_for_update().get(pk=message.pk)
    locked.conversation = message.conversation
    return locked


@transaction.atomic
def message_edit(*, user: User, message_id: Any, body: Any) -> Message:
    """Change the text of one's own message within the edit window; the old text is kept."""
    message = _own_message_locked(user, message_id)
    if message.is_deleted:
        raise MessageDeleted(_("That message was deleted."))
    window = timedelta(minutes=int(settings.LOOM_MESSAGE_EDIT_MINUTES))
    if timezone.now() - message.created_at > window:
        raise EditWindowClosed(
            _("Messages can be edited for %(minutes)s minutes after sending.")
            % {"minutes": int(settings.LOOM_MESSAGE_EDIT_MINUTES)}
        )
    _check_writable(message.conversation)
    has_files = Attachment.objects.filter(message_id=message.pk).exists()
    text = _clean_body(body, allow_empty=has_files)
    if text == message.body:
        return message
    now = timezone.now()
    MessageEdit.objects.create(message=message, body=message.body, replaced_at=now)
    message.body = text
    message.body_html = render_markdown(text)
    message.edited_at = now
    message.save(update_fields=["body", "body_html", "edited_at"])
    _message_event(message)
    return message


@transaction.atomic
def message_delete(*, user: User, message_id: Any) -> Message:
    """Delete one's own message: a "message deleted" mark stays; its text, earlier
    texts, reactions and files are gone (privacy). Deleting twice changes nothing."""
    message = _own_message_locked(user, message_id)
    if message.is_deleted:
        return message
    files = list(Attachment.objects.filter(message_id=message.pk))
    message.body = ""
    message.body_html = ""
    message.deleted_at = timezone.now()
    message.save(update_fields=["body", "body_html", "deleted_at"])
    # The other person's reactions and the earlier texts have no delete policy for
    # the sender: the service has checked ownership, the system removes them.
    with system_context():
        MessageEdit.objects.filter(message_id=message.pk).delete()
        Reaction.objects.filter(message_id=message.pk).delete()
        Attachment.objects.filter(message_id=message.pk).delete()
    for attachment in files:
        if attachment.file:
            transaction.on_commit(
                partial(attachment.file.storage.delete, str(attachment.file.name))
            )
    data = _message_event(message)
    _events_forget(message, data)
    return message


def _events_forget(message: Message, deleted: dict[str, Any]) -> None:
    """Rewrite the stored stream events that still carry a deleted message's words.

    A screen that reconnects replays its events: without this, the message's first
    text (and every edit, and the quotes of it in replies) would come back for as long
    as events are kept. The events stay, in their places, showing the message deleted.
    """
    # Streams belong to their people; only the system reads across them and writes
    # them (the sender's ownership of the message was checked by the caller).
    with system_context():
        rows = list(
            UserEvent.objects.filter(
                user_id__in=message.conversation.member_ids(),
                kind__in=("message.created", "message.updated"),
                created_at__gte=message.created_at,
                data__conversation=message.conversation_id,
            ).filter(Q(data__id=message.pk) | Q(data__reply_to__id=message.pk))
        )
        for row in rows:
            if row.data.get("id") == message.pk:
                row.data = deleted
            else:
                row.data = {**row.data, "reply_to": {**row.data["reply_to"], "excerpt": ""}}
        UserEvent.objects.bulk_update(rows, ["data"])


@transaction.atomic
def reaction_set(*, user: User, message_id: Any, emoji: Any, on: bool) -> Message:
    """Add (``on``) or remove one's reaction ``emoji`` on a message; once per person per emoji."""
    if not isinstance(emoji, str) or emoji not in REACTION_EMOJI:
        raise Invalid(_("That reaction isn't available."))
    if not isinstance(on, bool):
        raise Invalid(_("Say whether to add or remove the reaction."))
    message = message_for_user(user, message_id)
    if message.is_deleted:
        raise MessageDeleted(_("That message was deleted."))
    _check_writable(message.conversation)
    mine = Reaction.objects.filter(message_id=message.pk, user_id=user.pk, emoji=emoji)
    if on:
        # The unique constraint decides between two taps racing each other.
        try:
            with transaction.atomic():
                Reaction.objects.create(message=message, user_id=user.pk, emoji=emoji)
            changed = True
        except IntegrityError:
            changed = False
    else:
        changed = bool(mine.delete()[0])
    if changed:
        _message_event(message)
    return message


# --- Reading ------------------------------------------------------------------------------


@transaction.atomic
def conversation_mark_read(*, user: User, conversation_id: Any, message_id: Any) -> dict[str, Any]:
    """Mark everything up to ``message_id`` read. Never moves back.

    The reader's streams always learn it (their badges); the other person only when
    the reader sends read receipts. Pending notices about these messages are cleared.
    """
    conversation = _member_conversation(user, conversation_id)
    pk = parse_object_id(message_id)
    message = (
        Message.objects.filter(pk=pk, conversation_id=conversation.pk).values("pk").first()
        if pk is not None
        else None
    )
    if message is None:
        raise NotFound(_("There is no such message."))
    now = timezone.now()
    moved = Participant.objects.filter(
        conversation_id=conversation.pk, user_id=user.pk, last_read_message_id__lt=pk
    ).update(last_read_message_id=pk, last_read_at=now)
    data = {"conversation": conversation.pk, "user": user.pk, "message": pk, "at": now.isoformat()}
    if moved:
        recipients = [user.pk]
        preference = MessagingPreference.objects.filter(user_id=user.pk).first()
        if preference is None or preference.send_read_receipts:
            recipients.append(conversation.other_id(user.pk))
        events_append([StreamEvent(r, "conversation.read", data) for r in recipients])
        notices_seen(user_id=user.pk, source_prefix=f"message:{conversation.pk}:")
    else:
        current = (
            Participant.objects.filter(conversation_id=conversation.pk, user_id=user.pk)
            .values_list("last_read_message_id", "last_read_at")
            .first()
        )
        last_id, at = current if current is not None else (0, None)
        data["message"] = last_id
        data["at"] = at.isoformat() if at else None
    return data


def _member_ids(conversation_id: int) -> tuple[int, int] | None:
    key = f"messaging:members:{conversation_id}"
    cached = cache.get(key)
    if cached is not None:
        return (int(cached[0]), int(cached[1]))
    row = (
        Conversation.objects.filter(pk=conversation_id).values_list("coach_id", "client_id").first()
    )
    if row is None:
        return None
    # Members of a conversation never change, so caching them is safe; the reader's
    # own row-level security already applied when the row was read for the first time.
    members = (int(row[0]), int(row[1]))
    cache.set(key, members, MEMBERS_CACHE_SECONDS)
    return members


def typing(*, user: User, conversation_id: Any) -> None:
    """Tell the other person's open screens that ``user`` is typing (not stored)."""
    pk = parse_object_id(conversation_id)
    members = _member_ids(pk) if pk is not None else None
    if members is None or user.pk not in members:
        raise NotFound(_("There is no such conversation."))
    other = members[1] if members[0] == user.pk else members[0]
    signal_send(
        [other],
        {"type": "typing", "conversation": pk, "user": user.pk, "expires_in": TYPING_SECONDS},
    )


# --- Attachments and preferences ----------------------------------------------------------


def attachment_policy() -> UploadPolicy:
    """What a message may carry: the documents and images of any upload, each kind
    bounded by ``LOOM_MESSAGE_MAX_ATTACHMENT_BYTES`` too."""
    base = UploadPolicy.from_settings(kinds=ALL_KINDS)
    limit = int(settings.LOOM_MESSAGE_MAX_ATTACHMENT_BYTES)
    return UploadPolicy(
        kinds=base.kinds,
        max_bytes={family: min(size, limit) for family, size in base.max_bytes.items()},
        max_image_pixels=base.max_image_pixels,
        max_zip_entries=base.max_zip_entries,
        max_zip_uncompressed_bytes=base.max_zip_uncompressed_bytes,
    )


@transaction.atomic
def attachment_upload(*, user: User, conversation_id: Any, uploaded: Any) -> Attachment:
    """Check and store a file for a message still to be sent (attached on send)."""
    conversation = _member_conversation(user, conversation_id)
    _check_writable(conversation)
    try:
        checked = validate_upload(uploaded, policy=attachment_policy())
    except ValidationError as exc:
        code = exc.code or "invalid"
        error = FileTooLarge if code == "too_large" else Invalid
        raise error(" ".join(exc.messages), code=code) from None
    width = height = None
    is_image = checked.kind.family == "image"
    if is_image:
        uploaded.seek(0)
        with Image.open(uploaded) as image:
            width, height = image.size
        uploaded.seek(0)
    attachment = Attachment(
        conversation=conversation,
        uploader_id=user.pk,
        name=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        kind=Attachment.Kind.IMAGE if is_image else Attachment.Kind.FILE,
        width=width,
        height=height,
    )
    attachment.file.save(uuid.uuid4().hex, uploaded, save=False)
    try:
        attachment.save()
    except BaseException:
        attachment.file.storage.delete(str(attachment.file.name))
        raise
    return attachment


@transaction.atomic
def messaging_preference_set(*, user: User, send_read_receipts: bool) -> MessagingPreference:
    if not isinstance(send_read_receipts, bool):
        raise Invalid(_("Choose yes or no."))
    preference, _created = MessagingPreference.objects.update_or_create(
        user_id=user.pk, defaults={"send_read_receipts": send_read_receipts}
    )
    return preference

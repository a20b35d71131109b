"""The websocket commands of messaging, registered with ``loom.core.consumers``.

Each handler checks the frame's fields strictly (types, ids, lengths) before calling
one service. Naming a conversation or message the person cannot reach closes the
socket (``CommandForbidden``, 4403): a foreign id is never answered. Every other
refusal is a ``CommandError`` with the service's stable code (``invalid``,
``too_long``, ``edit_window``, ``deleted``, ``read_only``, ``not_yours``) and the
socket stays open. The same handlers answer ``POST /stream/command/`` when a page
has fallen back to polling.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from loom.core.consumers import CommandError, CommandForbidden, realtime_register_command
from loom.core.errors import DomainError, NotFound
from loom.core.ids import MAX_ID
from loom.messaging.models import BODY_MAX, EMOJI_MAX
from loom.messaging.selectors import message_dict, message_with_related

CLIENT_ID_MAX = 40


def _invalid(detail: str) -> CommandError:
    return CommandError("invalid", detail)


def _id(frame: dict[str, Any], key: str, *, optional: bool = False) -> int | None:
    value = frame.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise _invalid(_("“%(field)s” must be an id.") % {"field": key})
    return value


def _text(frame: dict[str, Any], key: str) -> str:
    value = frame.get(key)
    if not isinstance(value, str):
        raise _invalid(_("“%(field)s” must be text.") % {"field": key})
    if len(value) > BODY_MAX:
        raise CommandError(
            "too_long", _("A message can be at most %(max)s characters.") % {"max": f"{BODY_MAX:,}"}
        )
    return value


def _client_id(frame: dict[str, Any]) -> str:
    value = frame.get("client_id")
    if not isinstance(value, str) or not 0 < len(value) <= CLIENT_ID_MAX:
        raise _invalid(_("“client_id” must be a UUID."))
    return value


def _attachments(frame: dict[str, Any]) -> list[int]:
    value = frame.get("attachments")
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 10:
        raise _invalid(_("“attachments” must be a list of at most 10 ids."))
    ids = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item <= MAX_ID:
            raise _invalid(_("“attachments” must be a list of at most 10 ids."))
        ids.append(item)
    return ids


def _run(call: Any) -> Any:
    """Run a service call, turning its domain errors into socket answers."""
    try:
        return call()
    except NotFound:
        raise CommandForbidden from None
    except DomainError as exc:
        raise CommandError(exc.code, str(exc)) from None


def _message_payload(message: Any) -> dict[str, Any]:
    return {"message": message_dict(message_with_related(message.pk))}


def message_send(user: Any, frame: dict[str, Any]) -> dict[str, Any]:
    from loom.messaging import services

    conversation = _id(frame, "conversation")
    client_id = _client_id(frame)
    body = _text(frame, "body")
    reply_to = _id(frame, "reply_to", optional=True)
    attachments = _attachments(frame)
    message, created = _run(
        lambda: services.message_send(
            user=user,
            conversation_id=conversation,
            client_id=client_id,
            body=body,
            reply_to_id=reply_to,
            attachment_ids=attachments,
        )
    )
    return {**_message_payload(message), "created": created}


def message_edit(user: Any, frame: dict[str, Any]) -> dict[str, Any]:
    from loom.messaging import services

    message_id = _id(frame, "message")
    body = _text(frame, "body")
    message = _run(lambda: services.message_edit(user=user, message_id=message_id, body=body))
    return _message_payload(message)


def message_delete(user: Any, frame: dict[str, Any]) -> dict[str, Any]:
    from loom.messaging import services

    message_id = _id(frame, "message")
    message = _run(lambda: services.message_delete(user=user, message_id=message_id))
    return _message_payload(message)


def message_react(user: Any, frame: dict[str, Any]) -> dict[str, Any]:
    from loom.messaging import services

    message_id = _id(frame, "message")
    emoji = frame.get("emoji")
    on = frame.get("on", True)
    if not isinstance(emoji, str) or not 0 < len(emoji) <= EMOJI_MAX:
        raise _invalid(_("“emoji” must be one of the offered reactions."))
    if not isinstance(on, bool):
        raise _invalid(_("“on” must be true or false."))
    message = _run(
        lambda: services.reaction_set(user=user, message_id=message_id, emoji=emoji, on=on)
    )
    return _message_payload(message)


def conversation_read(user: Any, frame: dict[str, Any]) -> dict[str, Any]:
    from loom.messaging import services

    conversation = _id(frame, "conversation")
    message_id = _id(frame, "message")
    data = _run(
        lambda: services.conversation_mark_read(
            user=user, conversation_id=conversation, message_id=message_id
        )
    )
    return {"read": data}


def typing(user: Any, frame: dict[str, Any]) -> dict[str, Any]:
    from loom.messaging import services

    conversation = _id(frame, "conversation")
    _run(lambda: services.typing(user=user, conversation_id=conversation))
    return {}


COMMANDS = {
    "message.send": message_send,
    "message.edit": message_edit,
    "message.delete": message_delete,
    "message.react": message_react,
    "conversation.read": conversation_read,
    "typing": typing,
}


def register() -> None:
    """Register the commands (called from ``MessagingConfig.ready``)."""
    for name, handler in COMMANDS.items():
        realtime_register_command(name, handler)

"""Conversations of the named world, and messages sent the way people send them."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from loom.core.context import acting_as
from loom.messaging import services
from loom.messaging.models import Attachment, Conversation, Message
from tests.world import World


@dataclass
class Talks:
    dana_avi: Conversation
    dana_noa: Conversation
    eli_maya: Conversation


def talks(world: World) -> Talks:
    """The conversation of each coach–client pair of the world."""
    return Talks(
        dana_avi=services.conversation_for_pair(coach=world.dana, client=world.avi),
        dana_noa=services.conversation_for_pair(coach=world.dana, client=world.noa),
        eli_maya=services.conversation_for_pair(coach=world.eli, client=world.maya),
    )


def send(user: Any, conversation: Conversation, body: str = "Hello", **kwargs: Any) -> Message:
    """``user`` sends ``body`` (acting as themselves, as a socket command would)."""
    kwargs.setdefault("client_id", uuid.uuid4())
    with acting_as(user.pk):
        message, _created = services.message_send(
            user=user, conversation_id=conversation.pk, body=body, **kwargs
        )
    return message


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#c2410c").save(buffer, format="PNG")
    return buffer.getvalue()


def upload(
    user: Any, conversation: Conversation, name: str = "photo.png", content: bytes | None = None
) -> Attachment:
    data = png_bytes() if content is None else content
    with acting_as(user.pk):
        return services.attachment_upload(
            user=user,
            conversation_id=conversation.pk,
            uploaded=SimpleUploadedFile(name, data),
        )

"""Authorization matrix rows for the messaging pages (see tests/security/routes.py).

The objects are of Dana's conversation with Avi: a message, an attachment sent in it.
Dana and Avi get them; Eli and Maya (each in a conversation of their own) get 404; the
admin has no messages and is sent home; anonymous visitors go to sign in. Methods a
page does not take are 405 for every coach and client, before any lookup.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from loom.core.context import acting_as
from loom.messaging import services
from tests.messaging.factories import png_bytes
from tests.security.matrix import (
    BAD_REQUEST,
    HOME,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    Route,
    expect,
    redirect,
)
from tests.world import World

# Coaches and clients in, the admin home, anonymous visitors to sign in.
PEOPLE = expect(OK, anonymous=LOGIN, admin=HOME)
REFUSED_METHOD = expect(NOT_ALLOWED, anonymous=LOGIN, admin=HOME)
# Something of Dana's and Avi's: theirs, 404 for Eli and Maya.
PARTIES = expect(NOT_FOUND, anonymous=LOGIN, admin=HOME, coach=OK, client=OK)


def dana_avi(world: World) -> Any:
    return services.conversation_for_pair(coach=world.dana, client=world.avi)


def conversation(world: World) -> dict[str, Any]:
    return {"conversation_id": dana_avi(world).pk}


def avi_message(world: World) -> dict[str, Any]:
    chat = dana_avi(world)
    with acting_as(world.avi.pk):
        message, _created = services.message_send(
            user=world.avi, conversation_id=chat.pk, client_id=uuid.uuid4(), body="שלום, מטריצה"
        )
    return {"message_id": message.pk}


def sent_image(world: World) -> dict[str, Any]:
    chat = dana_avi(world)
    with acting_as(world.avi.pk):
        attachment = services.attachment_upload(
            user=world.avi,
            conversation_id=chat.pk,
            uploaded=SimpleUploadedFile("תמונה.png", png_bytes()),
        )
        services.message_send(
            user=world.avi,
            conversation_id=chat.pk,
            client_id=uuid.uuid4(),
            body="",
            attachment_ids=[attachment.pk],
        )
    return {"attachment_id": attachment.pk}


ROUTES: list[Route] = [
    Route(
        "messages/",
        get=PEOPLE,
        post=REFUSED_METHOD,
        note="the matrix world has no conversations yet: everyone's inbox is empty",
    ),
    Route("messages/unread/", get=PEOPLE, post=REFUSED_METHOD),
    Route(
        "messages/settings/",
        get=PEOPLE,
        post=expect(redirect("messaging:settings"), anonymous=LOGIN, admin=HOME),
        note="an empty form turns read receipts off: saved, back to the page",
    ),
    Route(
        "messages/<int:conversation_id>/",
        args=conversation,
        missing="coach",
        get=PARTIES,
        post=REFUSED_METHOD,
    ),
    Route(
        "messages/<int:conversation_id>/send/",
        args=conversation,
        missing="client",
        get=REFUSED_METHOD,
        post=expect(
            NOT_FOUND,
            anonymous=LOGIN,
            admin=HOME,
            coach=redirect("messaging:conversation"),
            client=redirect("messaging:conversation"),
        ),
        note="an empty form is not sent: back to the conversation with the reason",
    ),
    Route(
        "messages/<int:conversation_id>/history/",
        args=conversation,
        missing="coach",
        get=PARTIES,
        post=REFUSED_METHOD,
    ),
    Route(
        "messages/<int:conversation_id>/search/",
        args=conversation,
        missing="client",
        get=PARTIES,
        post=REFUSED_METHOD,
    ),
    Route(
        "messages/<int:conversation_id>/attachments/",
        args=conversation,
        missing="coach",
        get=expect(NOT_ALLOWED),
        post=expect(NOT_FOUND, anonymous=LOGIN, admin=HOME, coach=BAD_REQUEST, client=BAD_REQUEST),
        note="an empty upload has no file: 400 for the two people",
    ),
    Route(
        "messages/attachments/<int:attachment_id>/",
        args=sent_image,
        missing="coach",
        get=PARTIES,
        post=REFUSED_METHOD,
    ),
    Route(
        "messages/message/<int:message_id>/edits/",
        args=avi_message,
        missing="client",
        get=PARTIES,
        post=REFUSED_METHOD,
    ),
]

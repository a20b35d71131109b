"""Authorization matrix rows for the messaging API (see tests/security/routes.py).

Everything is scoped to the caller's own conversations: Dana and Avi reach their
conversation and its messages; Eli, Maya and the admin get 404 (they have no way to
learn it exists). Changing a message is its sender's (Avi's here): Dana, the other
member, gets 403 "not yours".
"""

from __future__ import annotations

from typing import Any

from tests.security.matrix import (
    CREATED,
    FORBIDDEN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    UNPROCESSABLE,
    Route,
    expect,
    signed_in,
)
from tests.security.route_tables.messaging_pages import avi_message, conversation

A = "api/v1/messaging/"
API_NOT_ALLOWED = expect(NOT_ALLOWED)
PARTIES = expect(NOT_FOUND, anonymous=UNAUTHORIZED, coach=OK, client=OK)
SENDER = expect(NOT_FOUND, anonymous=UNAUTHORIZED, coach=FORBIDDEN, client=OK)
SEND: dict[str, Any] = {"client_id": "9d7f8a52-6a3e-4c4b-9d0e-2f1f6b7c8a90", "body": "שלום"}

ROUTES: list[Route] = [
    Route(
        f"{A}conversations",
        get=signed_in(OK, anonymous=UNAUTHORIZED),
        post=API_NOT_ALLOWED,
    ),
    Route(
        f"{A}conversations/<int:conversation_id>/messages",
        args=conversation,
        missing="coach",
        data=SEND,
        get=PARTIES,
        post=expect(NOT_FOUND, anonymous=UNAUTHORIZED, coach=CREATED, client=CREATED),
    ),
    Route(
        f"{A}conversations/<int:conversation_id>/read",
        args=conversation,
        get=API_NOT_ALLOWED,
        post=signed_in(UNPROCESSABLE, anonymous=UNAUTHORIZED),
        note="an empty body fails validation (no message id) before the membership check",
    ),
    Route(
        f"{A}conversations/<int:conversation_id>/search",
        args=conversation,
        get=signed_in(UNPROCESSABLE, anonymous=UNAUTHORIZED),
        post=API_NOT_ALLOWED,
        note="no q: validation answers before the membership check",
    ),
    Route(
        f"{A}messages/<int:message_id>",
        args=avi_message,
        missing="client",
        data={"body": "ערוך"},
        get=API_NOT_ALLOWED,
        post=API_NOT_ALLOWED,
        other={"PATCH": SENDER, "DELETE": SENDER},
    ),
    Route(
        f"{A}messages/<int:message_id>/reactions",
        args=avi_message,
        missing="coach",
        data={"emoji": "👍", "on": True},
        get=API_NOT_ALLOWED,
        post=PARTIES,
    ),
]

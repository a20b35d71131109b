"""Notifications tests: the RLS tier's application role, and helpers to send notices."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from loom.accounts.models import User
from loom.core.email import email_payload
from loom.core.notices import Notice, notice_send
from tests.security.conftest import app_role  # noqa: F401 (a fixture, used by name)

Send = Callable[..., None]


def make_notice(user: User, kind: str = "session_booked", **fields: Any) -> Notice:
    """A notice with an email in ``user``'s language (the announcement template)."""
    title = fields.pop("title", f"{kind} for {user.full_name}")
    email = fields.pop("email", "make")
    if email == "make":
        email = email_payload(
            template="notifications/email/announcement",
            context={"title": title, "body": "Body text", "url": "https://loom.test/x/"},
            language=user.language,
            time_zone=user.timezone,
        )
    return Notice(
        user_id=user.pk,
        kind=kind,
        source=fields.pop("source", f"test:{kind}:{user.pk}"),
        title=title,
        body=fields.pop("body", "Body text"),
        url=fields.pop("url", "/sessions/1/"),
        email=email,
        **fields,
    )


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Send:
    """Send a notice and run everything its commit sets off (immediate task backend)."""

    def _send(notice: Notice) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            notice_send(notice)

    return _send

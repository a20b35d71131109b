"""Reactions to other apps' signals: a conversation for every client who joins."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def conversation_on_join(*, coach: Any, client: Any, at: datetime, **kwargs: Any) -> None:
    """Inside the accepting transaction: the pair can talk from their first minute."""
    from loom.messaging.services import conversation_for_pair

    conversation_for_pair(coach=coach, client=client)


def connect() -> None:
    """Connect the receivers (called from ``MessagingConfig.ready``)."""
    from loom.accounts.signals import client_joined

    client_joined.connect(conversation_on_join, dispatch_uid="messaging-conversation-on-join")

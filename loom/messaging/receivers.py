"""Reactions to other apps' signals: a conversation for every client who joins."""


def connect() -> None:
    """Connect the receivers (called from ``MessagingConfig.ready``)."""

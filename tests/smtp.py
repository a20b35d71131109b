"""A real SMTP server for tests (aiosmtpd), and a fixture that points Loom's mail at it.

    def test_something(mail_via_smtp):
        ...  # cause an email
        [message] = mail_via_smtp.wait_for(1)
        assert message["To"] == "dana@example.com"

``smtp_server.messages`` holds every accepted message as an ``email.message.EmailMessage``
(parsed with the modern policy, so ``get_body(("plain",))`` / ``get_body(("html",))``
work). Set ``smtp_server.reject_with = "550 5.1.1 No such user"`` to make it refuse mail.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """Collects what a real SMTP conversation delivered; the aiosmtpd handler."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.messages: list[EmailMessage] = []
        # (mail from, recipients) of each accepted message, in the same order.
        self.envelopes: list[tuple[str, list[str]]] = []
        self.reject_with: str | None = None
        self._changed = threading.Condition()
        self._controller = Controller(self, hostname=self.host, port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reject_with:
            return self.reject_with
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._changed:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        """Block until at least ``count`` messages arrived; return them all, or fail."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} email(s) at {self.host}:{self.port}, got {len(self.messages)}"
                    )
                self._changed.wait(remaining)
            return list(self.messages)

    @property
    def mailer(self) -> dict[str, Any]:
        """A ``MAILERS`` entry that sends here."""
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": self.host, "port": self.port, "timeout": 5},
        }

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_via_smtp(smtp_server: SmtpServer, settings: Any) -> SmtpServer:
    """Send Loom's mail (``MAILERS["default"]``) to ``smtp_server``; returns the server."""
    settings.MAILERS = {"default": smtp_server.mailer}
    return smtp_server

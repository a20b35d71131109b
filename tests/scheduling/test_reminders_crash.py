"""A worker killed mid-send and restarted: each reminder reaches a real SMTP server once.

The worker runs as real processes (``manage.py reminders_dispatch --loop`` and
``manage.py outbox_drain --loop``) on the test database, sending to an aiosmtpd
server in this process. The server is slow to answer DATA, and keeps each message
as soon as it has it (as a real mail server does before it replies), so a worker
killed while it waits for the reply leaves a message the server already holds and
an outbox row still ``sending``. After the restart the row's lease runs out and the
message is sent again — with the same Message-ID.

What this proves (docs/scheduling.md, Reminders, "Exactly once"): every reminder is
queued exactly once (one notice and one email row each, however often the dispatchers
run or die);
every reminder email arrives; counted by Message-ID each arrives exactly once; and
the only repeated delivery is the one message that was in flight at the kill.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from loom.accounts.models import CoachClient
from loom.core.context import system_context
from loom.core.models import OutboxMessage
from loom.notifications.dispatch import EMAIL_CHANNEL
from loom.scheduling.models import CoachSchedulingSettings, Reminder, ReminderPreferences
from loom.scheduling.services import session_book
from tests.scheduling.support import hours, session_type
from tests.smtp import _free_port
from tests.world import World, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 6
# How long the server takes to answer DATA: long enough to kill the worker mid-wait.
SLOW_REPLY_SECONDS = 0.6
LEASE_SECONDS = 2


class SlowSmtp:
    """Keeps every message on arrival, then answers slowly."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.message_ids: list[str] = []
        self.subjects: list[str] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._lock:
            self.message_ids.append(str(message["Message-ID"]))
            self.subjects.append(str(message["Subject"]))
        await asyncio.sleep(SLOW_REPLY_SECONDS)
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self._lock:
            return len(self.message_ids)

    def __enter__(self) -> SlowSmtp:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def _worker_env(smtp: SlowSmtp) -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "LOOM_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "LOOM_BASE_URL": settings.LOOM_BASE_URL,
        "DEBUG": "0",
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    env.pop("DATABASE_APP_ROLE", None)
    return env


def _start_worker(env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    manage = [sys.executable, str(ROOT / "manage.py")]
    return [
        subprocess.Popen(
            [*manage, command, "--loop", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for command in ("reminders_dispatch", "outbox_drain")
    ]


def _kill(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
    for process in processes:
        process.wait(timeout=10)


def _wait_until(condition: Any, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _due_sessions(world: World) -> None:
    """One session per client, on the coming days, each with its reminder due now."""
    hours(world.dana, "09:00", "17:00")
    kind = session_type(world.dana, minimum_notice_minutes=0)
    CoachSchedulingSettings.objects.update_or_create(
        coach=world.dana, defaults={"reminder_offsets_minutes": [60]}
    )
    # The coach gets no email reminders here, so every reminder email is a client's.
    ReminderPreferences.objects.create(user=world.dana, email_reminders=False)
    now = timezone.now()
    zone = ZoneInfo("America/New_York")
    first_day = (now.astimezone(zone) + timedelta(days=2)).date()
    for index in range(CLIENTS):
        client = make_user(
            f"crash{index}@example.com", role="client", full_name=f"Crash Client {index}"
        )
        CoachClient.objects.create(coach=world.dana, client=client)
        day = first_day + timedelta(days=index)
        session_book(
            actor=world.dana,
            coach=world.dana,
            client=client,
            session_type=kind,
            starts_at=datetime.combine(day, dt_time(10), tzinfo=zone),
        )
    # The booking emails are not part of this test.
    OutboxMessage.objects.exclude(status="sent").update(status="sent")
    with system_context():
        Reminder.objects.update(due_at=now - timedelta(minutes=1))


def test_a_worker_killed_mid_send_delivers_each_reminder_once_by_message_id(
    world: World,
) -> None:
    _due_sessions(world)
    with system_context():
        expected = Reminder.objects.filter(channel="email").count()
    assert expected == CLIENTS

    with SlowSmtp() as smtp:
        env = _worker_env(smtp)
        first = _start_worker(env)
        try:
            # Kill while the server holds message 2 and the worker waits for its reply.
            _wait_until(lambda: smtp.count() >= 2, timeout=60, what="two messages")
            _kill(first)
        finally:
            _kill(first)
        killed_at = smtp.count()
        assert killed_at < expected, "the worker finished before it could be killed"

        second = _start_worker(env)
        try:
            _wait_until(
                lambda: len(set(smtp.message_ids)) >= expected,
                timeout=60,
                what="every reminder email",
            )
            _wait_until(
                lambda: (
                    # The reminder emails and the notices they came from, both.
                    not OutboxMessage.objects.filter(
                        Q(dedupe_key__startswith="reminder:")
                        | Q(dedupe_key__startswith="notice:reminder:"),
                        status__in=["pending", "sending"],
                    ).exists()
                ),
                timeout=30,
                what="the outbox to settle",
            )
        finally:
            _kill(second)

    with system_context():
        reminders = list(Reminder.objects.filter(channel="email"))
    assert {reminder.status for reminder in reminders} == {"sent"}
    # Queued exactly once, whatever the crash: one notice per reminder, and the one
    # email the dispatcher made of it.
    with system_context():
        every = list(Reminder.objects.select_related("session"))

    def source(r: Reminder) -> str:
        return f"reminder:{r.session_id}:{r.recipient_id}:{r.offset_minutes}:{r.session.sequence}"

    # The coach's in-app reminders are notices too (without an email: hers are off).
    notices = OutboxMessage.objects.filter(
        channel="notice", dedupe_key__startswith="notice:reminder:"
    )
    assert sorted(notices.values_list("dedupe_key", flat=True)) == sorted(
        {f"notice:{source(r)}" for r in every}
    )
    rows = OutboxMessage.objects.filter(channel=EMAIL_CHANNEL, dedupe_key__startswith="reminder:")
    assert sorted(rows.values_list("dedupe_key", flat=True)) == sorted(
        f"{source(r)}:email" for r in every if r.channel == "email"
    )
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    assert set(notices.values_list("status", flat=True)) == {"sent"}

    # Delivered exactly once by Message-ID; only the message in flight came twice.
    by_id = Counter(smtp.message_ids)
    assert len(by_id) == expected
    assert all(subject.startswith("Reminder:") for subject in smtp.subjects)
    repeated = [message_id for message_id, count in by_id.items() if count > 1]
    assert len(repeated) <= 1
    assert all(count <= 2 for count in by_id.values())
    assert len(smtp.message_ids) <= expected + 1

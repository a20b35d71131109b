"""Adversarial review of notifications (issue 5): notices that were silently lost, and
summaries that ignored quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from loom.core.notices import notice_send, notices_seen
from loom.core.outbox import outbox_drain
from loom.notifications.models import (
    DigestItem,
    Notification,
    NotificationDelivery,
    NotificationSettings,
)
from loom.scheduling.models import ReminderPreferences
from tests.notifications.conftest import Send, make_notice
from tests.smtp import SmtpServer
from tests.world import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Send:
    """Send a notice and run everything its commit sets off (as the notifications suite)."""

    def _send(notice: Any) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            notice_send(notice)

    return _send


State = NotificationDelivery.State


def _message_notice(world: World, index: int) -> Any:
    return make_notice(
        world.avi,
        "message_new",
        source=f"message:1:{index}",
        title=f"New message {index} from Dana",
        delay_seconds=600,
        collapse_key="conversation:1",
    )


def _email_state(source: str) -> tuple[str, str]:
    row = NotificationDelivery.objects.get(notification__source=source, channel="email")
    return row.state, row.reason


def test_a_message_after_the_last_one_was_read_still_gets_its_email(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    send(_message_notice(world, 1))
    # Avi reads the first message in Loom: its waiting email is called off, but its
    # outbox row stays pending until its time comes.
    notices_seen(user_id=world.avi.pk, source_prefix="message:1:")
    assert _email_state("message:1:1") == (State.SKIPPED, "read")
    # Then Dana writes again and Avi is away: this one must not be folded into the
    # email that will never go.
    send(_message_notice(world, 2))
    assert _email_state("message:1:2") == (State.WAITING, "delay")
    outbox_drain(now=timezone.now() + timedelta(minutes=11))
    [message] = mail_via_smtp.wait_for(1)
    assert message["To"] == "avi@example.com"
    assert _email_state("message:1:2") == (State.SENT, "")
    assert _email_state("message:1:1") == (State.SKIPPED, "read")


def test_a_second_message_while_the_first_email_waits_is_still_folded_into_it(
    world: World, send: Send
) -> None:
    send(_message_notice(world, 1))
    send(_message_notice(world, 2))
    assert _email_state("message:1:2") == (State.SKIPPED, "collapsed")


def _digest(capture: Any) -> str:
    out = StringIO()
    with capture(execute=True):
        call_command("notifications_digest", stdout=out)
    return out.getvalue()


def test_an_hourly_summary_waits_for_the_end_of_quiet_hours(
    world: World, send: Send, mail_via_smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    # Avi lives in Jerusalem (UTC+3 in June) and keeps 22:00-07:00 quiet.
    assert world.avi.timezone == "Asia/Jerusalem"
    NotificationSettings.objects.create(user=world.avi, messages_digest="hourly")
    ReminderPreferences.objects.update_or_create(
        user=world.avi, defaults={"quiet_start": time(22, 0), "quiet_end": time(7, 0)}
    )
    with time_machine.travel(datetime(2026, 6, 1, 22, 10, tzinfo=UTC), tick=False):  # 01:10
        for index in range(2):
            send(_message_notice(world, index))
    assert DigestItem.objects.filter(sent_at__isnull=True).count() == 2
    with time_machine.travel(datetime(2026, 6, 1, 23, 0, 30, tzinfo=UTC), tick=False):  # 02:00
        _digest(django_capture_on_commit_callbacks)
    assert mail_via_smtp.messages == []
    assert DigestItem.objects.filter(sent_at__isnull=True).count() == 2
    with time_machine.travel(datetime(2026, 6, 2, 4, 0, 30, tzinfo=UTC), tick=False):  # 07:00
        assert "1 email(s) with 2 item(s)" in _digest(django_capture_on_commit_callbacks)
    [message] = mail_via_smtp.wait_for(1)
    assert message["To"] == "avi@example.com"
    assert not DigestItem.objects.filter(sent_at__isnull=True).exists()
    assert Notification.objects.filter(read_at__isnull=True).count() == 2

"""Hourly and daily email summaries, through a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from loom.core.models import OutboxMessage
from loom.notifications.models import (
    DigestItem,
    Notification,
    NotificationDelivery,
    NotificationSettings,
)
from tests.notifications.conftest import Send, make_notice
from tests.smtp import SmtpServer
from tests.world import World

pytestmark = pytest.mark.django_db


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def _run(capture: Any) -> str:
    out = StringIO()
    with capture(execute=True):
        call_command("notifications_digest", stdout=out)
    return out.getvalue()


def _messages(world: World, user: Any, count: int, send: Send) -> None:
    for index in range(count):
        send(
            make_notice(
                user,
                "message_new",
                source=f"message:{user.pk}:{index}",
                title=f"Message {index} from Dana",
                url=f"/messages/1/#m{index}",
            )
        )


def test_hourly_summary_is_one_email_with_every_item_at_the_top_of_the_hour(
    world: World, send: Send, mail_via_smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    NotificationSettings.objects.create(user=world.avi, messages_digest="hourly")
    with time_machine.travel(utc(2026, 6, 1, 9, 10), tick=False):
        _messages(world, world.avi, 3, send)
        assert DigestItem.objects.filter(sent_at__isnull=True).count() == 3
        assert "0 email(s)" in _run(django_capture_on_commit_callbacks)
    with time_machine.travel(utc(2026, 6, 1, 10, 0, 30), tick=False):
        assert "1 email(s) with 3 item(s)" in _run(django_capture_on_commit_callbacks)
        # A second run in the same hour (or a second process) sends nothing more.
        _run(django_capture_on_commit_callbacks)
    [message] = mail_via_smtp.wait_for(1)
    assert message["To"] == "avi@example.com"
    assert message["Subject"] == "Your summary: 3 new messages"
    text = message.get_body(("plain",)).get_content()
    for index in range(3):
        assert f"Message {index} from Dana" in text
    assert "/messages/1/#m2" in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not DigestItem.objects.filter(sent_at__isnull=True).exists()
    assert set(
        NotificationDelivery.objects.filter(channel="email").values_list("state", "reason")
    ) == {("sent", "digest")}
    assert OutboxMessage.objects.filter(dedupe_key__startswith="digest:").count() == 1


def test_daily_summary_comes_at_the_persons_hour_in_their_language(
    world: World, send: Send, mail_via_smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    # Noa reads Hebrew in Jerusalem (UTC+3 in June) and wants her summary at 08:00.
    NotificationSettings.objects.create(
        user=world.noa, activity_digest="daily", daily_digest_hour=8
    )
    with time_machine.travel(utc(2026, 6, 1, 12, 0), tick=False):
        for index in range(2):
            send(make_notice(world.noa, "resource_shared", source=f"share:{index}"))
    with time_machine.travel(utc(2026, 6, 2, 4, 50), tick=False):  # 07:50 in Jerusalem
        _run(django_capture_on_commit_callbacks)
        assert mail_via_smtp.messages == []
    with time_machine.travel(utc(2026, 6, 2, 5, 5), tick=False):  # 08:05
        _run(django_capture_on_commit_callbacks)
    [message] = mail_via_smtp.wait_for(1)
    assert message["Content-Language"] == "he"
    html = message.get_body(("html",)).get_content()
    assert 'lang="he"' in html and 'dir="rtl"' in html
    assert DigestItem.objects.filter(sent_at__isnull=False).count() == 2


def test_items_read_meanwhile_are_dropped_without_an_email(
    world: World, send: Send, mail_via_smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    NotificationSettings.objects.create(user=world.avi, messages_digest="hourly")
    with time_machine.travel(utc(2026, 6, 1, 9, 10), tick=False):
        _messages(world, world.avi, 2, send)
        Notification.objects.update(read_at=utc(2026, 6, 1, 9, 20))
    with time_machine.travel(utc(2026, 6, 1, 10, 1), tick=False):
        assert "2 item(s) dropped" in _run(django_capture_on_commit_callbacks)
    assert mail_via_smtp.messages == []
    assert not OutboxMessage.objects.filter(channel="email").exists()

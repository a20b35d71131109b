"""The notice dispatcher: one notice → a notification and one delivery per channel."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from loom.accounts.models import SmsMessageLog
from loom.core.models import OutboxMessage, UserEvent, UserStream
from loom.core.notices import notices_seen
from loom.core.outbox import outbox_deliver_by_id, outbox_drain
from loom.notifications.dispatch import EMAIL_CHANNEL, SMS_CHANNEL
from loom.notifications.models import (
    ChannelChoice,
    Notification,
    NotificationDelivery,
    NotificationSettings,
)
from loom.notifications.preferences import DEFAULTS, preferences_for
from loom.notifications.selectors import unread_count
from loom.scheduling.models import ReminderPreferences
from tests.accounts.security_support import enable_totp
from tests.conftest import signed_in
from tests.notifications.conftest import Send, make_notice
from tests.smtp import SmtpServer
from tests.world import World

pytestmark = pytest.mark.django_db

State = NotificationDelivery.State


def _deliveries(notification: Notification) -> dict[str, tuple[str, str]]:
    return {
        d.channel: (d.state, d.reason)
        for d in NotificationDelivery.objects.filter(notification=notification)
    }


def test_defaults_in_app_on_everywhere_email_and_push_where_it_matters_sms_off(
    world: World,
) -> None:
    prefs = preferences_for(world.avi)
    assert all(DEFAULTS[(kind, "in_app")] for kind in ("session_booked", "announcement"))
    assert prefs.enabled("session_booked", "email")
    assert prefs.enabled("message_new", "email")
    assert not prefs.enabled("session_booked", "push")
    assert prefs.enabled("message_new", "push")
    assert prefs.enabled("session_reminder", "push")
    assert not prefs.enabled("session_reminder", "sms")
    assert not prefs.enabled("message_new", "sms")


def test_a_notice_becomes_a_notification_an_email_and_a_stream_event(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    send(make_notice(world.avi, title="Session booked with Dana"))

    notification = Notification.objects.get(user=world.avi)
    assert notification.listed and notification.title == "Session booked with Dana"
    assert notification.url == "/sessions/1/"
    [message] = mail_via_smtp.wait_for(1)
    assert message["To"] == "avi@example.com"
    assert message["List-Unsubscribe"].startswith("<http")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    assert "Stop emails like this one:" in text and "/notifications/unsubscribe/" in text
    html = message.get_body(("html",)).get_content()
    assert "Choose which emails you get" in html
    deliveries = _deliveries(notification)
    assert deliveries["in_app"] == (State.SENT, "")
    assert deliveries["email"] == (State.SENT, "")
    # Push is not on by default for bookings.
    assert deliveries["push"] == (State.SKIPPED, "preference")
    assert "sms" not in deliveries
    event = UserEvent.objects.get(user=world.avi, kind="notification.created")
    assert event.data == {
        "id": notification.pk,
        "kind": "session_booked",
        "title": "Session booked with Dana",
        "url": "/sessions/1/",
        "unread": 1,
    }


def test_redelivering_the_same_outbox_row_creates_and_sends_nothing_twice(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    send(make_notice(world.avi))
    mail_via_smtp.wait_for(1)
    row = OutboxMessage.objects.get(channel="notice")
    # As if the worker died after delivering but before recording it.
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=OutboxMessage.Status.PENDING, payload=make_notice(world.avi).as_payload()
    )
    assert outbox_deliver_by_id(message_id=row.pk) == OutboxMessage.Status.SENT
    assert Notification.objects.count() == 1
    assert OutboxMessage.objects.filter(channel=EMAIL_CHANNEL).count() == 1
    assert NotificationDelivery.objects.count() == 3
    assert UserEvent.objects.filter(kind="notification.created").count() == 1
    assert len(mail_via_smtp.messages) == 1
    # Sending the same notice again is the same notice.
    send(make_notice(world.avi))
    assert Notification.objects.count() == 1


def test_matrix_choices_turn_channels_off_and_in_app_off_hides_the_notification(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    ChannelChoice.objects.create(
        user=world.avi, kind="session_booked", channel="email", enabled=False
    )
    ChannelChoice.objects.create(
        user=world.avi, kind="session_booked", channel="in_app", enabled=False
    )
    send(make_notice(world.avi))
    notification = Notification.objects.get(user=world.avi)
    assert not notification.listed
    assert _deliveries(notification)["email"] == (State.SKIPPED, "preference")
    assert _deliveries(notification)["in_app"] == (State.SKIPPED, "preference")
    assert unread_count(world.avi) == 0
    assert not UserEvent.objects.filter(user=world.avi).exists()
    assert not OutboxMessage.objects.filter(channel=EMAIL_CHANNEL).exists()
    assert mail_via_smtp.messages == []


def test_reminder_email_and_sms_cells_are_the_reminder_preferences(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    world.avi.phone = "+972501234567"
    world.avi.phone_verified_at = timezone.now()
    world.avi.save(update_fields=["phone", "phone_verified_at"])
    ReminderPreferences.objects.create(user=world.avi, email_reminders=False, sms_reminders=True)
    send(make_notice(world.avi, "session_reminder", sms="Session with Dana at 10:00", urgent=True))
    notification = Notification.objects.get(user=world.avi)
    deliveries = _deliveries(notification)
    assert deliveries["email"] == (State.SKIPPED, "preference")
    assert deliveries["sms"] == (State.SENT, "")
    assert SmsMessageLog.objects.get().body == "Session with Dana at 10:00"
    assert OutboxMessage.objects.get(channel=SMS_CHANNEL).recipient == "+972501234567"
    assert mail_via_smtp.messages == []


def test_sms_needs_a_verified_phone_and_only_reminders_send_it(world: World, send: Send) -> None:
    ReminderPreferences.objects.create(user=world.avi, sms_reminders=True)
    send(make_notice(world.avi, "session_reminder", sms="Soon", source="r1"))
    assert _deliveries(Notification.objects.get(source="r1"))["sms"] == (State.SKIPPED, "no_phone")
    send(make_notice(world.avi, "session_booked", sms="Booked", source="b1"))
    assert "sms" not in _deliveries(Notification.objects.get(source="b1"))
    assert not SmsMessageLog.objects.exists()


def _message_notice(world: World, index: int = 1, **fields: Any) -> Any:
    return make_notice(
        world.avi,
        "message_new",
        source=f"message:1:{index}",
        delay_seconds=600,
        collapse_key="conversation:1",
        **fields,
    )


def test_a_delayed_message_notice_waits_and_is_sent_if_still_unread_and_away(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    send(_message_notice(world))
    notification = Notification.objects.get()
    assert notification.hold_while_active
    assert _deliveries(notification)["email"] == (State.WAITING, "delay")
    email = OutboxMessage.objects.get(channel=EMAIL_CHANNEL)
    assert email.available_at >= timezone.now() + timedelta(seconds=590)
    assert outbox_drain().sent == 0
    assert outbox_drain(now=timezone.now() + timedelta(minutes=11)).sent == 1
    mail_via_smtp.wait_for(1)
    assert _deliveries(notification)["email"] == (State.SENT, "")


def test_a_delayed_message_notice_is_not_emailed_when_read_meanwhile(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    send(_message_notice(world))
    notices_seen(user_id=world.avi.pk, source_prefix="message:1:")
    notification = Notification.objects.get()
    assert notification.read_at is not None
    assert _deliveries(notification)["email"] == (State.SKIPPED, "read")
    outbox_drain(now=timezone.now() + timedelta(minutes=11))
    assert mail_via_smtp.messages == []
    assert UserEvent.objects.filter(user=world.avi, kind="notification.read").get().data == {
        "ids": [notification.pk],
        "unread": 0,
    }


def test_a_delayed_message_notice_is_not_emailed_while_the_person_is_active(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    send(_message_notice(world))
    UserStream.objects.filter(user=world.avi).update(last_active_at=timezone.now())
    outbox_drain(now=timezone.now() + timedelta(minutes=11))
    assert _deliveries(Notification.objects.get())["email"] == (State.SKIPPED, "active")
    assert mail_via_smtp.messages == []


def test_notices_with_one_collapse_key_share_one_pending_email(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    send(_message_notice(world, 1))
    send(_message_notice(world, 2))
    second = Notification.objects.get(source="message:1:2")
    assert _deliveries(second)["email"] == (State.SKIPPED, "collapsed")
    assert OutboxMessage.objects.filter(channel=EMAIL_CHANNEL).count() == 1


def test_digest_choice_turns_an_email_into_a_summary_item(world: World, send: Send) -> None:
    NotificationSettings.objects.create(user=world.avi, messages_digest="hourly")
    send(_message_notice(world))
    notification = Notification.objects.get()
    assert _deliveries(notification)["email"] == (State.DIGEST, "")
    assert notification.digest_item.category == "messages"
    assert not OutboxMessage.objects.filter(channel=EMAIL_CHANNEL).exists()


def test_a_refused_email_becomes_a_dead_letter_and_the_delivery_shows_failed(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    mail_via_smtp.reject_with = "550 5.1.1 No such user"
    send(make_notice(world.avi))
    row = OutboxMessage.objects.get(channel=EMAIL_CHANNEL)
    assert row.status == OutboxMessage.Status.DEAD
    assert _deliveries(Notification.objects.get())["email"] == (State.FAILED, "failed")
    enable_totp(world.admin)
    page = signed_in(world.admin).get("/admin-area/outbox/?status=dead").content.decode()
    assert "Notification email" in page


def test_a_notice_for_someone_gone_or_deactivated_tells_nobody(world: World, send: Send) -> None:
    notice = make_notice(world.avi, source="gone")
    notice.user_id = 999999
    send(notice)
    world.noa.is_active = False
    world.noa.save(update_fields=["is_active"])
    send(make_notice(world.noa, source="inactive"))
    assert set(OutboxMessage.objects.values_list("channel", "status")) == {
        ("notice", OutboxMessage.Status.SENT)
    }
    assert not Notification.objects.exists()


def test_a_malformed_notice_is_a_dead_letter(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    from loom.core.outbox import outbox_enqueue

    with django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue(channel="notice", recipient="1", payload={"kind": "nonsense"})
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.DEAD


def test_a_hebrew_speakers_email_is_in_hebrew_and_right_to_left(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    send(make_notice(world.noa, title="פגישה נקבעה"))
    [message] = mail_via_smtp.wait_for(1)
    assert message["Content-Language"] == "he"
    assert message["Subject"] == "פגישה נקבעה"
    html = message.get_body(("html",)).get_content()
    assert 'lang="he"' in html and 'dir="rtl"' in html
    assert "/notifications/unsubscribe/" in html


def test_a_rolled_back_change_tells_nobody(world: World) -> None:
    from django.db import transaction

    from loom.core.notices import notice_send

    with pytest.raises(RuntimeError), transaction.atomic():
        notice_send(make_notice(world.avi))
        raise RuntimeError
    assert not OutboxMessage.objects.exists()
    assert not Notification.objects.exists()


def test_the_notification_centre_shows_how_each_channel_went(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    send(make_notice(world.avi, title="Booked for Monday"))
    mail_via_smtp.wait_for(1)
    html = signed_in(world.avi).get("/notifications/").content.decode()
    assert "Booked for Monday" in html
    assert "Email: Sent" in html
    assert "Push: Not sent (turned off in your settings)" in html
    assert 'href="/sessions/1/"' in html


def test_mark_all_read_cancels_waiting_emails_and_tells_the_stream(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    send(_message_notice(world))
    response = signed_in(world.avi).post("/notifications/read-all/")
    assert response.status_code == 302
    assert _deliveries(Notification.objects.get())["email"] == (State.SKIPPED, "read")
    assert UserEvent.objects.get(user=world.avi, kind="notification.read").data == {
        "all": True,
        "unread": 0,
    }
    outbox_drain(now=timezone.now() + timedelta(minutes=11))
    assert mail_via_smtp.messages == []


def test_a_shown_push_is_cleared_with_its_tag_when_read(world: World, send: Send) -> None:
    send(_message_notice(world))
    notification = Notification.objects.get()
    sent = OutboxMessage.objects.create(
        channel="push",
        recipient=str(world.avi.pk),
        payload={"kind": "show", "tag": "conversation:1", "notification_id": notification.pk},
        status=OutboxMessage.Status.SENT,
    )
    NotificationDelivery.objects.filter(notification=notification, channel="push").update(
        state=State.SENT, outbox_message=sent
    )
    signed_in(world.avi).post(f"/notifications/{notification.pk}/read/")
    clear = OutboxMessage.objects.get(dedupe_key="message:1:1:push:clear")
    assert clear.payload == {
        "kind": "clear",
        "tag": "conversation:1",
        "notification_id": notification.pk,
    }
    assert clear.recipient == str(world.avi.pk)


def test_a_temporary_mail_failure_is_retried_and_shown_as_trying_again(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    mail_via_smtp.reject_with = "451 4.3.0 Try again later"
    send(make_notice(world.avi))
    row = OutboxMessage.objects.get(channel=EMAIL_CHANNEL)
    assert row.status == OutboxMessage.Status.PENDING and row.attempts == 1
    notification = Notification.objects.get()
    assert _deliveries(notification)["email"] == (State.QUEUED, "retrying")
    mail_via_smtp.reject_with = None
    assert outbox_drain(now=row.available_at + timedelta(minutes=1)).sent == 1
    mail_via_smtp.wait_for(1)
    assert _deliveries(notification)["email"] == (State.SENT, "")


def test_a_text_message_that_expired_while_waiting_is_not_sent(world: World, send: Send) -> None:
    world.avi.phone = "+972501234567"
    world.avi.phone_verified_at = timezone.now()
    world.avi.save(update_fields=["phone", "phone_verified_at"])
    ReminderPreferences.objects.create(
        user=world.avi, sms_reminders=True, quiet_start=time(0, 0), quiet_end=time(23, 59)
    )
    sent_at = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # 12:00 in Jerusalem: quiet
    with time_machine.travel(sent_at, tick=False):
        send(
            make_notice(
                world.avi,
                "session_reminder",
                sms="Soon",
                extra={"expires_at": (sent_at + timedelta(minutes=5)).isoformat()},
            )
        )
    notification = Notification.objects.get()
    assert _deliveries(notification)["sms"][0] == State.WAITING
    with time_machine.travel(sent_at + timedelta(days=1), tick=False):
        outbox_drain()
    assert _deliveries(notification)["sms"] == (State.SKIPPED, "expired")
    assert not SmsMessageLog.objects.exists()

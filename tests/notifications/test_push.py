"""Web Push delivered for real: a notice → the outbox → an encrypted, signed request to a
local push service, decrypted here with the subscription's own keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from loom.core.context import system_context
from loom.core.models import OutboxMessage
from loom.core.notices import notices_seen
from loom.core.outbox import outbox_drain
from loom.notifications.models import Notification, NotificationDelivery, PushSubscription
from loom.notifications.push import generate_vapid_keys, topic_for
from loom.notifications.services import notification_mark_read
from tests.conftest import signed_in
from tests.notifications import test_push_service
from tests.notifications.conftest import Send, make_notice
from tests.notifications.test_push_service import BrowserKeys, PushService, verify_vapid
from tests.world import World

pytestmark = pytest.mark.django_db

State = NotificationDelivery.State
# The local push service fixture, shared with its own tests.
push_service = test_push_service.push_service


@pytest.fixture
def vapid(settings: Any) -> str:
    """Push on, with fresh keys; plain http allowed for the local push service only."""
    public, private = generate_vapid_keys()
    settings.LOOM_VAPID_PUBLIC_KEY = public
    settings.LOOM_VAPID_PRIVATE_KEY = private
    settings.LOOM_VAPID_SUBJECT = "mailto:push-test@loom.test"
    settings.LOOM_PUSH_HTTP_HOSTS = ["127.0.0.1"]
    return public


def _device(user: Any, service: PushService, name: str) -> tuple[BrowserKeys, PushSubscription]:
    keys = BrowserKeys()
    device = PushSubscription.objects.create(
        user=user,
        endpoint=service.url(f"/push/{name}"),
        p256dh=keys.p256dh,
        auth=keys.auth_b64,
        device_label=name,
    )
    return keys, device


def _push_delivery(user: Any) -> tuple[str, str]:
    delivery = NotificationDelivery.objects.get(notification__user=user, channel="push")
    return delivery.state, delivery.reason


def test_a_notice_reaches_the_device_encrypted_and_signed(
    world: World, send: Send, push_service: PushService, vapid: str
) -> None:
    keys = BrowserKeys()
    # The device subscribes the way push.js does it.
    response = signed_in(world.avi).post(
        "/push/subscriptions/",
        keys.subscription_json(push_service.url("/push/avi-phone"), label="Chrome on Android"),
        content_type="application/json",
    )
    assert response.status_code == 201

    send(
        make_notice(
            world.avi,
            kind="session_cancelled",
            title="Dana cancelled Thursday's session",
            body="Thursday 10:00",
            url="/client/sessions/7/",
            collapse_key="session:7",
        )
    )

    [request] = push_service.to("/push/avi-phone")
    assert request.method == "POST"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert int(request.headers["ttl"]) > 0
    assert request.headers["urgency"] == "normal"
    assert request.headers["topic"] == topic_for("session:7")
    assert len(request.headers["topic"]) <= 32
    verify_vapid(request.headers["authorization"], public_key=vapid, audience=push_service.origin)
    notification = Notification.objects.get(user=world.avi)
    assert keys.decrypt(request.body) == {
        "kind": "show",
        "notification_id": notification.pk,
        "title": "Dana cancelled Thursday's session",
        "body": "Thursday 10:00",
        "url": "/client/sessions/7/",
        "tag": "session:7",
    }
    assert _push_delivery(world.avi) == (State.SENT, "")
    device = PushSubscription.objects.get(user=world.avi)
    assert device.last_success_at is not None and device.failures == 0
    # What the outbox keeps once sent: no title or body.
    sent = OutboxMessage.objects.get(channel="push")
    assert sent.status == OutboxMessage.Status.SENT
    assert "title" not in sent.payload and sent.payload["devices"] == 1


def test_a_hebrew_notice_arrives_in_hebrew(
    world: World, send: Send, push_service: PushService, vapid: str
) -> None:
    keys, _device_row = _device(world.noa, push_service, "noa")
    send(
        make_notice(
            world.noa,
            kind="session_cancelled",
            title="דנה ביטלה את הפגישה של יום חמישי",
            body="יום חמישי 10:00",
        )
    )
    [request] = push_service.to("/push/noa")
    data = keys.decrypt(request.body)
    assert data["title"] == "דנה ביטלה את הפגישה של יום חמישי"
    assert data["body"] == "יום חמישי 10:00"


def test_every_device_gets_one_request_and_a_gone_device_is_forgotten(
    world: World, send: Send, push_service: PushService, vapid: str
) -> None:
    laptop_keys, _laptop = _device(world.avi, push_service, "laptop")
    _old_keys, old = _device(world.avi, push_service, "old-phone")
    push_service.answers["/push/old-phone"] = [410]

    send(make_notice(world.avi, kind="session_cancelled", source="test:gone"))

    assert len(push_service.to("/push/laptop")) == 1
    assert laptop_keys.decrypt(push_service.to("/push/laptop")[0].body)["kind"] == "show"
    assert len(push_service.to("/push/old-phone")) == 1
    assert not PushSubscription.objects.filter(pk=old.pk).exists()
    assert _push_delivery(world.avi) == (State.SENT, "")


def test_the_only_device_gone_leaves_the_push_not_sent(
    world: World, send: Send, push_service: PushService, vapid: str
) -> None:
    _keys, device = _device(world.avi, push_service, "gone")
    push_service.answers["/push/gone"] = [404]
    send(make_notice(world.avi, kind="session_cancelled"))
    assert not PushSubscription.objects.filter(pk=device.pk).exists()
    assert _push_delivery(world.avi) == (State.SKIPPED, "no_device")


def test_a_failing_push_service_is_retried_without_a_second_push_to_served_devices(
    world: World, send: Send, push_service: PushService, vapid: str
) -> None:
    _device(world.avi, push_service, "laptop")
    phone_keys, phone = _device(world.avi, push_service, "phone")
    push_service.answers["/push/phone"] = [500, 201]

    send(make_notice(world.avi, kind="session_cancelled", source="test:retry"))

    row = OutboxMessage.objects.get(channel="push")
    assert row.status == OutboxMessage.Status.PENDING
    assert row.attempts == 1 and "could not be reached" in row.last_error
    assert len(push_service.to("/push/laptop")) == 1
    assert len(push_service.to("/push/phone")) == 1
    assert _push_delivery(world.avi)[0] != State.SENT
    phone.refresh_from_db()
    assert phone.failures == 1

    with system_context():
        result = outbox_drain(now=timezone.now() + timedelta(days=1))
    assert result.sent == 1
    assert len(push_service.to("/push/laptop")) == 1  # not pushed twice
    assert len(push_service.to("/push/phone")) == 2
    assert phone_keys.decrypt(push_service.to("/push/phone")[1].body)["kind"] == "show"
    assert _push_delivery(world.avi) == (State.SENT, "")
    phone.refresh_from_db()
    assert phone.failures == 0


def test_an_unreachable_push_service_is_retried(
    world: World, send: Send, push_service: PushService, vapid: str
) -> None:
    keys = BrowserKeys()
    # Nothing listens on port 9 of this machine (discard is not running).
    PushSubscription.objects.create(
        user=world.avi,
        endpoint="http://127.0.0.1:9/push/nobody",
        p256dh=keys.p256dh,
        auth=keys.auth_b64,
    )
    send(make_notice(world.avi, kind="session_cancelled"))
    row = OutboxMessage.objects.get(channel="push")
    assert row.status == OutboxMessage.Status.PENDING
    assert PushSubscription.objects.filter(user=world.avi).count() == 1


def test_reading_the_notification_clears_it_on_every_device(
    world: World,
    send: Send,
    push_service: PushService,
    vapid: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    laptop_keys, _laptop = _device(world.avi, push_service, "laptop")
    phone_keys, _phone = _device(world.avi, push_service, "phone")
    send(
        make_notice(
            world.avi, kind="session_cancelled", source="booking:9:cancelled", collapse_key="s:9"
        )
    )
    assert len(push_service.requests) == 2

    with django_capture_on_commit_callbacks(execute=True):
        notices_seen(user_id=world.avi.pk, source_prefix="booking:9:")

    for path, keys in (("/push/laptop", laptop_keys), ("/push/phone", phone_keys)):
        show, clear = push_service.to(path)
        assert keys.decrypt(clear.body) == {"kind": "clear", "tag": "s:9"}
        # Same topic: a push service still holding the "show" replaces it.
        assert clear.headers["topic"] == show.headers["topic"] == topic_for("s:9")
        verify_vapid(clear.headers["authorization"], public_key=vapid, audience=push_service.origin)


def test_a_notice_read_before_its_push_leaves_sends_nothing(
    world: World, push_service: PushService, vapid: str, django_capture_on_commit_callbacks: Any
) -> None:
    _device(world.avi, push_service, "phone")
    # A new message waits (delay) before email and push; read in the meantime.
    with django_capture_on_commit_callbacks(execute=True):
        from loom.core.notices import notice_send

        notice_send(
            make_notice(world.avi, kind="message_new", email=None, delay_seconds=600, source="m:1")
        )
    notification = Notification.objects.get(user=world.avi)
    notification_mark_read(user=world.avi, notification_id=notification.pk)
    with system_context():
        outbox_drain(now=timezone.now() + timedelta(minutes=11))
    assert push_service.requests == []
    assert _push_delivery(world.avi) == (State.SKIPPED, "read")


def test_without_keys_push_is_off_and_says_so(
    world: World, send: Send, push_service: PushService, settings: Any
) -> None:
    settings.LOOM_VAPID_PRIVATE_KEY = ""
    _device(world.avi, push_service, "phone")
    send(make_notice(world.avi, kind="session_cancelled"))
    assert push_service.requests == []
    assert _push_delivery(world.avi) == (State.SKIPPED, "push off")


def test_a_public_key_that_does_not_match_the_private_key_turns_push_off(
    world: World, settings: Any, vapid: str
) -> None:
    from loom.notifications.push import push_enabled

    assert push_enabled()
    settings.LOOM_VAPID_PUBLIC_KEY = generate_vapid_keys()[0]
    assert not push_enabled()


def test_a_refused_push_is_not_retried_and_marks_the_delivery_failed(
    world: World, send: Send, push_service: PushService, vapid: str
) -> None:
    # 403: e.g. the browser subscribed with keys this server no longer has.
    _keys, device = _device(world.avi, push_service, "old-keys")
    push_service.answers["/push/old-keys"] = [403]
    send(make_notice(world.avi, kind="session_cancelled"))
    assert len(push_service.to("/push/old-keys")) == 1
    assert OutboxMessage.objects.get(channel="push").status == OutboxMessage.Status.SENT
    assert _push_delivery(world.avi) == (State.FAILED, "rejected")
    device.refresh_from_db()
    assert device.failures == 1

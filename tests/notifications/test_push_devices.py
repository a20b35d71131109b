"""Turning push on per device, the device list and removing a device; the VAPID command."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from loom.notifications.models import PushSubscription
from loom.notifications.push import b64url_encode, generate_vapid_keys, vapid_keys
from tests.conftest import signed_in
from tests.notifications.test_push_service import BrowserKeys
from tests.world import World

pytestmark = pytest.mark.django_db

ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc:def"


@pytest.fixture
def vapid(settings: Any) -> str:
    out = StringIO()
    call_command("vapid_keys", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().split())
    settings.LOOM_VAPID_PUBLIC_KEY = lines["LOOM_VAPID_PUBLIC_KEY"]
    settings.LOOM_VAPID_PRIVATE_KEY = lines["LOOM_VAPID_PRIVATE_KEY"]
    settings.LOOM_PUSH_HTTP_HOSTS = ["127.0.0.1"]
    return lines["LOOM_VAPID_PUBLIC_KEY"]


def _subscribe(user: Any, body: Any) -> Any:
    payload = body if isinstance(body, str) else json.dumps(body)
    return signed_in(user).post("/push/subscriptions/", payload, content_type="application/json")


def test_the_vapid_command_prints_a_matching_pair_loom_accepts(vapid: str) -> None:
    keys = vapid_keys()
    assert keys is not None and keys.public_key == vapid
    assert len(vapid) == 87  # 65 bytes, an uncompressed P-256 point, in base64url


def test_a_pem_private_key_works_too(settings: Any) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    settings.LOOM_VAPID_PRIVATE_KEY = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    settings.LOOM_VAPID_PUBLIC_KEY = ""
    keys = vapid_keys()
    assert keys is not None
    assert keys.public_key == b64url_encode(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def test_a_device_turns_push_on_and_again_updates_the_same_row(world: World, vapid: str) -> None:
    keys = BrowserKeys()
    response = _subscribe(world.avi, keys.subscription_json(ENDPOINT, label="Chrome on Android"))
    assert response.status_code == 201
    device = PushSubscription.objects.get(user=world.avi)
    assert response.json() == {"id": device.pk, "label": "Chrome on Android"}
    assert (device.endpoint, device.p256dh, device.auth) == (ENDPOINT, keys.p256dh, keys.auth_b64)

    renewed = BrowserKeys()
    response = _subscribe(world.avi, renewed.subscription_json(ENDPOINT))
    assert response.status_code == 200
    device.refresh_from_db()
    assert PushSubscription.objects.count() == 1
    assert device.p256dh == renewed.p256dh and device.device_label == "Chrome on Android"


def test_an_endpoint_that_moves_to_another_person_leaves_the_first(
    world: World, vapid: str
) -> None:
    _subscribe(world.avi, BrowserKeys().subscription_json(ENDPOINT))
    response = _subscribe(world.noa, BrowserKeys().subscription_json(ENDPOINT))
    assert response.status_code == 201
    assert list(PushSubscription.objects.values_list("user_id", flat=True)) == [world.noa.pk]


def _with(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    keys = dict(body["keys"])
    for name in ("p256dh", "auth"):
        if name in changes:
            keys[name] = changes.pop(name)
    return {**body, **changes, "keys": keys}


@pytest.mark.parametrize(
    "change",
    [
        {"endpoint": "http://push.example.com/x"},  # plain http
        {"endpoint": "ftp://push.example.com/x"},
        {"endpoint": "https://10.0.0.5/x"},  # inside the network
        {"endpoint": "https://169.254.169.254/latest"},
        {"endpoint": "https://localhost/x"},
        {"endpoint": "https://user:pw@push.example.com/x"},
        {"endpoint": "https://push.example.com/" + "x" * 1000},
        {"endpoint": "https://push.example.com/a b"},
        {"endpoint": 42},
        {"endpoint": None},
        {"p256dh": "AAAA"},
        {"p256dh": b64url_encode(b"\x04" + b"\x01" * 64)},  # not a point on the curve
        {"p256dh": "!" * 87},
        {"auth": b64url_encode(b"x" * 15)},
        {"auth": 16},
        {"label": "x" * 121},
        {"label": ["Chrome"]},
    ],
)
def test_a_subscription_loom_cannot_use_is_refused(
    world: World, vapid: str, change: dict[str, Any]
) -> None:
    body = _with(BrowserKeys().subscription_json(ENDPOINT), **change)
    response = _subscribe(world.avi, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"]
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize("body", ["", "not json", "[]", '{"endpoint": "x"}', "{" * 5000])
def test_a_body_that_is_not_a_subscription_is_refused(world: World, vapid: str, body: str) -> None:
    assert _subscribe(world.avi, body).status_code == 400
    assert not PushSubscription.objects.exists()


def test_a_form_post_is_refused(world: World, vapid: str) -> None:
    response = signed_in(world.avi).post("/push/subscriptions/", {"endpoint": ENDPOINT})
    assert response.status_code == 400


def test_plain_http_is_allowed_for_listed_hosts_only(world: World, vapid: str) -> None:
    body = BrowserKeys().subscription_json("http://127.0.0.1:8123/push/1")
    assert _subscribe(world.avi, body).status_code == 201


def test_without_keys_no_device_can_turn_push_on(world: World, settings: Any) -> None:
    settings.LOOM_VAPID_PRIVATE_KEY = ""
    response = _subscribe(world.avi, BrowserKeys().subscription_json(ENDPOINT))
    assert response.status_code == 400
    html = signed_in(world.avi).get("/push/devices/").content.decode()
    assert "Push notifications are not set up on this server" in html
    assert "data-push-enable" not in html


def _make_device(user: Any, name: str) -> PushSubscription:
    keys = BrowserKeys()
    return PushSubscription.objects.create(
        user=user,
        endpoint=f"https://push.example.com/{name}",
        p256dh=keys.p256dh,
        auth=keys.auth_b64,
        device_label=name,
    )


def test_the_list_shows_only_ones_own_devices_in_constant_queries(world: World, vapid: str) -> None:
    browser = signed_in(world.avi)
    _make_device(world.avi, "Firefox on Linux")
    browser.get("/push/devices/")  # session and first-request work out of the way
    with CaptureQueriesContext(connection) as one:
        html = browser.get("/push/devices/").content.decode()
    assert "Firefox on Linux" in html
    for index in range(5):
        _make_device(world.avi, f"Phone {index}")
    _make_device(world.maya, "Maya's tablet")
    with CaptureQueriesContext(connection) as six:
        html = browser.get("/push/devices/").content.decode()
    assert len(six) == len(one)
    assert "Phone 4" in html and "Maya&#x27;s tablet" not in html
    assert f'data-public-key="{vapid}"' in html
    assert "Turn on notifications on this device" in html


def test_the_htmx_request_gets_only_the_list(world: World, vapid: str) -> None:
    _make_device(world.avi, "Firefox on Linux")
    response = signed_in(world.avi).get("/push/devices/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "Firefox on Linux" in html
    assert "<html" not in html and "data-push-devices" in html


def test_a_person_removes_their_own_device_but_not_someone_elses(world: World, vapid: str) -> None:
    mine = _make_device(world.avi, "Mine")
    theirs = _make_device(world.maya, "Theirs")
    browser = signed_in(world.avi)
    assert browser.post(f"/push/subscriptions/{theirs.pk}/delete/").status_code == 404
    assert PushSubscription.objects.filter(pk=theirs.pk).exists()
    response = browser.post(f"/push/subscriptions/{mine.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/account/notifications/#push-devices"
    assert not PushSubscription.objects.filter(pk=mine.pk).exists()
    assert browser.post(f"/push/subscriptions/{mine.pk}/delete/").status_code == 404


def test_removing_through_htmx_answers_with_the_new_list(world: World, vapid: str) -> None:
    mine = _make_device(world.avi, "Mine")
    _make_device(world.avi, "Other")
    response = signed_in(world.avi).post(
        f"/push/subscriptions/{mine.pk}/delete/", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Other" in html and ">Mine<" not in html


@pytest.mark.postgres
def test_devices_go_through_row_level_security_as_the_application_role(
    app_role: str, transactional_db: None, settings: Any
) -> None:
    from tests.security.conftest import APP_ROLE, application_connections, raw_as, rows

    public, private = generate_vapid_keys()
    settings.LOOM_VAPID_PUBLIC_KEY, settings.LOOM_VAPID_PRIVATE_KEY = public, private
    world = World.build()
    maya_device = _make_device(world.maya, "Maya's tablet")
    with application_connections(APP_ROLE):
        avi, noa = signed_in(world.avi), signed_in(world.noa)
        assert _subscribe(world.avi, BrowserKeys().subscription_json(ENDPOINT)).status_code == 201
        html = avi.get("/push/devices/").content.decode()
        assert "Unnamed device" in html and "tablet" not in html
        assert avi.post(f"/push/subscriptions/{maya_device.pk}/delete/").status_code == 404
        # The same browser, now Noa's: the row Avi's RLS view hides still moves to her.
        assert _subscribe(world.noa, BrowserKeys().subscription_json(ENDPOINT)).status_code == 201
        with translation.override("he"):  # Noa reads Loom in Hebrew
            unnamed_in_hebrew = translation.gettext("Unnamed device")
        assert unnamed_in_hebrew in noa.get("/push/devices/").content.decode()
        assert "Unnamed device" not in avi.get("/push/devices/").content.decode()
    owners = dict(PushSubscription.objects.values_list("endpoint", "user_id"))
    assert owners == {ENDPOINT: world.noa.pk, maya_device.endpoint: world.maya.pk}
    with raw_as(world.avi.pk) as cursor:
        assert rows(cursor, "SELECT count(*) FROM notifications_pushsubscription") == [0]
    with raw_as(world.maya.pk) as cursor:
        assert rows(cursor, "SELECT id FROM notifications_pushsubscription") == [maya_device.pk]

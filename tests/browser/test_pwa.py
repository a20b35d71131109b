"""The installable app and push devices in Chromium, English and Hebrew.

The manifest is valid and its icons load; the service worker registers for the whole
site and becomes active; the push devices section of the notification choices page
is axe-clean; "Turn on notifications on this device" subscribes with the server's
VAPID key and registers the browser, marked "This device"; a notice then reaches it
through a local push service, the service worker shows what the browser decrypts
and closes it when the notice is read (pushes handed over through Chrome's DevTools
protocol, as the browser does when one arrives); removing a device swaps the list in
place (htmx) with the keyboard left on it, and removing this browser's row ends its
subscription.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from loom.core.notices import Notice, notice_send, notices_seen
from loom.notifications.models import PushSubscription
from loom.notifications.push import generate_vapid_keys
from tests.browser.conftest import PageOpener
from tests.browser.support import check_page, exact, sign_in, t
from tests.notifications import test_push_service
from tests.notifications.test_push_service import BrowserKeys, PushService, unb64url
from tests.world import PASSWORD, World

pytestmark = pytest.mark.browser

# The local push service (an HTTP server thread), shared with tests/notifications.
push_service = test_push_service.push_service

# Resolves once this page's service worker is active (not just installed).
_ACTIVE_WORKER = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const worker = registration.active;
  if (worker.state !== "activated") {
    await new Promise((resolve) => worker.addEventListener("statechange", () => {
      if (worker.state === "activated") resolve();
    }));
  }
  return {state: worker.state, scope: registration.scope, script: worker.scriptURL,
          controlled: !!navigator.serviceWorker.controller};
}"""


_NOTIFICATIONS = """() => navigator.serviceWorker.ready
  .then((registration) => registration.getNotifications())
  .then((shown) => shown.map((n) => ({title: n.title, body: n.body, tag: n.tag,
                                      url: n.data && n.data.url, dir: n.dir})))"""


def _deliver_to_worker(page: Page, origin: str, data: dict[str, Any]) -> None:
    """Hand a decrypted push to the page's service worker, as the browser does on arrival."""
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        live = [
            r for r in registrations if not r.get("isDeleted") and r["scopeURL"] == f"{origin}/"
        ]
        if live:
            break
        page.wait_for_timeout(100)
    assert live, registrations
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": origin, "registrationId": live[0]["registrationId"], "data": json.dumps(data)},
    )
    cdp.detach()


def _wait_for(page: Page, done: Any) -> list[dict[str, Any]]:
    """The notifications the worker shows, once ``done(them)`` holds (up to 10 seconds)."""
    for _ in range(100):
        shown: list[dict[str, Any]] = page.evaluate(_NOTIFICATIONS)
        if done(shown):
            return shown
        page.wait_for_timeout(100)
    return shown


@pytest.fixture
def server_url(asgi_server_url: str) -> str:
    # Signed-in pages open the /ws/stream/ socket: serve them over ASGI.
    return asgi_server_url


@pytest.fixture
def vapid(settings: Any) -> str:
    public, private = generate_vapid_keys()
    settings.LOOM_VAPID_PUBLIC_KEY = public
    settings.LOOM_VAPID_PRIVATE_KEY = private
    return public


@pytest.mark.parametrize("viewport", ["1280"])
def test_the_manifest_is_valid_and_its_icons_load(page: Page, server_url: str) -> None:
    page.goto("/")
    href = page.locator('link[rel="manifest"]').get_attribute("href")
    assert href == "/manifest.webmanifest"
    response = page.request.get(f"{server_url}{href}")
    assert response.ok
    manifest = response.json()
    assert manifest["name"] == "Loom"
    assert manifest["start_url"] == "/home/"
    assert manifest["display"] == "standalone"
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        loaded = page.request.get(f"{server_url}{icon['src']}")
        assert loaded.ok, icon["src"]
        assert loaded.headers["content-type"] == "image/png"
        assert loaded.body()[:8] == b"\x89PNG\r\n\x1a\n"


# Playwright's contexts are incognito-like, and Chrome refuses the Push API there (its
# push service, FCM, is out of reach in any case). This replaces only that edge: the
# subscription "made" carries real browser keys and an endpoint on the local push
# service, so the rest — push.js, the server, pywebpush — runs for real.
_PUSH_EDGE = """([endpoint, p256dh, auth]) => {
  let current = null;
  PushManager.prototype.subscribe = async function (options) {
    window.__loomSubscribed = {
      userVisibleOnly: options.userVisibleOnly,
      key: Array.from(new Uint8Array(options.applicationServerKey)),
    };
    current = {
      endpoint,
      expirationTime: null,
      options: { userVisibleOnly: true, applicationServerKey: new Uint8Array(options.applicationServerKey).buffer },
      toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
      unsubscribe: async () => { current = null; window.__loomUnsubscribed = true; return true; },
    };
    return current;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
}"""


@pytest.mark.parametrize(
    ("language", "viewport", "who"), [("en", "1280", "avi"), ("he", "375", "noa")]
)
def test_a_person_turns_push_on_for_this_browser_and_removes_a_device(
    open_page: PageOpener,
    server_url: str,
    vapid: str,
    settings: Any,
    push_service: PushService,
    language: str,
    who: str,
) -> None:
    settings.LOOM_PUSH_HTTP_HOSTS = ["127.0.0.1"]
    world = World.build()
    person = getattr(world, who)
    label = "Firefox on Linux" if language == "en" else "הטלפון שלי"
    old_keys = BrowserKeys()
    old = PushSubscription.objects.create(
        user=person,
        endpoint=push_service.url("/push/old"),
        p256dh=old_keys.p256dh,
        auth=old_keys.auth_b64,
        device_label=label,
    )
    browser_keys = BrowserKeys()
    endpoint = push_service.url("/push/this-browser")
    page = open_page()
    page.context.grant_permissions(["notifications"], origin=server_url)
    page.add_init_script(
        f"({_PUSH_EDGE})({json.dumps([endpoint, browser_keys.p256dh, browser_keys.auth_b64])})"
    )
    page.goto("/accounts/login/?next=/account/notifications/")
    sign_in(page, email=person.email, password=PASSWORD)
    expect(page).to_have_url(re.compile(r"/account/notifications/$"))

    section = page.locator("#push-devices")
    expect(
        section.get_by_role("heading", name=t(language, "Notifications on your devices"))
    ).to_be_visible()
    expect(section.locator("[data-push-device-name]")).to_have_text(label)
    worker = page.evaluate(_ACTIVE_WORKER)
    assert worker["state"] == "activated"
    assert worker["scope"] == f"{server_url}/"
    assert worker["script"] == f"{server_url}/sw.js"
    enable = section.get_by_role(
        "button", name=exact(t(language, "Turn on notifications on this device"))
    )
    check_page(page)

    enable.click()
    expect(section.get_by_role("status")).to_have_text(
        t(language, "Notifications are on for this device.")
    )
    expect(section.get_by_text(t(language, "This device"), exact=True)).to_be_visible()
    expect(
        section.get_by_role(
            "button", name=exact(t(language, "Turn on notifications on this device"))
        )
    ).to_be_hidden()
    subscribed = page.evaluate("window.__loomSubscribed")
    assert subscribed["userVisibleOnly"] is True
    assert bytes(subscribed["key"]) == unb64url(vapid)
    mine = PushSubscription.objects.get(user=person, endpoint=endpoint)
    assert (mine.p256dh, mine.auth) == (browser_keys.p256dh, browser_keys.auth_b64)
    assert mine.device_label == t(language, "%(browser)s on %(system)s") % {
        "browser": "Chrome",
        "system": "Linux",
    }
    check_page(page)

    # A notice now reaches this browser's subscription through the push service; what
    # the browser decrypts, its service worker shows, and reading the notice clears it.
    title = "Dana cancelled the session" if language == "en" else "דנה ביטלה את הפגישה"
    notice_send(
        Notice(
            user_id=person.pk,
            kind="session_cancelled",
            source="pwa:1",
            title=title,
            url="/client/sessions/",
            collapse_key="session:1",
        )
    )
    [show] = push_service.to("/push/this-browser")
    shown = browser_keys.decrypt(show.body)
    assert shown["title"] == title
    _deliver_to_worker(page, server_url, shown)
    assert _wait_for(page, lambda notes: len(notes) == 1) == [
        {"title": title, "body": "", "tag": "session:1", "url": "/client/sessions/", "dir": "auto"}
    ]
    notices_seen(user_id=person.pk, source_prefix="pwa:")
    _show_again, clear = push_service.to("/push/this-browser")
    assert browser_keys.decrypt(clear.body) == {"kind": "clear", "tag": "session:1"}
    _deliver_to_worker(page, server_url, browser_keys.decrypt(clear.body))
    assert _wait_for(page, lambda notes: notes == []) == []

    # Removing a device swaps the list in place and keeps the keyboard there.
    remove = section.get_by_role("button", name=exact(f"{t(language, 'Remove')} {label}"))
    remove.focus()
    page.keyboard.press("Enter")
    expect(section.locator("[data-push-device-name]")).to_have_count(1)
    expect(section.locator("[data-push-region]")).to_be_focused()
    assert not PushSubscription.objects.filter(pk=old.pk).exists()
    check_page(page)

    # Removing this browser's own row also ends its subscription.
    section.get_by_role("button", name=re.compile(re.escape(t(language, "Remove")))).click()
    expect(
        section.get_by_text(t(language, "No device gets push notifications yet."))
    ).to_be_visible()
    assert page.evaluate("window.__loomUnsubscribed") is True
    expect(enable).to_be_visible()
    assert not PushSubscription.objects.filter(user=person).exists()
